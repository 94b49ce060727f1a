"""BM25 over passages with Norwegian stemming (bm25s, MIT; PyStemmer's Snowball «norwegian», BSD).

One :class:`LexicalIndex` is built from all passages of a corpus at once (bm25s has no incremental add;
see ADR 0005 for how the stored index lives with that). A query may carry a mask of the passages the
caller may read: the top k are then taken among those only, so a passage the user may not read is never
scored into a result, a count or a rank.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from functools import cache

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)

# Function words of bokmål and nynorsk that carry no meaning for search (short, hand-picked).
STOPWORDS = frozenset(
    """og i på er det som en et til av for med at ikke den de har var seg om fra men han hun jeg vi
    dere du meg deg oss dem sin sitt sine da så kan skal vil ble blir bli være vært hva hvem hvor hvilken
    hvilket hvilke når hvordan hvorfor eller enn også etter over under ved mot inn ut opp ned denne
    dette disse der her noe noen alle mange mer mest man ein eit eg ho ikkje kva kven kvar korleis
    kvifor vere vore dei deira hennar hans sitt seg til frå og elles som""".split()
)


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("norwegian")


def tokens(text: str) -> list[str]:
    """Lower-cased, NFC, stop words dropped, stemmed (Snowball Norwegian, which also serves nynorsk
    roughly)."""
    words = [w for w in _WORD.findall(unicodedata.normalize("NFC", text).casefold()) if w not in STOPWORDS]
    return _stemmer().stemWords(words)


# Function words written only in nynorsk: a query holding one is also read in bokmål translation (a
# bokmål query is never sent through the nynorsk→bokmål translator, which would alter some of its words).
NYNORSK_MARKERS = frozenset(
    "ikkje kva korleis kvar kven kvifor eg ein eit frå dei deira vart vert vere vore berre mykje "
    "noko nokon nokre desse òg sjølv eigen eigne".split()
)


def looks_nynorsk(text: str) -> bool:
    return any(w in NYNORSK_MARKERS for w in _WORD.findall(unicodedata.normalize("NFC", text).casefold()))


def query_tokens(query: str, *, translate: bool = True) -> list[str]:
    """The query's tokens, and (``translate``, for a query that :func:`looks_nynorsk`) the stems of its
    bokmål translation that it lacks, so a nynorsk question also matches bokmål passages
    (:mod:`.nynorsk`; without Apertium: the tokens)."""
    own = tokens(query)
    if not translate or not looks_nynorsk(query):
        return own
    from . import nynorsk

    bokmal = nynorsk.to_bokmal(query)
    if not bokmal:
        return own
    seen = set(own)
    extra = []
    for t in tokens(bokmal):
        if t not in seen:
            seen.add(t)
            extra.append(t)
    return own + extra


class LexicalIndex:
    """BM25 (Lucene variant, k1 1.2, b 0.75) over a fixed list of texts. ``translate_queries``: a query
    is also read in its bokmål translation (:func:`query_tokens`)."""

    def __init__(self, texts: list[str], *, translate_queries: bool = True) -> None:
        import bm25s

        self.translate_queries = translate_queries
        self.size = len(texts)
        self._bm25 = bm25s.BM25(k1=1.2, b=0.75)
        corpus = [tokens(t) or ["\u2205"] for t in texts]
        self.df: Counter[str] = Counter(w for doc in corpus for w in set(doc))
        if self.size:
            self._bm25.index(corpus, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for ``query`` (0 where no query word occurs)."""
        if not self.size:
            return np.zeros(self.size, dtype=np.float32)
        q = query_tokens(query, translate=self.translate_queries)
        if not q:
            return np.zeros(self.size, dtype=np.float32)
        vocab = self._bm25.vocab_dict
        ids = [vocab[t] for t in q if t in vocab]
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(q), dtype=np.float32)

    def idf(self, stem: str) -> float:
        """Inverse document frequency of a stem (0 for one found nowhere)."""
        n = self.df.get(stem, 0)
        return math.log(1 + (self.size - n + 0.5) / (n + 0.5)) if n else 0.0

    def top(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The best ``k`` passages (index, score) with a score above 0, best first; ties by index.
        ``mask``: booleans, True for the passages that may be returned."""
        return top_k(self.scores(query), k, mask)


def top_k(scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
    if mask is not None:
        scores = np.where(mask, scores, 0.0)
    positive = np.flatnonzero(scores > 0)
    if not len(positive):
        return []
    # deterministic: by score descending, then by index
    order = positive[np.lexsort((positive, -scores[positive]))][:k]
    return [(int(i), float(scores[i])) for i in order]
