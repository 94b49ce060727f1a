"""Extractive answers: the sentence of the retrieved passages that best covers the question's words.

Never invents: the answer is a span of one retrieved passage, with its citation. When no sentence covers
enough of the question (weighted by how rare each word is), there is no answer and the caller says
:data:`NO_ANSWER`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .lexical import tokens
from .passages import sentences

NO_ANSWER = "Fant ikke svar i dokumentene."
#: Share of the question's (idf-weighted) words a sentence must hold to be an answer.
MIN_COVERAGE = 0.35
#: How many of the best passages are read for an answer.
PASSAGES_READ = 3


@dataclass(frozen=True)
class Answer:
    passage: int  # position in the ranked list given
    start: int  # offsets into the passage's document text
    end: int
    text: str
    coverage: float


def extract_answer(
    question: str,
    ranked: Sequence[tuple[str, int]],
    idf: Callable[[str], float],
    *,
    min_coverage: float = MIN_COVERAGE,
) -> Answer | None:
    """``ranked``: (passage text, its start offset in the document), best first. The answer's offsets are
    document offsets; its text is the passage's own characters."""
    wanted = {t: idf(t) for t in set(tokens(question))}
    wanted = {t: w for t, w in wanted.items() if w > 0}
    total = sum(wanted.values())
    if not total:
        return None
    best: Answer | None = None
    best_score = 0.0
    for rank, (text, offset) in enumerate(ranked[:PASSAGES_READ]):
        for s, e in sentences(text):
            found = set(tokens(text[s:e]))
            coverage = sum(w for t, w in wanted.items() if t in found) / total
            # a small preference for better-ranked passages breaks near-ties
            score = coverage - 0.03 * rank
            if coverage >= min_coverage and score > best_score:
                best_score = score
                best = Answer(rank, offset + s, offset + e, text[s:e], round(coverage, 4))
    return best
