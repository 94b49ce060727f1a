"""Person names, document propagation: a capitalised word form that is part of a name found elsewhere
in the document is marked as a name where it stands untagged. Part of :mod:`kommuneki.text.pii.names`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .names_features import OPENERS

PROPAGATE_FACTOR = 0.8  # score of a name mention found only through another mention of the same name


def _name_form(w: str) -> bool:
    """A token that can carry a name from one mention to another: capitalised letters (hyphen allowed)."""
    return len(w) > 1 and w[:1].isupper() and not w.isupper() and w.replace("-", "").isalpha()


def propagate(
    sent_words: Sequence[Sequence[str]],
    sent_spans: Sequence[Sequence[tuple[int, int, float]]],
    window: int | None = None,
    common: Any = None,
    min_source_tokens: int = 1,
    min_source_score: float = 0.0,
    block_before_capital: bool = False,
    factor: float = PROPAGATE_FACTOR,
) -> list[list[tuple[int, int, float, str]]]:
    """Document-level consistency: a capitalised word form that is part of a name found elsewhere in the
    document ("Kari Viken ... Viken sa") is marked as a name where it stands untagged.

    ``sent_spans`` are the tagged spans per sentence; ``window`` limits "the document" to that many
    sentences either side (NorNE has no document marks), None is the whole document. ``common``: a
    container of lower-case common words; a sentence-initial token in it is not marked. Only names of at
    least ``min_source_tokens`` tokens and a score of at least ``min_source_score`` give their forms. With
    ``block_before_capital`` a mention followed by a capitalised word that is not part of the source name
    is left alone (it is likely part of another name: "Farstad Shipping", "Radio Rauland"). Returns the
    added spans per sentence as (start, end, score, the source name); the caller merges them
    (``merge_spans``)."""
    n = len(sent_words)
    sources: list[dict[str, tuple[float, str]]] = []
    for words, spans in zip(sent_words, sent_spans, strict=False):
        got: dict[str, tuple[float, str]] = {}
        for a, b, p in spans:
            if b - a < min_source_tokens or p < min_source_score:
                continue
            name = " ".join(words[a:b])
            for w in words[a:b]:
                if _name_form(w) and p > got.get(w, (0.0, ""))[0]:
                    got[w] = (p, name)
        sources.append(got)
    if not any(sources):
        return [[] for _ in range(n)]
    whole: dict[str, tuple[float, str]] = {}
    if window is None:
        for got in sources:
            for w, v in got.items():
                if v[0] > whole.get(w, (0.0, ""))[0]:
                    whole[w] = v
    out: list[list[tuple[int, int, float, str]]] = []
    for i, (words, spans) in enumerate(zip(sent_words, sent_spans, strict=False)):
        if window is None:
            pool = whole
        else:
            pool = {}
            for got in sources[max(0, i - window) : i + window + 1]:
                for w, v in got.items():
                    if v[0] > pool.get(w, (0.0, ""))[0]:
                        pool[w] = v
        inside = set()
        for a, b, _ in spans:
            inside.update(range(a, b))
        added: list[tuple[int, int, float, str]] = []
        for k, w in enumerate(words):
            if k in inside or w not in pool:
                continue
            if (k == 0 or words[k - 1] in OPENERS) and common is not None and w.lower() in common:
                continue
            p, name = pool[w]
            if added and added[-1][1] == k:
                a0, _, p0, n0 = added[-1]
                added[-1] = (a0, k + 1, max(p0, p * factor), n0)
            else:
                added.append((k, k + 1, p * factor, name))
        if block_before_capital:
            added = [
                x
                for x in added
                if not (x[1] < len(words) and words[x[1]][:1].isupper() and words[x[1]] not in x[3].split())
            ]
        out.append(added)
    return out
