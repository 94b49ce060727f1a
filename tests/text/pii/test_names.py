"""The shipped person-name model: loading, spans, public-role signal, the model card, a NorNE sample."""

from __future__ import annotations

import subprocess
import sys

import jsonschema
import pytest

from kommuneki.core.modelreg import MODEL_CARD_SCHEMA
from kommuneki.text.pii import MODEL_NAME, MODEL_VERSION, detect, evaluation, model_card, names
from tests.conftest import SHARED, require


@pytest.fixture(scope="module")
def model():
    require(names.MODEL_PATH.exists(), "the shipped name model", "run scripts/train_names.py")
    m = names.get_model()
    assert m is not None
    return m


def test_tokenize_offsets_and_initials():
    text = "Sven O. Høiby og ordfører Kari Nordmann-Hansen, f.eks. i dag. Dr. Olsen kom."
    toks = names.tokenize(text)
    assert all(text[s:e] == w for w, s, e in toks)
    words = [w for w, _, _ in toks]
    assert "O." in words and "Nordmann-Hansen" in words and "f.eks." in words and "Dr." in words
    sents = names.sentences(toks, text)
    assert [w for w, _, _ in sents[1]][:2] == ["Dr.", "Olsen"]


def test_names_found_with_offsets_and_public_role(model):
    text = (
        "Ordfører Kari Nordmann svarte på brevet fra Ola Hansen om skoleskyss.\n"
        "Hansen mener at kommunen har gjort feil."
    )
    fs = [f for f in detect(text) if f.type == "PERSON"]
    got = {f.text: f for f in fs}
    assert "Kari Nordmann" in got and "Ola Hansen" in got, [f.text for f in fs]
    assert got["Kari Nordmann"].public_role is True
    assert got["Kari Nordmann"].explanation["role_word"] == "Ordfører"
    assert got["Ola Hansen"].public_role is None
    for f in fs:
        assert text[f.start : f.end] == f.text and 0 < f.score <= 1
        assert f.explanation["detector"] == "crf_names"


def test_common_words_are_not_names(model):
    text = "Kommunestyret vedtok budsjettet for 2026. Planen legges ut til offentlig ettersyn i Lillestrøm."
    assert [f.text for f in detect(text) if f.type == "PERSON"] == []


def test_names_switch_off():
    assert [f for f in detect("Ola Hansen bor her.", names=False) if f.type == "PERSON"] == []


def test_fast_mode_also_finds_names(model):
    model.fast = True
    try:
        fs = model.find("Statsminister Jonas Gahr Støre møtte Erna Solberg i går.")
    finally:
        model.fast = False
    assert {f.text for f in fs} >= {"Jonas Gahr Støre", "Erna Solberg"}
    assert all(f.explanation["mode"] == "fast" for f in fs)


def test_model_card_matches_registry_schema(model):
    card = model_card()
    jsonschema.validate(card, MODEL_CARD_SCHEMA)
    assert card["name"] == MODEL_NAME and card["version"] == MODEL_VERSION
    assert card["training_data"]["personal_data"] is True  # NorNE names are in the weights
    assert set(card["metrics"]) >= {"nob_dev", "nno_dev"}
    assert len(card["training_data"]["files_sha256"]["nob/train"]) == 64


def test_import_is_light():
    code = (
        "import sys, kommuneki.text.pii as d; from kommuneki.text.pii "
        "import names; print('pycrfsuite' in sys.modules, names._model is None)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "True"]  # the model loads on first use, not at import


def test_norne_dev_sample(model):
    path = SHARED / "data" / "norne" / "nob" / "dev.tsv"
    require(path.exists(), "NorNE", "../shared/data/norne")
    sents = evaluation.read_conll(path)[:300]
    pred = iter(model.tag_corpus([[t for t, _ in s] for s in sents]))
    m = evaluation.metrics(evaluation.count(sents, lambda w: names.iter_names(next(pred))))
    base = evaluation.metrics(evaluation.count(sents, evaluation.capitalisation_baseline))
    assert m["gold"] > 50
    assert m["exact"]["f2"] > base["exact"]["f2"] + 0.1, (m, base)


def test_propagate_marks_a_later_mention_of_a_found_name():
    words = [
        ["Kari", "Viken", "søkte", "om", "plass", "."],
        ["Viken", "fikk", "svar", "fra", "Viken", "kommune", "."],
        ["Det", "regnet", "."],
    ]
    tagged = [[(0, 2, 0.9)], [], []]
    added = names.propagate(words, tagged, None, frozenset({"det"}))
    assert added[0] == []
    assert added[1] == [(0, 1, pytest.approx(0.72), "Kari Viken"), (4, 5, pytest.approx(0.72), "Kari Viken")]
    assert added[2] == []
    # Only names of two tokens or more give their forms when asked; a window limits "the document".
    assert names.propagate(words, [[(0, 1, 0.9)], [], []], None, None, min_source_tokens=2) == [[], [], []]
    far = [["Kari", "Viken", "."], ["x"], ["x"], ["Viken", "."]]
    assert names.propagate(far, [[(0, 2, 0.9)], [], [], []], 1)[3] == []
    assert names.propagate(far, [[(0, 2, 0.9)], [], [], []], 3)[3] == [
        (0, 1, pytest.approx(0.72), "Kari Viken")
    ]


def test_propagate_skips_a_common_word_at_sentence_start_and_extends_touching_spans():
    words = [
        ["Berg", "og", "Eva", "Strand", "møttes", "."],
        ["Strand", "var", "stengt", "."],
        ["Eva", "Strand", "kom", "."],
    ]
    added = names.propagate(words, [[(2, 4, 0.9)], [], [(0, 1, 0.6)]], None, frozenset({"strand"}))
    assert added[1] == []  # "Strand" first in the sentence and a common word
    assert added[2] == [(1, 2, pytest.approx(0.72), "Eva Strand")]
    assert names.merge_spans([(0, 1, 0.6)], added[2]) == [(0, 2, 0.6, None)]  # one name, the tagged score
    assert names.merge_spans([(3, 4, 0.6)], added[2]) == [
        (1, 2, pytest.approx(0.72), "Eva Strand"),
        (3, 4, 0.6, None),
    ]


def test_propagated_mention_is_explained(model, monkeypatch):
    # At a threshold of 0.99 the model tags the full name (P = 1.0) but not the later surname alone
    # (P = 0.96): only the document-level step finds it.
    text = "Søknaden fra Ingrid Haugerud er mottatt.\n\nDet ble avklart i møtet at Haugerud hadde rett."
    monkeypatch.setattr(model, "propagation", None)
    assert [f.text for f in model.find(text, threshold=0.99)] == ["Ingrid Haugerud"]
    monkeypatch.setattr(model, "propagation", {"min_source_tokens": 2})
    found = model.find(text, threshold=0.99)
    assert [f.text for f in found] == ["Ingrid Haugerud", "Haugerud"]
    later = found[1]
    assert text[later.start : later.end] == "Haugerud" and later.start > text.index("møtet")
    assert later.explanation["detector"] == "crf_names+document"
    assert later.explanation["same_name_as"] == "Ingrid Haugerud"
    assert later.score == pytest.approx(0.8 * found[0].score, abs=1e-3)
    assert "probability" not in later.explanation  # not the model's probability for this mention
    assert later.explanation["source_probability"] == pytest.approx(found[0].score, abs=1e-3)
    assert "Samme navn som «Ingrid Haugerud»" in later.explanation["reason"]
