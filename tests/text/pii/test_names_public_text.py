"""Issue 13: name false alarms on law text — initials alone, coordinated compounds, words that never name
a person — with the shipped name model, in ``find`` and in ``tag_corpus`` (what the benchmark measures)."""

from __future__ import annotations

import pytest

from kommuneki.text.pii import names
from kommuneki.text.pii.categories import detect_categories


@pytest.mark.parametrize(
    "text, not_names",
    [
        ("Forskriften gjelder også for M. bovis og andre arter.", {"M.", "M"}),
        ("Vedlegg A gjelder fartøy under 15 meter. Se også bokstav B.", {"A", "B"}),
        ("Arbeids- og inkluderingsdepartementet fastsatte forskriften.", {"Arbeids", "Arbeids-"}),
        ("Biskopen skal forkynne Guds ord.", {"Guds"}),
    ],
)
def test_not_persons_in_law_text(text, not_names):
    found = {f.text for f in names.detect_names(text)}
    assert not found & not_names, found


def test_tag_corpus_applies_the_same_filter():
    model = names.get_model()
    if model is None:
        pytest.skip("no name model shipped")
    words = ["Forskriften", "gjelder", "M.", "bovis", "."]
    got = model.tag_corpus([words], window=0)[0]
    assert all(" ".join(words[a:b]) != "M." for a, b, _p in got)
    assert names.not_a_person_tokens(["A"], 0, 1) and not names.not_a_person_tokens(["Kari", "Hansen"], 0, 2)


@pytest.mark.parametrize(
    "text",
    [
        "Søknaden behandles av Helse og omsorg i kommunen.",
        "Helse Bergen har ansvar for spesialisthelsetjenesten.",
        "Endringer i barnevernsloven gjelder fra 1. januar.",
        "Stoffet bisfenol A (BPA) er forbudt i leker.",
    ],
)
def test_terms_inside_names_are_not_the_category(text):
    assert detect_categories(text) == []


def test_abbreviation_defined_as_the_category_still_counts():
    text = "Hun har fått brukerstyrt personlig assistanse (BPA) fra kommunen. BPA gis fem dager i uka."
    assert [f.text for f in detect_categories(text) if f.text == "BPA"]
