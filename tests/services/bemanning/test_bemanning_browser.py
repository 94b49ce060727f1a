"""The bemanning pages in a real headless Chromium with axe-core: the leader uploads counts and the
minimum staffing, follows the job to "Ferdig", opens her unit: no serious or critical violation, no
CSP error, and the unit page reflows at 320 px (no horizontal page scroll; wide tables scroll on their
own). Screenshots: /tmp/bemanning-<name>.png."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.conftest import axe_problems, serve_in_thread

from kommuneki.services.bemanning.engine import generator

from .test_views import MINIMUM, PASSWORD


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # a browser test need not run twice
def test_upload_follow_the_job_and_read_the_unit(platform, page, axe_js, tmp_path):
    from kommuneki.core import accounts
    from kommuneki.core.models import User
    from kommuneki.demo import DEMO_TENANT, _ensure_tenant

    tid = _ensure_tenant(platform, DEMO_TENANT)
    with platform.db.installation_session() as session:
        uid = accounts.create_user(session, username="leder", password=PASSWORD, actor="t", via="t").id
    with platform.db.tenant_session(tid) as session:
        accounts.grant_role(session, tid, session.get(User, uid), "leder", actor="test")
    units = generator.generate(2, dt.date(2024, 11, 4), dt.date(2025, 11, 30), seed=4, staff=[30, 60])
    (tmp_path / "fravaer.csv").write_text(generator.to_csv(units))
    (tmp_path / "min.csv").write_bytes(MINIMUM)
    problems: dict[str, list[str]] = {}
    csp_errors: list[str] = []

    def check(name: str) -> None:
        assert page.locator("h1").count() == 1
        page.screenshot(path=f"/tmp/bemanning-{name}.png", full_page=True)
        found = axe_problems(page, axe_js)
        if found:
            problems[name] = found

    with serve_in_thread(platform) as base:
        page.on(
            "console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None
        )
        page.goto(base + "/logg-inn")
        page.get_by_label("Brukernavn").fill("leder")
        page.get_by_label("Passord").fill(PASSWORD)
        page.get_by_role("button", name="Logg inn", exact=True).click()
        page.wait_for_load_state()
        page.goto(base + "/bemanning")
        check("oversikt-tom")
        page.get_by_label("Fraværstall (CSV)").set_input_files(tmp_path / "fravaer.csv")
        page.get_by_label("Minimumsbemanning per vakt (CSV, valgfri)").set_input_files(tmp_path / "min.csv")
        page.get_by_role("button", name="Lag prognose", exact=True).click()
        page.wait_for_url("**/jobber/*")
        page.get_by_text("Ferdig", exact=False).first.wait_for(timeout=120_000)
        page.goto(base + "/bemanning")
        check("oversikt")
        page.get_by_role("link", name="Enhet 0001").click()
        page.wait_for_url("**/bemanning/enhet/*")
        assert page.get_by_role("img", name="Fraværsprognose for Enhet 0001").count() == 1
        check("enhet")
        page.set_viewport_size({"width": 320, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        check("enhet-320")
        # the rota repair section and its answer page, at 320 px too
        from kommuneki.services.bemanning.engine import rota as rota_engine

        (tmp_path / "turnus.csv").write_bytes(
            rota_engine.generate_rota(8, 2, seed=3, start=dt.date(2026, 3, 9))
        )
        page.goto(base + "/bemanning")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.get_by_label("Turnus (CSV)").set_input_files(tmp_path / "turnus.csv")
        page.get_by_label("Dag").fill("2026-03-12")
        page.get_by_label("Vakt (navnet i turnusen, f.eks. natt)").fill("kveld")
        page.get_by_role("button", name="Finn hvem som kan", exact=True).click()
        page.wait_for_url("**/bemanning/turnus")
        assert page.get_by_role("heading", name="Hvorfor andre ikke kan").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        check("turnus-320")
    assert not problems, problems
    assert not csp_errors, csp_errors
