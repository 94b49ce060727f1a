"""One searchable corpus of passages: BM25, dense and their fusion, and the extractive answer.

Used by the CLI over files (no database) and by the stored index of a tenant alike. A ``mask`` (booleans
per passage) limits every ranking to the passages the caller may read, before anything is counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import dense, fusion
from .answer import Answer, extract_answer
from .lexical import LexicalIndex, top_k

METHODS = ("hybrid", "bm25", "dense")
MAX_QUERY_CHARS = 2000
#: Each ranking fused reads this many candidates (or k, if larger).
FUSION_DEPTH = 100


class QueryError(ValueError):
    """A query that cannot be run; the message is Norwegian."""


def check_query(query: object) -> str:
    if not isinstance(query, str):
        raise QueryError("Spørsmålet må være tekst.")
    text = query.strip()
    if not text:
        raise QueryError("Spørsmålet er tomt.")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"Spørsmålet er for langt ({len(text)} tegn; grensen er {MAX_QUERY_CHARS}).")
    return text


@dataclass
class Hit:
    index: int
    score: float


class Corpus:
    def __init__(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> None:
        self.texts = list(texts)
        self.lexical = LexicalIndex(self.texts)
        self.set_vectors(vectors)

    def set_vectors(self, vectors: np.ndarray | None) -> None:
        """Dense vectors, one row per passage; a row of zeros is a passage not embedded yet (it never
        ranks in dense, and BM25 still finds it)."""
        self.vectors = vectors
        self.has_vector = (
            np.any(vectors != 0, axis=1) if vectors is not None and len(vectors) else np.zeros(0, bool)
        )

    def __len__(self) -> int:
        return len(self.texts)

    def search(
        self, query: str, k: int = 10, method: str = "hybrid", mask: np.ndarray | None = None
    ) -> list[Hit]:
        query = check_query(query)
        if method not in METHODS:
            raise QueryError(f"Ukjent metode «{method}» (bruk hybrid, bm25 eller dense).")
        if method == "bm25" or self.vectors is None or not self.has_vector.any():
            return [Hit(i, s) for i, s in self.lexical.top(query, k, mask)]
        dmask = self.has_vector if mask is None else (mask & self.has_vector)
        dense_hits = dense.top(self.vectors, dense.embed_query(query), max(k, FUSION_DEPTH), dmask)
        if method == "dense":
            return [Hit(i, s) for i, s in dense_hits[:k]]
        lexical_hits = top_k(self.lexical.scores(query), max(k, FUSION_DEPTH), mask)
        return [Hit(i, s) for i, s in fusion.rrf(lexical_hits, dense_hits, k)]

    def answer(self, query: str, hits: Sequence[Hit], offsets: Sequence[int]) -> Answer | None:
        """The extractive answer among ``hits`` (``offsets``: each hit's start in its document)."""
        ranked = [(self.texts[h.index], off) for h, off in zip(hits, offsets, strict=True)]
        return extract_answer(query, ranked, self.lexical.idf)
