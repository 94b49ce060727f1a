"""The eiendomsskatt pages in a real headless Chromium with axe-core, on the demo platform: the valuer
signs in, uploads a sales file and a dwellings file, maps the columns in the editor (an error first,
then the fix), values (a background job: its page shows the progress until "Ferdig"), and reads the
result; no page has a serious or critical violation, and the pages
work under the app's CSP. A screenshot of each page is saved as /tmp/eiendomsskatt-<name>.png."""

from __future__ import annotations

import pytest
from tests.conftest import axe_problems, reflow_offenders, reflow_overflow, serve_in_thread

from kommuneki.demo import DEMO_PASSWORD

from .test_mapping_editor import export

SHOTS = "/tmp/eiendomsskatt-{}.png"


@pytest.mark.browser
@pytest.mark.parametrize("demo_platform", ["sqlite"], indirect=True)  # a browser test need not run twice
def test_upload_map_value_and_read_the_pages(demo_platform, page, axe_js, tmp_path):
    # `page` and `axe_js` come from tests/conftest.py (pytest-playwright with Debian Chromium): one
    # Playwright driver per process, shared with every other browser test
    sales, dwellings = export()
    (tmp_path / "salg.csv").write_bytes(sales)
    (tmp_path / "boliger.csv").write_bytes(dwellings)
    problems: dict[str, list[str]] = {}
    wide: dict[str, list[str]] = {}
    csp_errors: list[str] = []

    def check(name: str) -> None:
        assert page.locator("h1").count() == 1
        page.screenshot(path=SHOTS.format(name), full_page=True)
        found = axe_problems(page, axe_js)
        if found:
            problems[name] = found
        if reflow_overflow(page) > 0:  # WCAG 1.4.10: no wider than 320 px (tables scroll in their box)
            wide[name] = [f"+{reflow_overflow(page)}px", *reflow_offenders(page)]

    with serve_in_thread(demo_platform) as base:
        page.on(
            "console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None
        )
        page.goto(base + "/logg-inn")
        page.get_by_label("Brukernavn").fill("takst")
        page.get_by_label("Passord").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Logg inn", exact=True).click()
        page.wait_for_load_state()

        # the overview: the demo's run with its ratio study, and the upload form
        page.goto(base + "/eiendomsskatt")
        assert page.get_by_role("heading", name="Salgsforholdsstudie").count() == 1
        check("oversikt")
        # the demo queues every flagged dwelling: each opens for review from the overview (a dwelling
        # not queued gets a «Kontroller» button instead: tests/services/eiendomsskatt/test_runs_and_inputs.py)
        page.get_by_role("link", name="Behandle").first.click()
        page.wait_for_url("**/forslag/*")
        assert page.get_by_role("heading", name="Din avgjørelse").count() == 1
        check("kontroll")
        page.get_by_role("link", name="← Tilbake").click()
        page.wait_for_url("**/eiendomsskatt")

        page.get_by_label("Salg (CSV eller Excel)").set_input_files(tmp_path / "salg.csv")
        page.get_by_label("Boliger som skal verdsettes (CSV eller Excel)").set_input_files(
            tmp_path / "boliger.csv"
        )
        page.get_by_role("button", name="Sett opp kolonnene").click()
        page.wait_for_url("**/eiendomsskatt/oppsett/*")
        assert page.locator("h1").inner_text() == "Kolonneoppsett for salg.csv"
        # guessed from the names; the building type table shows for the building type column only
        assert page.get_by_label("Hva kolonnen «Pris» inneholder").input_value() == "price"
        assert page.get_by_label("Bygningstype for «Villa»").input_value() == "enebolig"
        assert page.get_by_label("Bygningstype for «Villa»").is_visible()
        assert not page.locator("fieldset", has_text="Bygningstyper i kolonnen «standard»").is_visible()
        check("oppsett")

        # an error first: the price chosen for a second column, and no sale date
        page.get_by_label("Hva kolonnen «standard» inneholder").select_option("price")
        page.get_by_role("button", name="Verdsett boligene").click()
        page.wait_for_load_state()
        summary = page.get_by_role("alert")
        assert "Velg hvilken kolonne som er salgsdato" in summary.inner_text()
        assert "Salgspris er valgt for flere kolonner" in summary.inner_text()
        std = page.get_by_label("Hva kolonnen «standard» inneholder")
        assert std.get_attribute("aria-invalid") == "true"
        assert (
            "valgt for flere kolonner"
            in page.locator("#" + std.get_attribute("aria-describedby")).inner_text()
        )
        check("oppsett-feil")

        # the fix; the sale date by keyboard: focus the select and type the start of the option's name
        std.select_option("")
        date = page.get_by_label("Hva kolonnen «Overtakelse» inneholder")
        date.focus()
        page.keyboard.type("Salgsd")
        assert date.input_value() == "sale_date"
        page.get_by_label("Datoformat for salgsdatoen").fill("%Y-%m-%d")
        page.get_by_label("Bygningstype for «Blokkleilighet»").select_option("leilighet")
        page.get_by_label("Høyere «standard» gir aldri lavere verdi").check()
        with page.expect_download() as dl:
            page.get_by_role("button", name="Last ned oppsettet (YAML)").click()
        yaml_text = open(dl.value.path(), encoding="utf-8").read()
        assert "sale_date: Overtakelse" in yaml_text and "Villa: enebolig" in yaml_text
        page.get_by_role("button", name="Verdsett boligene").click()
        # the valuation runs as a background job: its page shows the progress and, when done, the link
        page.wait_for_url("**/jobber/*")
        assert page.locator("h1").inner_text() == "Verdsetting av boliger"
        assert page.locator("progress#jobb-fremdrift").count() == 1
        assert page.locator("#jobb-steg").get_attribute("aria-live") == "polite"
        page.get_by_role("link", name="Se resultatet").wait_for(state="visible", timeout=120_000)
        assert page.locator("#jobb-tilstand").inner_text() == "Ferdig"
        assert page.locator("progress#jobb-fremdrift").get_attribute("value") == "100"
        assert "200 boliger er verdsatt" in page.locator("#jobb-steg").inner_text()
        page.screenshot(path="/tmp/jobb.png", full_page=True)
        check("jobb")
        page.get_by_role("link", name="Se resultatet").click()
        page.wait_for_url(base + "/eiendomsskatt")
        flash = page.locator(".flash.ok").inner_text()
        assert "200 boliger er verdsatt" in flash, flash
        assert page.get_by_role("link", name="som YAML").count() == 1
        # the trial is a draft: the tax list still comes from the demo's approved run
        assert "Dette er et utkast" in page.locator(".es-draft").inner_text()
        assert "Skattelisten (fra verdsetting 1)" in page.locator("#h-kjoring + ul + div + p").inner_text()
        check("resultat")

        # one owner's page of the new run (a flagged one, listed on the overview)
        page.locator("a[href^='/eiendomsskatt/bolig/']").first.click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Slik klager du").count() == 1
        assert "ikke godkjent" in page.locator(".es-draft").inner_text()
        check("bolig")
        # a person approves the new run: the tax list comes from it from now on
        page.goto(base + "/eiendomsskatt")
        page.get_by_role("button", name="Godkjenn verdsetting 2").click()
        page.wait_for_load_state()
        assert "Verdsettingen er godkjent" in page.locator(".flash.ok").inner_text()
        assert page.locator(".es-draft").count() == 0
    assert problems == {}, "axe-core found serious or critical violations:\n" + "\n".join(
        f"{k}:\n  " + "\n  ".join(v) for k, v in problems.items()
    )
    assert wide == {}, f"pages wider than 320 px: {wide}"
    assert csp_errors == []
