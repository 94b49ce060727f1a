"""The saksinnsikt pages in a real headless Chromium with axe-core: a question asked through the form,
the citation followed to the highlighted passage, no serious or critical violations, nothing blocked by
the CSP, and no horizontal scrolling at 320 px (WCAG 1.4.10 reflow)."""

from __future__ import annotations

import pytest
from tests.conftest import axe_problems, serve_in_thread

from kommuneki.services.saksinnsikt import service


@pytest.mark.browser
def test_ask_follow_the_citation_accessible_at_320px(sak_tenant, extract_dir, page, axe_js):
    platform, tid, make_user = sak_tenant
    service.import_noark(platform, tid, extract_dir, actor="test")
    make_user("sk-a11y")
    problems: dict[str, list[str]] = {}
    csp_errors: list[str] = []
    with serve_in_thread(platform) as base:
        page.on(
            "console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None
        )
        page.goto(base + "/logg-inn")
        page.get_by_label("Brukernavn").fill("sk-a11y")
        page.get_by_label("Passord").fill("passord-for-test")
        page.get_by_role("button", name="Logg inn", exact=True).click()
        page.wait_for_load_state()
        page.set_viewport_size({"width": 320, "height": 800})
        page.goto(base + "/saksinnsikt")
        problems["form"] = axe_problems(page, axe_js)
        page.get_by_label("Spørsmål eller søkeord").fill("Kan garasjen bygges nær nabogrensen?")
        page.get_by_role("button", name="Søk").click()
        page.wait_for_load_state()
        assert "nabogrensen" in page.locator("blockquote").inner_text()
        problems["answer"] = axe_problems(page, axe_js)
        page.locator("blockquote footer a").click()
        page.wait_for_load_state()
        assert "nabogrensen" in page.locator("mark#sitat").inner_text()
        problems["document"] = axe_problems(page, axe_js)
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert problems == {"form": [], "answer": [], "document": []}
    assert csp_errors == [] and not overflow
