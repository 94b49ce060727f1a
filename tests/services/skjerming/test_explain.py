"""Explanations in words on the document page: every finding of a realistic letter gets a Norwegian
sentence built from its detector's structured explanation and the engine's reason."""

from __future__ import annotations

import pytest

from kommuneki.services.skjerming import engine, explain
from kommuneki.text.pii import detect, names

LETTER = (
    "Vedtak om støtte\n\n"
    "Søker: Kari Nordmann, fødselsnummer 26078704828, Storgata 5, 0155 OSLO. Telefon 912 34 567, "
    "e-post kari@example.no.\n\n"
    "Kari Nordmann har vært sykmeldt på grunn av depresjon. Eiendommen gnr. 12 bnr. 34 er hennes.\n\n"
    "Ordfører Ola Hansen har bedt om en orientering. Utbetaling til kontonummer 1234.56.78903.\n\n"
    "Kommunen, org.nr. 974 760 673, behandler saken."
)


@pytest.fixture(scope="module")
def described():
    if names.get_model() is None:
        pytest.fail("the shipped name model is missing: run scripts/train_names.py")
    a = engine.assess(LETTER, detect(LETTER))
    findings = [x.as_dict(i) for i, x in enumerate(a.findings)]
    return {(f["type"], f["text"]): explain.describe(f, findings) for f in findings}


def test_every_finding_is_explained_in_norwegian(described):
    assert len(described) >= 9
    for key, text in described.items():
        assert text.endswith("."), (key, text)
        for english in ("raised_by", "lowered_by", "detector", "pattern", "probability", "name in"):
            assert english not in text, (key, text)


def test_each_detector_in_words(described):
    assert described[("FODSELSNUMMER", "26078704828")] == (
        "Gyldig fødselsnummer etter dagens regel; ord i nærheten: «fødselsnummer». "
        "Identitetsnummer foreslås alltid skjermet."
    )
    person = described[("PERSON", "Kari Nordmann")]
    assert person.startswith("Navnemodellen: sannsynlighet ") and "Knyttet til personlige forhold" in person
    assert "nr. " in person and "«depresjon»" in person  # the linked finding, by number
    mayor = described[("PERSON", "Ola Hansen")]
    assert "rolleordet «Ordfører» står ved navnet" in mayor
    health = described[("SAERLIG_KATEGORI", "depresjon")]
    assert health.startswith("Ord fra listen for helse: «depresjon», i samme setning som «Kari Nordmann»")
    assert described[("ORGNR", "974 760 673")].startswith(
        "9 siffer (3 3 3); en organisasjon, ikke en person; ord i nærheten: «org.nr»."
    )
    assert described[("GNR_BNR", "gnr. 12 bnr. 34")].startswith("Gårds- og bruksnummer.")


def test_propagated_name_says_where_the_name_came_from():
    f = {
        "type": "PERSON",
        "text": "Viken",
        "index": 1,
        "reason": "not_linked",
        "linked_to": [],
        "explanation": {"detector": "crf_names+document", "same_name_as": "Kari Viken", "probability": 0.8},
    }
    assert explain.describe(f, [f]) == (
        "Samme navn som «Kari Viken» et annet sted i dokumentet. "
        "Ikke knyttet til personlige forhold i dokumentet."
    )
