"""Reflow at 320 px (WCAG 1.4.10, AA) on the core pages and the KI-register, in a real headless Chromium
over the demo (issue 13): the login page, the review queue, a suggestion of each service, the audit log,
the admin pages (the tenant settings with a refused value too), the models page, a background job's
page, the register's pages (the public transparency page in bokmål and nynorsk too) and an error page.

At 320 CSS px wide no page may scroll sideways; a data table may scroll inside its own box (a focusable,
labelled ``.table-scroll`` region), as 1.4.10 allows for two-dimensional content. axe-core runs on each
page at that width as well (tests/web/test_browser_a11y.py runs it at 1280 px). Each page is saved as a
screenshot at 1280 and at 320 px under test-artifacts/ (reflow-<page>-<width>.png) for people to look at;
nothing is compared."""

from __future__ import annotations

import re
import threading

import pytest

from kommuneki.core import jobs
from kommuneki.demo import DEMO_PASSWORD
from tests.conftest import axe_problems, reflow_offenders, reflow_overflow, serve_in_thread

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser

# Boxes that scroll sideways (content wider than the box) must be reachable and named: a keyboard user
# scrolls them once focused, and a screen reader says what they hold (a region with a label).
SCROLLING_BOXES_WITHOUT_A_NAME = """() => [...document.querySelectorAll('body *')].filter(e => {
    const o = getComputedStyle(e).overflowX;
    if (!(o === 'auto' || o === 'scroll') || e.scrollWidth <= e.clientWidth + 1) return false;
    const named = e.getAttribute('aria-label') || e.getAttribute('aria-labelledby');
    return !(e.getAttribute('role') === 'region' && named && e.tabIndex === 0);
  }).map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.'))"""


# The size in CSS px at which each visible chart text is drawn: its font size times the SVG's scale.
CHART_TEXT_PX = """() => [...document.querySelectorAll('svg.chart')]
  .filter(svg => svg.getClientRects().length)
  .flatMap(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')) * scale);
  })"""


def _start_demo_job(platform) -> tuple[int, threading.Event]:
    """A real background job in the demo tenant, held at 40 % until the returned event is set."""
    from sqlalchemy import select

    from kommuneki.core.models import Tenant

    with platform.db.installation_session(unscoped=True) as session:
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == "demo"))
    go = threading.Event()

    def fn(report):
        report(0.4, "Beregner verdier for 147 boliger i Storgata, Kirkeveien og Fjellveien …")
        assert go.wait(60)
        return {"message": "Ferdig."}

    job_id = jobs.start(
        platform, tenant_id, service="eiendomsskatt", title="Verdsetting av boliger", actor="test", fn=fn
    )
    return job_id, go


@pytest.mark.parametrize("demo_platform", ["sqlite"], indirect=True)  # a browser test need not run twice
def test_core_and_register_pages_reflow_at_320_px(demo_platform, page, axe_js):
    problems: dict[str, list[str]] = {}
    wide: dict[str, list[str]] = {}
    boxes: dict[str, list[str]] = {}
    ARTIFACTS.mkdir(exist_ok=True)
    job_id, go = _start_demo_job(demo_platform)

    def check(name: str, path: str | None = None) -> None:
        if path is not None:
            page.goto(base + path)
        assert page.locator("h1").count() == 1, name
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"reflow-{name}-1280.png"), full_page=True)
        page.set_viewport_size({"width": 320, "height": 800})
        page.screenshot(path=str(ARTIFACTS / f"reflow-{name}-320.png"), full_page=True)
        overflow = reflow_overflow(page)
        if overflow > 0:
            wide[name] = [f"+{overflow}px", *reflow_offenders(page)]
        page.set_viewport_size({"width": 320, "height": 800})
        unlabelled = page.evaluate(SCROLLING_BOXES_WITHOUT_A_NAME)
        if unlabelled:
            boxes[name] = unlabelled
        found = axe_problems(page, axe_js)
        if found:
            problems[name] = found
        page.set_viewport_size({"width": 1280, "height": 900})

    try:
        with serve_in_thread(demo_platform) as base:
            check("login", "/logg-inn")
            page.get_by_label("Brukernavn").fill("admin")
            page.get_by_label("Passord").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Logg inn", exact=True).click()
            page.wait_for_url(base + "/")

            check("queue", "/")
            # the menu folds into «Meny» at 320 px and opens without script
            page.set_viewport_size({"width": 320, "height": 800})
            audit_link = page.get_by_role("link", name="Revisjonslogg", exact=True)
            assert page.get_by_text("Meny", exact=True).is_visible() and audit_link.count() == 0
            page.locator("details.menu-narrow > summary").click()
            menu = page.get_by_role("navigation", name="Hovedmeny")
            assert menu.count() == 1 and menu.get_by_role("link", name="Revisjonslogg").is_visible()
            check("queue-menu-open")
            page.set_viewport_size({"width": 1280, "height": 900})
            assert page.locator("details.menu-narrow").is_hidden()
            assert menu.count() == 1 and menu.get_by_role("link", name="Revisjonslogg").is_visible()
            check("queue-all", "/?status=all")
            check("queue-empty", "/?min_sikkerhet=100&maks_sikkerhet=100&status=rejected")
            # one suggestion of each service that has any: each renders its explanation its own way
            seen = 0
            for spec in demo_platform.registry:
                page.goto(base + f"/?status=all&tjeneste={spec.name}")
                link = page.locator("table.queue a[href^='/forslag/']").first
                if link.count():
                    check(f"suggestion-{spec.name}", link.get_attribute("href"))
                    seen += 1
            assert seen >= 3, "the demo has too few services with suggestions to check"
            check("audit", "/revisjonslogg")
            check("users", "/admin/brukere")
            check("units", "/admin/enheter")
            check("policies", "/admin/automatisering")
            check("settings", "/admin/innstillinger")
            # a refused value: the form again, the message beside the field (at 320 px too)
            page.locator("#bemanning-horizon").fill("100")
            page.locator("#bemanning button[type=submit]").click()
            assert page.locator("#bemanning-horizon-error").inner_text() == "Kan ikke være mer enn 56."
            check("settings-refused")
            check("models", "/modeller")
            check("job-running", f"/jobber/{job_id}")
            go.set()
            check("register", "/ki-register")
            # postmottak: its suggestions give the monitoring page its figures and tables
            register = page.locator("table.gov-table")
            system = register.get_by_role("link", name="Postmottak", exact=True).get_attribute("href")
            system = re.match(r"/ki-register/\d+", system).group(0)
            check("register-new", "/ki-register/ny")
            check("register-system", system)
            page.get_by_role("button", name="Lag ny versjon fra registeret").click()
            page.wait_for_url("**/ki-register/dokumenter/*")
            check("register-document")
            check("register-questionnaire", system + "/klassifisering")
            check("register-monitoring", system + "/overvaking")
            page.set_viewport_size({"width": 320, "height": 800})
            sizes = page.evaluate(CHART_TEXT_PX)
            assert sizes and min(sizes) >= 11, f"chart text smaller than 11 px at 320 px: {sorted(sizes)[:5]}"
            page.set_viewport_size({"width": 1280, "height": 900})
            assert min(page.evaluate(CHART_TEXT_PX)) >= 11
            check("register-public", "/innsyn/ki/demo")
            check("register-public-nynorsk", "/innsyn/ki/nabo")  # the neighbour tenant writes nynorsk
            check("error-404", "/forslag/999999")
    finally:
        go.set()
    assert wide == {}, f"pages wider than 320 px (the elements that reach past): {wide}"
    assert boxes == {}, f"boxes that scroll sideways at 320 px but are no focusable, named region: {boxes}"
    assert problems == {}, "axe-core at 320 px:\n" + "\n".join(f"{k}: {v}" for k, v in problems.items())
