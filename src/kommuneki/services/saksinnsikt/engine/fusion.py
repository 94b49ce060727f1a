"""Fusing BM25 and dense rankings: reciprocal-rank fusion with weights (Cormack et al. 2009).

Rank-based, so the two scales (BM25's unbounded sums, cosine similarities) need no calibration. The
weights are equal and were not tuned (``bench/saksinnsikt_retrieval.py`` reports them beside the fixed
30 / 70 weighting of the issue's anchor).
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60
LEXICAL_WEIGHT = 0.5
DENSE_WEIGHT = 0.5


def rrf(
    lexical: Sequence[tuple[int, float]],
    dense: Sequence[tuple[int, float]],
    k: int,
    *,
    lexical_weight: float = LEXICAL_WEIGHT,
    dense_weight: float = DENSE_WEIGHT,
) -> list[tuple[int, float]]:
    """Fused top ``k`` (index, score), best first; ties by index (deterministic)."""
    fused: dict[int, float] = {}
    for weight, ranking in ((lexical_weight, lexical), (dense_weight, dense)):
        for rank, (i, _score) in enumerate(ranking):
            fused[i] = fused.get(i, 0.0) + weight / (RRF_K + rank + 1)
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
