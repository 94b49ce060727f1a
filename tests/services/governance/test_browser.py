"""The questionnaire and the public page in headless Chromium, checked with axe-core (no serious or
critical violation), and the questionnaire filled in by hand as a person would."""

from __future__ import annotations

import pytest
from tests.conftest import axe_problems
from tests.web.conftest import login, screenshot

from .conftest import GOV_PASSWORD, GOV_USER

pytestmark = pytest.mark.browser


def test_public_pages_in_both_malformer_pass_axe(page, gov_live_server, axe_js):
    base, _platform, _ids = gov_live_server
    for slug, lang, heading in (
        ("demo", "nb", "Kunstig intelligens i Demo kommune"),
        ("nabo", "nn", "Kunstig intelligens i Nabo kommune"),
    ):
        page.goto(f"{base}/innsyn/ki/{slug}")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.get_by_role("heading", level=1).inner_text() == heading
        screenshot(page, f"governance-public-{slug}")
        assert axe_problems(page, axe_js) == [], slug


def test_questionnaire_by_keyboard_and_mouse_passes_axe(page, gov_live_server, axe_js):
    base, _platform, _ids = gov_live_server
    login(page, base, GOV_USER, GOV_PASSWORD)
    page.goto(base + "/ki-register")
    assert axe_problems(page, axe_js) == []
    page.get_by_role("link", name="Legg til et eksternt system").click()
    page.get_by_label("Navn", exact=True).fill("Vaktfordeling per ansatt")
    page.get_by_label("Formål").fill("Foreslår vakter for hver ansatt ut fra tidligere fravær")
    page.get_by_role("button", name="Legg til").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Vaktfordeling per ansatt"
    assert axe_problems(page, axe_js) == []
    page.get_by_role("link", name="spørreskjema for KI-forordningen").click()
    screenshot(page, "governance-questionnaire")
    assert axe_problems(page, axe_js) == []
    for label in ("Ja",):
        page.get_by_role("group", name="1. Er dette et KI-system?").get_by_label(label).check()
    page.get_by_label("Vi tar i bruk et system andre har laget (idriftsetter)").check()
    page.get_by_label(
        "Arbeidsliv: rekruttering, ansettelse, arbeidsvilkår, oppgavefordeling, bemanning eller "
        "oppfølging av ansatte"
    ).check()
    page.get_by_label(
        "Enkeltpersoner: systemet vurderer, rangerer, overvåker eller foreslår noe om navngitte personer"
    ).check()
    for qid, value in (
        ("narrow_task", "nei"),
        ("profiling", "ja"),
        ("interacts", "nei"),
        ("generates", "nei"),
        ("publishes_text", "nei"),
        ("emotion", "nei"),
        ("gpai", "nei"),
    ):
        page.locator(f"#q-{qid}-{value}").check()
    page.get_by_role("button", name="Klassifiser").click()
    result = page.locator("#resultat")
    assert "Høy risiko" in result.inner_text()
    assert "art. 27" in result.inner_text() and "art. 49" in result.inner_text()
    screenshot(page, "governance-questionnaire-result")
    assert axe_problems(page, axe_js) == []


def test_monitoring_and_document_pages_pass_axe(page, gov_live_server, axe_js):
    base, _platform, _ids = gov_live_server
    login(page, base, GOV_USER, GOV_PASSWORD)
    page.goto(base + "/ki-register")
    page.get_by_role("link", name="Målform", exact=True).click()
    page.get_by_role("link", name="Overvåking: volum, utfall, kalibrering og drift").click()
    assert axe_problems(page, axe_js) == []
    page.go_back()
    page.get_by_label("Dokument").select_option("dpia")
    page.get_by_role("button", name="Lag ny versjon fra registeret").click()
    assert "FYLLES UT" in page.content()
    screenshot(page, "governance-dpia")
    assert axe_problems(page, axe_js) == []
