"""The AI Act questionnaire and rules: table-driven, each case with the reason it must come out so."""

from __future__ import annotations

import pytest

from kommuneki.core.errors import InvalidInput
from kommuneki.services.governance import aiact

RULES = aiact.load_rules()
BASE = {
    "ki_system": "ja",
    "role": "idriftsetter",
    "prohibited": [],
    "area": "annet",
    "individual": "aggregert",
    "narrow_task": "nei",
    "profiling": "nei",
    "interacts": "nei",
    "generates": "nei",
    "publishes_text": "nei",
    "emotion": "nei",
    "gpai": "nei",
    "public_body": "ja",
}


def run(**over):
    return aiact.classify(RULES, {**BASE, **over})


def articles(result):
    return [a["article"] for a in result["articles"]]


def points(result):
    return [p["point"] for p in result["annex_iii"]]


def test_citizen_chatbot_has_transparency_duties_but_is_not_high_risk():
    # A chatbot on the kommune's web pages: talks with citizens (art. 50(1)), generates text (50(2)),
    # gives general information, decides nothing about anyone.
    r = aiact.classify(RULES, aiact.EXAMPLES["innbyggerchatbot"])
    assert r["risk_class"] == "begrenset"
    assert "art. 50(1)" in articles(r)
    assert not points(r)
    assert not {"art. 26", "art. 27", "art. 49"} & set(articles(r))
    duty = next(a for a in r["articles"] if a["article"] == "art. 50(1)")
    assert duty["source"] == "KI-forordningen art. 50 nr. 1" and duty["applies_from"] == "2026-08-02"


def test_property_tax_valuation_is_not_annex_iii_point_5a():
    # Valuing each dwelling for eiendomsskatt is about individual owners, made by the kommune as provider,
    # but setting tax is not "eligibility for public assistance benefits and services" (point 5a).
    r = run(role="tilbyder", area="skatt", individual="enkeltpersoner")
    assert r["risk_class"] != "hoy"
    assert "5a" not in points(r) and not points(r)
    assert any("nr. 5 bokstav a" in n["source"] for n in r["notes"])


def test_absence_forecast_per_unit_is_not_high_risk():
    # Forecasting sick leave per unit (aggregates) does not evaluate or monitor individual employees.
    r = run(role="tilbyder", area="arbeid", individual="aggregert")
    assert r["risk_class"] == "minimal"
    assert "4" not in points(r)
    assert any("nr. 4" in n["source"] for n in r["notes"])


def test_evaluating_or_monitoring_individual_employees_is_high_risk_annex_iii_point_4():
    # The same area, but results about named employees: annex III point 4 (b).
    r = run(area="arbeid", individual="enkeltpersoner", profiling="ja")
    assert r["risk_class"] == "hoy"
    assert points(r) == ["4"]
    # a public body deploying a high-risk system: FRIA (art. 27) and EU database registration (art. 49)
    assert {"art. 26", "art. 27", "art. 49", "art. 86", "art. 4"} <= set(articles(r))


@pytest.mark.parametrize(
    "over, risk, must_have, must_not",
    [
        # benefits eligibility about individuals, deployed by a kommune: 5a, FRIA and registration
        (dict(area="ytelser", individual="enkeltpersoner"), "hoy", {"art. 26", "art. 27", "art. 49"}, set()),
        # the same system in a private company: no FRIA duty (art. 27 is for public bodies and some others)
        (
            dict(area="ytelser", individual="enkeltpersoner", public_body="nei"),
            "hoy",
            {"art. 26"},
            {"art. 27"},
        ),
        # the kommune built it itself: provider duties, and as a user also deployer duties
        (
            dict(area="ytelser", individual="enkeltpersoner", role="tilbyder"),
            "hoy",
            {"art. 9-15", "art. 43", "art. 49", "art. 27"},
            set(),
        ),
        # a narrow preparatory task that does not profile people: art. 6(3) exception, not high-risk
        (
            dict(area="ytelser", individual="enkeltpersoner", narrow_task="ja"),
            "minimal",
            {"art. 6(3)"},
            {"art. 27"},
        ),
        # ... but profiling makes it high-risk again (art. 6(3) last subparagraph)
        (
            dict(area="ytelser", individual="enkeltpersoner", narrow_task="ja", profiling="ja"),
            "hoy",
            {"art. 27"},
            set(),
        ),
        # social scoring: prohibited (art. 5), nothing else matters
        (dict(prohibited=["sosial_poengsetting"], area="ytelser"), "forbudt", {"art. 5"}, {"art. 26"}),
        # emergency call triage (legevakt): annex III 5d even without individual profiling
        (dict(area="nod"), "hoy", {"art. 27"}, set()),
        # the kommune offers a general-purpose model itself: chapter V duties
        (dict(gpai="tilbyr_modell"), "minimal", {"art. 53"}, set()),
        # generated text published without editorial review: art. 50(4)
        (dict(generates="ja", publishes_text="ja"), "begrenset", {"art. 50(2)", "art. 50(4)"}, set()),
    ],
)
def test_rules_table(over, risk, must_have, must_not):
    r = run(**over)
    assert r["risk_class"] == risk
    assert must_have <= set(articles(r)), articles(r)
    assert not must_not & set(articles(r))


def test_not_an_ai_system_is_out_of_scope_and_needs_no_other_answers():
    r = aiact.classify(RULES, {"ki_system": "nei"})
    assert r["risk_class"] == "utenfor" and r["articles"] == []


def test_incomplete_or_invalid_answers_are_refused_in_norwegian():
    with pytest.raises(InvalidInput, match="Svar på spørsmålet"):
        aiact.classify(RULES, {"ki_system": "ja"})
    with pytest.raises(InvalidInput, match="Ugyldig svar"):
        run(area="romfart")
    with pytest.raises(InvalidInput, match="Ukjente spørsmål"):
        run(typo="ja")


def test_every_article_and_date_has_a_source_and_moving_dates_are_marked_check():
    for key, art in RULES.data["articles"].items():
        assert art["source"], key
        assert art["applies_from"] in RULES.data["dates"], key
    for key, d in RULES.data["dates"].items():
        assert d["source"] and d["date"], key
    # the Digital Omnibus postponement is reported, not verified: it must be marked for checking
    assert RULES.data["dates"]["annex_iii"]["check"] is True
    assert RULES.data["pending"] and all(c["check"] and c["source"] for c in RULES.data["pending"])
    r = run(area="arbeid", individual="enkeltpersoner")
    assert all(a["check"] for a in r["articles"] if a["article"] in ("art. 26", "art. 27"))


def test_result_records_the_rules_file_it_used():
    r = run()
    assert r["rules_sha256"] == RULES.sha256 and len(r["rules_sha256"]) == 64
