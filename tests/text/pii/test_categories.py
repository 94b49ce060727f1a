"""Special categories: term lists matched through lemmas, compounds and phrases; context raises scores."""

from __future__ import annotations

import pytest

from kommuneki.text.pii import CATEGORIES, Finding
from kommuneki.text.pii.categories import detect_categories, load_terms


def person(text: str, name: str, public_role: bool | None = None) -> Finding:
    s = text.index(name)
    return Finding("PERSON", s, s + len(name), name, 0.9, {"detector": "test"}, public_role=public_role)


def cats(text: str, persons=()) -> list[tuple[str, str]]:
    return [(f.category, f.text) for f in detect_categories(text, persons=list(persons))]


# (text, expected (category, matched text) when alone, reason)
CASES = [
    (
        "Han har fått diagnosene ADHD og depresjon.",
        [("HELSE", "diagnosene"), ("HELSE", "ADHD"), ("HELSE", "depresjon")],
        "inflected lemma + abbreviation",
    ),
    (
        "Ho fekk sjukdomen i fjor og har psykiske plager.",
        [("HELSE", "psykiske plager")],
        "nynorsk phrase; 'sjukdom' alone is weak and not reported",
    ),
    (
        "Saken gjelder omsorgsovertakelse og fosterhjem.",
        [("BARNEVERN", "omsorgsovertakelse"), ("BARNEVERN", "fosterhjem")],
        "barnevern terms",
    ),
    (
        "Barnevernstenesta har fått ei bekymringsmelding.",
        [("BARNEVERN", "Barnevernstenesta"), ("BARNEVERN", "bekymringsmelding")],
        "compound prefix",
    ),
    ("Familien mottar økonomisk sosialhjelp.", [("SOSIAL", "økonomisk sosialhjelp")], "phrase"),
    ("Sosialhjelpa vart stansa.", [("SOSIAL", "Sosialhjelpa")], "nynorsk definite form"),
    ("Han er muslim og fagorganisert.", [("RELIGION", "muslim"), ("FAGFORENING", "fagorganisert")], "art. 9"),
    (
        "Hun ble dømt for tyveri og sitter i varetekt.",
        [("STRAFF", "dømt for"), ("STRAFF", "tyveri"), ("STRAFF", "varetekt")],
        "art. 10, phrase",
    ),
    ("Vi må dømme etter innholdet.", [], "art. 10: 'dømme' alone is weak"),
    (
        "Vedtak om spesialundervisning etter sakkyndig vurdering fra PPT.",
        [("SKOLE", "spesialundervisning"), ("SKOLE", "sakkyndig vurdering"), ("SKOLE", "PPT")],
        "skole",
    ),
    (
        "Hun fikk en skriftlig advarsel og senere oppsigelse.",
        [("PERSONAL", "skriftlig advarsel"), ("PERSONAL", "oppsigelse")],
        "personal",
    ),
    ("Kommunen har vedtatt nytt budsjett for vei og vann.", [], "ordinary municipal text: nothing"),
    ("Vi ser med sikte på å bygge nytt.", [], "'sikte' (aim) is not 'siktet' (charged)"),
    ("Lønn og behandling av saken.", [], "weak terms alone are not reported"),
]


@pytest.mark.parametrize("text,expected,reason", CASES, ids=[c[2] for c in CASES])
def test_terms_alone(text, expected, reason):
    assert cats(text) == expected, reason


def test_name_in_same_sentence_raises_score_and_explains():
    text = "Ola Hansen har fått diagnosen schizofreni. Kommunen bygger veier."
    alone = {f.text: f for f in detect_categories(text)}
    near = {f.text: f for f in detect_categories(text, persons=[person(text, "Ola Hansen")])}
    assert alone["schizofreni"].score < 0.5 < near["schizofreni"].score
    e = near["schizofreni"].explanation
    assert e["near_person"]["text"] == "Ola Hansen" and e["proximity"] == "sentence"
    assert e["near_person"]["distance_chars"] == text.index("schizofreni") - len("Ola Hansen")
    assert "raised_by" in e


def test_weak_term_needs_a_name_and_paragraph_limits_the_window():
    text = "Kari Lie har fått redusert lønn.\n\nLønn til alle ansatte økes."
    fs = detect_categories(text, persons=[person(text, "Kari Lie")])
    assert [(f.text, f.explanation["proximity"]) for f in fs] == [("lønn", "sentence")]


def test_public_role_lowers_score():
    text = "Ordfører Kari Lie er medlem av partiet, sier hun. Per Olsen er medlem av partiet."
    kari = person(text, "Kari Lie", public_role=True)
    per = person(text, "Per Olsen")
    fs = detect_categories(text, persons=[kari, per])
    by_person = {f.explanation["near_person"]["text"]: f.score for f in fs}
    assert by_person["Kari Lie"] < by_person["Per Olsen"]


def test_term_lists_cover_every_category_and_note_their_source():
    idx = load_terms()
    found = {t.category for ts in idx.words.values() for t in ts}
    assert found == set(CATEGORIES)
    import yaml

    from kommuneki.text.pii.categories import TERMS_PATH

    raw = TERMS_PATH.read_text(encoding="utf-8")
    assert "Source:" in raw and yaml.safe_load(raw)["version"]
