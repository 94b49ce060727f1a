"""The note structurer: template sections, spoken commands, measurements with the words that gave them."""

from __future__ import annotations

import pytest

from kommuneki.services.tale.engine.note import structure
from kommuneki.services.tale.engine.numbers import normalise


@pytest.mark.parametrize(
    ("spoken", "digits"),
    [
        ("hundre og førti over nitti", "140 over 90"),
        ("trettiåtte komma fem grader", "38,5 grader"),
        ("to hundre og tjueen", "221"),
        ("ett tusen fem hundre", "1500"),
        ("Pasienten fikk en god natt", "Pasienten fikk en god natt"),
        ("fem seks ganger", "5 6 ganger"),
    ],
)
def test_spoken_numbers_are_read(spoken, digits):
    assert normalise(spoken).text == digits


@pytest.mark.parametrize(
    ("reference", "hypothesis", "same"),
    [
        ("Blodtrykket var hundre og førti over nitti.", "Blodtrykket var 140/90", True),
        ("Vi kom klokka åtte.", "vi kom kl. 8", True),
        ("Hun fikk Imovane klokka ett.", "Hun fikk imovane klokken 1.", True),
        ("Temperaturen var trettisju komma to.", "Temperaturen var 37,2", True),
        ("Vi ga en Paracet.", "Vi ga 1 Paracet.", False),  # «en» alone is the article, not a number
        ("Han gikk over veien.", "Han gikk / veien.", False),  # «over» only between two numbers
        ("Vi kom klokka åtte.", "Vi kom klokka 9.", False),
    ],
)
def test_the_wer_normalisation_is_the_stated_one_on_both_sides(reference, hypothesis, same):
    from kommuneki.services.tale.engine.wer import normalise, word_error_rate

    assert (normalise(reference) == normalise(hypothesis)) is same
    assert (word_error_rate(reference, hypothesis) == 0.0) is same


def test_headings_commands_and_fields():
    t = (
        "Pasienten sov godt i natt. Blodtrykk hundre og førti over nitti, puls åttiåtte. "
        "Temperatur trettiåtte komma fem. Tiltak: Ga Paracet fem hundre milligram klokka åtte. "
        "Evaluering. Smertene er bedre punktum Fortsetter med tiltakene."
    )
    note = structure(t, "hjemmetjenesten")
    sections = {s["name"]: s for s in note["sections"]}
    assert sections["Observasjon"]["text"].startswith("Pasienten sov godt i natt.")
    assert sections["Tiltak"]["text"] == "Ga Paracet fem hundre milligram klokka åtte."
    assert sections["Evaluering"]["text"] == "Smertene er bedre. Fortsetter med tiltakene."
    for s in note["sections"]:
        for span in s["spans"]:
            assert 0 <= span["start"] < span["end"] <= len(t)
    got = {(f["type"], str(f["value"])) for f in note["fields"]}
    assert {
        ("blodtrykk", "140/90"),
        ("puls", "88.0"),
        ("temperatur", "38.5"),
        ("legemiddel", "Paracet"),
        ("tid", "08:00"),
    } <= got
    for f in note["fields"]:
        assert t[f["start"] : f["end"]] == f["text"]
    drug = next(f for f in note["fields"] if f["type"] == "legemiddel")
    assert drug["dose"] == 500 and drug["unit"] == "mg"


def test_sentences_without_headings_are_sorted_by_cue_words():
    note = structure("Hun var urolig. Ga henne Sobril. Det virket etter en time.", "hjemmetjenesten")
    texts = {s["name"]: s["text"] for s in note["sections"]}
    assert texts == {
        "Observasjon": "Hun var urolig.",
        "Tiltak": "Ga henne Sobril.",
        "Evaluering": "Det virket etter en time.",
    }


def test_free_text_template_and_tenant_drugs():
    note = structure("Ny linje. Fikk Bjørkemedisin to tabletter.", "fritekst", drugs=["Bjørkemedisin"])
    assert [s["name"] for s in note["sections"]] == ["Notat"]
    assert note["fields"][0]["value"] == "Bjørkemedisin" and note["fields"][0]["dose"] == 2
