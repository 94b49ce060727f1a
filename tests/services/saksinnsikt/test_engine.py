"""Saksinnsikt's pure parts: passages keep exact offsets and never exceed 800 characters; BM25 with
Norwegian stemming; a mask keeps unreadable passages out of every ranking; answers are spans, never
invented; fusion is deterministic."""

from __future__ import annotations

import numpy as np
import pytest
from tests.conftest import require

from kommuneki.services.saksinnsikt.engine import fusion
from kommuneki.services.saksinnsikt.engine.answer import extract_answer
from kommuneki.services.saksinnsikt.engine.lexical import LexicalIndex, tokens
from kommuneki.services.saksinnsikt.engine.passages import MAX_CHARS, split_passages
from kommuneki.services.saksinnsikt.engine.search import Corpus, QueryError

LONG = (
    "Søknaden om dispensasjon fra byggegrensen mot vei innvilges. "
    + " ".join(f"Setning nummer {i} handler om garasjen og nabogrensen i saken." for i in range(60))
    + "\n\n"
    + "Ordet"
    + "x" * 900
    + " slutt."
)


def test_passages_cover_the_text_with_exact_offsets_and_at_most_800_chars():
    passages = split_passages(LONG)
    assert len(passages) > 3
    for p in passages:
        assert 0 < len(p.text) <= MAX_CHARS
        assert LONG[p.start : p.end] == p.text
    covered = set()
    for p in passages:
        covered.update(range(p.start, p.end))
    visible = {i for i, c in enumerate(LONG) if not c.isspace()}
    assert visible <= covered  # nothing but whitespace is left out


def test_page_numbers_follow_the_page_starts():
    text = "Første side handler om vann.\n\nAndre side handler om avløp."
    second = text.index("Andre")
    short = split_passages(text, [0, second])
    assert short[0].page == 1
    pages = {p.page for p in split_passages("A. " * 400 + "\n\n" + "B. " * 400, [0, 1202])}
    assert pages == {1, 2}


def test_norwegian_stemming_joins_inflected_forms():
    assert tokens("søknadene") == tokens("søknaden") == tokens("søknad")
    assert tokens("og i på") == []


def test_bm25_ranks_the_passage_with_the_rare_word_and_the_mask_hides_it():
    index = LexicalIndex(["Skjenkebevilling ble avslått.", "Byggesøknad innvilget.", "Søknad om barnehage."])
    top = index.top("skjenkebevillingen", 3)
    assert top[0][0] == 0 and all(score > 0 for _, score in top)
    masked = index.top("skjenkebevillingen", 3, mask=np.array([False, True, True]))
    assert all(i != 0 for i, _ in masked)


def test_answer_is_a_span_of_a_passage_or_nothing():
    texts = ["Kommunen avslo søknaden. Skjenkebevilling krever bestått kunnskapsprøve.", "Annet tema."]
    index = LexicalIndex(texts)
    a = extract_answer("Hva krever skjenkebevilling?", [(texts[0], 100)], index.idf)
    assert a is not None and a.text == "Skjenkebevilling krever bestått kunnskapsprøve."
    assert texts[0][a.start - 100 : a.end - 100] == a.text
    assert extract_answer("Når åpner svømmehallen?", [(texts[0], 0)], index.idf) is None


def test_rrf_is_deterministic_and_rewards_agreement():
    fused = fusion.rrf([(1, 9.0), (2, 5.0)], [(2, 0.9), (3, 0.8)], 3)
    assert fused[0][0] == 2
    assert fused == fusion.rrf([(1, 9.0), (2, 5.0)], [(2, 0.9), (3, 0.8)], 3)


@pytest.mark.parametrize("query", ["", "   ", "x" * 10_000, None])
def test_empty_or_huge_queries_are_refused_in_norwegian(query):
    with pytest.raises(QueryError, match="Spørsmålet"):
        Corpus(["tekst"]).search(query)


def _need_apertium():
    from kommuneki.services.saksinnsikt.engine import nynorsk

    require(nynorsk.available(), "Apertium nno→nob", "apt install apertium-nno-nob")


def test_a_nynorsk_question_finds_the_bokmal_passage_through_its_translation():
    _need_apertium()
    from kommuneki.services.saksinnsikt.engine import nynorsk

    assert "Hvordan" in nynorsk.to_bokmal("Korleis er nattogtilbodet i dag?")
    texts = [
        "Nattogtilbudet i dag er begrenset til to avganger i uken mellom Oslo og Bergen.",
        "I dag har kommunen vedtatt ny plan for kollektivtrafikk, og hver dag går det busser i sentrum.",
    ]
    question = "Korleis er nattogtilbodet i dag?"
    assert LexicalIndex(texts, translate_queries=False).top(question, 2)[0][0] == 1  # only «dag» matches
    assert LexicalIndex(texts).top(question, 2)[0][0] == 0


def test_a_bokmal_question_is_never_translated_and_scores_as_before():
    from kommuneki.services.saksinnsikt.engine.lexical import looks_nynorsk, query_tokens

    question = "Hvordan er nattogtilbudet i dag?"
    assert not looks_nynorsk(question)
    assert query_tokens(question) == query_tokens(question, translate=False) == tokens(question)


def test_without_apertium_the_question_is_searched_as_written(tmp_path):
    from kommuneki.services.saksinnsikt.engine.nynorsk import Translator

    missing = Translator(tmp_path / "no-such-pair")
    assert not missing.available()
    assert missing.to_bokmal("Korleis er nattogtilbodet i dag?") is None


def test_a_broken_translator_gives_the_question_as_written_and_logs(tmp_path, caplog):
    _need_apertium()
    from kommuneki.services.saksinnsikt.engine.nynorsk import Translator

    (tmp_path / "nno-nob.autobil.bin").write_bytes(b"not a transducer")
    broken = Translator(tmp_path)
    assert broken.available()
    assert broken.to_bokmal("Korleis er nattogtilbodet i dag?") is None
    assert "translation failed" in caplog.text
    broken.close()
