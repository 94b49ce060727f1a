"""Issue 13: a special category counts only when tied to an identifiable natural person; organisations,
terms inside names, public roles and history are not personal circumstances. Real detectors end to end
(``detect`` → ``engine.assess``), with the true findings in case documents kept."""

from __future__ import annotations

import pytest

from kommuneki.services.skjerming import engine
from kommuneki.text.pii import detect


def withheld(text: str) -> list[tuple[str, str]]:
    a = engine.assess(text, detect(text))
    return [(x.finding.type, x.finding.text) for _i, x in a.withheld("innsyn")]


def reasons(text: str) -> dict[str, str]:
    a = engine.assess(text, detect(text))
    return {x.finding.text: x.reason for x in a.findings}


@pytest.mark.parametrize(
    "text",
    [
        "Enhet for Helse og omsorg har ansvar for tjenestene etter helse- og omsorgstjenesteloven § 3-1.",
        "Forskriften gjelder produkter som inneholder bisfenol A (BPA) og andre bisfenoler.",
        "Departementet kan i forskrift gi regler om behandling av helseopplysninger i barnevernet.",
        "Politiet opplyste at saken er overført til Sogn og Fjordane tingrett.",
        "Lov om endringer i barnevernsloven og sosialtjenesteloven trer i kraft 1. juli 2025.",
        "Helse Møre og Romsdal har åpnet en ny avdeling for psykisk helsevern i Ålesund.",
        "Tiltaket gjelder storfe smittet med M. bovis i Rogaland.",
    ],
)
def test_public_text_has_nothing_withheld(text):
    assert withheld(text) == []
    # and where the document names a private person elsewhere, the term in a name or law is still no
    # personal circumstance of theirs
    letter = "Til Kari Nordmann, Storgata 5, 0155 Oslo.\n\nVi viser til din henvendelse.\n\n" + text
    assert [x for x in withheld(letter) if x[0] == "SAERLIG_KATEGORI"] == []


def test_a_category_with_no_person_is_not_tied():
    text = "Kommunen skal ha tilbud om rusbehandling og psykisk helsevern for alle innbyggere."
    assert set(reasons(text).values()) <= {"no_person", "not_tied"}


def test_role_activity_of_a_public_person_is_not_withheld():
    text = "Ordfører Per Hansen er medlem av partiet og uttalte seg om valgkampen."
    assert withheld(text) == []
    assert reasons(text).get("medlem av partiet") == "role_activity"


def test_a_public_persons_own_health_is_still_withheld():
    text = "Ordfører Per Hansen har fått diagnosen kreft og er sykmeldt."
    got = withheld(text)
    assert ("SAERLIG_KATEGORI", "kreft") in got or any(t == "SAERLIG_KATEGORI" for t, _x in got)


def test_history_is_not_personal_circumstances():
    text = "I 1605 ble Guy Fawkes arrestert og dømt for sammensvergelsen mot kong Jakob."
    assert withheld(text) == []
    assert "historical" in reasons(text).values()


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Kari Hansen har fått diagnosen depresjon og er sykmeldt.",
            {"Kari Hansen", "depresjon", "sykmeldt"},
        ),
        ("Ole Berg mottar økonomisk sosialhjelp og har ADHD.", {"Ole Berg", "ADHD"}),
        (
            "Barnet ble plassert i beredskapshjem etter akuttvedtak. Mor, Lise Moe, har rusproblemer.",
            {"Lise Moe", "beredskapshjem", "akuttvedtak"},
        ),
    ],
)
def test_case_documents_about_private_persons_keep_their_findings(text, expected):
    got = {x for _t, x in withheld(text)}
    assert all(any(e in g or g in e for g in got) for e in expected), got


def test_party_abbreviation_and_compound_role_titles_mark_a_public_role():
    text = "Anniken Hauglie (H) sa at partiet vil kutte. Visepolitimester Bjørn Vandvik i Oslo uttalte seg."
    assert withheld(text) == []


def test_a_birth_year_does_not_make_a_case_document_history():
    assert ("SAERLIG_KATEGORI", "demens") in withheld("Ola Hansen (født 1924) har demens og bor alene.")


# --- issue 13: «alminnelig kjent», organisations, groups, titles -------------------------------------------


def test_a_well_known_person_is_alminnelig_kjent_with_the_reason_said():
    from kommuneki.services.skjerming import explain

    text = "Siv Jensen sier at Fremskrittspartiet bør ha en større ambisjon om å styre."
    a = engine.assess(text, detect(text))
    assert a.withheld("innsyn") == []
    person = next(x for x in a.findings if x.finding.type == "PERSON")
    assert person.reason == "alminnelig_kjent"
    # the proposal keeps the finding, so a person can still tick it and withhold it
    evidence = engine.proposals(text, a)[0].explanation["evidence"]
    shown = next(e for e in evidence if e["type"] == "PERSON")
    assert shown["withhold"] is False
    said = explain.describe(shown, evidence)
    assert "alminnelig kjent" in said and "fvl. § 13 a nr. 3" in said


def test_a_well_known_persons_own_health_is_still_withheld():
    got = withheld("Jens Stoltenberg har fått diagnosen kreft og er sykmeldt.")
    assert any(t == "SAERLIG_KATEGORI" for t, _x in got), got


def test_a_party_named_without_membership_is_the_organisation():
    text = "Kari Hansen sier hun mener Høyre burde gjort det bedre, men partiet mobiliserte mot slutten."
    assert [x for x in withheld(text) if x[0] == "SAERLIG_KATEGORI"] == []
    assert reasons(text)["Høyre"] == "no_membership"


def test_a_private_persons_party_membership_is_still_withheld():
    got = withheld("Kari Hansen er medlem av Høyre og mener hun ble forbigått ved ansettelsen.")
    assert ("PERSON", "Kari Hansen") in got
    assert any(t == "SAERLIG_KATEGORI" for t, _x in got)


def test_a_group_of_people_is_not_an_identifiable_person():
    text = "Kari Hansen skrev boken. Omfattende drap på jøder begynte dagen etter invasjonen."
    assert reasons(text)["jøder"] == "group"
    assert ("SAERLIG_KATEGORI", "jøder") not in withheld(text)


def test_religion_said_of_named_people_is_still_withheld():
    text = "Foreldrene til Emma Larsen er muslimer og ber om halal mat i barnehagen."
    assert ("SAERLIG_KATEGORI", "muslimer") in withheld(text)


def test_a_profession_right_before_a_name_is_a_title():
    text = "– Skaden hindrer satsing på toppnivå, sier friidrettsforbundets lege Ove Talsnes til NTB."
    assert reasons(text).get("lege") == "role_title"
    assert withheld(text) == []


def test_news_paragraph_with_public_people_is_not_withheld_whole():
    text = (
        "Janne Kroglund, vaktleder ved kriminalvakten i Oslo, sier til Fædrelandsvennen at det ennå ikke "
        "foreligger en formell anmeldelse, men at anmeldelsen skal legges inn onsdag. Da vil det også bli "
        "tatt imot forklaring, sier Kroglund."
    )
    a = engine.assess(text, detect(text))
    assert a.decision != "withhold"


@pytest.mark.parametrize(
    "text, term",
    [
        ("Det ble fattet akuttvedtak for Erna Solberg, som ble plassert i beredskapshjem.", "akuttvedtak"),
        ("Siv Jensen har fått diagnosen depresjon.", "depresjon"),
    ],
)
def test_a_name_on_the_well_known_list_with_personal_circumstances_is_withheld(text, term):
    """A list name may be a namesake: released only when nothing personal is tied to it."""
    got = withheld(text)
    assert any(t == "PERSON" for t, _x in got), got
    assert ("SAERLIG_KATEGORI", term) in got


def test_the_kommunes_own_names_are_withheld_with_personal_circumstances():
    text = "Kari Nordmann er sykmeldt med depresjon."
    a = engine.assess(text, detect(text, public_names=["Kari Nordmann"]))
    assert ("PERSON", "Kari Nordmann") in [(x.finding.type, x.finding.text) for _i, x in a.withheld("innsyn")]
    text = "Kari Nordmann orienterte kommunestyret om budsjettet."
    a = engine.assess(text, detect(text, public_names=["Kari Nordmann"]))
    assert a.withheld("innsyn") == [] and a.findings[0].reason == "alminnelig_kjent"


@pytest.mark.parametrize(
    "singular", ["Jon Moe er asylsøker og bor i kommunen.", "Asylsøker Jon Moe bor her."]
)
def test_a_singular_ending_in_er_is_no_group(singular):
    assert "group" not in reasons(singular).values()
