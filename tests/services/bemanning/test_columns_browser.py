"""Bemanning's column editor in a real headless Chromium with axe-core, at 1280 and 320 px: an HR export
with its own column names goes through the editor without JavaScript doing any of the work (the errors
are tied to their fields, the absence codes are mapped, the file is chosen again), then imports. No
serious or critical violation, no CSP error, no horizontal page scroll at 320 px, no person on the
page. Screenshots: /tmp/bemanning-oppsett-<name>.png."""

from __future__ import annotations

import pytest
from tests.conftest import axe_problems, serve_in_thread

from .test_columns import EXPORT, PERSONS
from .test_views import PASSWORD


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # a browser test need not run twice
@pytest.mark.parametrize("width", [1280, 320])
def test_the_absence_export_through_the_column_editor(platform, page, axe_js, tmp_path, width):
    from kommuneki.core import accounts
    from kommuneki.core.models import User
    from kommuneki.demo import DEMO_TENANT, _ensure_tenant

    tid = _ensure_tenant(platform, DEMO_TENANT)
    with platform.db.installation_session() as session:
        uid = accounts.create_user(session, username="leder", password=PASSWORD, actor="t", via="t").id
    with platform.db.tenant_session(tid) as session:
        accounts.grant_role(session, tid, session.get(User, uid), "leder", actor="test")
    export = tmp_path / "eksport.csv"
    export.write_bytes(EXPORT)
    problems: dict[str, list[str]] = {}
    csp_errors: list[str] = []

    def check(name: str) -> None:
        assert page.locator("h1").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert not any(person in page.content() for person in PERSONS)
        page.screenshot(path=f"/tmp/bemanning-oppsett-{name}-{width}.png", full_page=True)
        found = axe_problems(page, axe_js)
        if found:
            problems[name] = found

    page.set_viewport_size({"width": width, "height": 900})
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
        page.get_by_label("Fraværsperioder (CSV)").set_input_files(export)
        page.get_by_role("button", name="Importer og lag prognose").click()
        page.wait_for_url("**/bemanning/fravaer")
        assert page.locator("h1").inner_text() == "Kolonneoppsett for eksport.csv"
        summary = page.get_by_role("alert")
        assert "Velg hvilken kolonne som er person (ansattnummer eller navn)" in summary.inner_text()
        check("feil")
        for name, field in (
            ("Ident", "Person (ansattnummer eller navn) (påkrevd)"),
            ("Arbeidssted", "Enhet (påkrevd)"),
            ("Start", "Fra dato (påkrevd)"),
            ("Slutt", "Til dato (påkrevd)"),
            ("Kode", "Fraværstype (påkrevd)"),
        ):
            page.get_by_label(f"Hva kolonnen «{name}» inneholder").select_option(label=field)
        page.get_by_label("Datoformat for fra- og til-datoene").fill("%d.%m.%Y")
        page.get_by_label("Velg fraværsfilen igjen (CSV eller Excel)").set_input_files(export)
        page.get_by_role("button", name="Importer og lag prognose").click()
        page.wait_for_load_state()
        # the codes are the export's own: she says what each one is
        kode = page.get_by_label("Hva kolonnen «Kode» inneholder")
        error = page.locator("#" + kode.get_attribute("aria-describedby"))
        assert "Velg hva verdien «BARN»" in error.inner_text()
        assert page.get_by_label("Fraværstype for «EGM»").is_visible()
        check("typer")
        for code, label in (
            ("BARN", "Sykt barn"),
            ("EGM", "Egenmeldt"),
            ("FER", "Planlagt (ferie, permisjon): telles ikke"),
            ("SYK", "Legemeldt (sykmelding)"),
        ):
            page.get_by_label(f"Fraværstype for «{code}»").select_option(label=label)
        page.get_by_label("Velg fraværsfilen igjen (CSV eller Excel)").set_input_files(export)
        page.get_by_role("button", name="Importer og lag prognose").click()
        page.wait_for_url("**/jobber/*")
        page.get_by_text("Ferdig", exact=False).first.wait_for(timeout=120_000)
    assert not problems, problems
    assert not csp_errors, csp_errors
