"""Person names, decoding: the CRF's marginals (or Viterbi labels) into token spans, and tagged and
propagated spans merged into one list. Part of :mod:`kommuneki.text.pii.names`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

NAME_PARTICLES = frozenset(
    {
        "av",
        "von",
        "van",
        "de",
        "der",
        "den",
        "la",
        "le",
        "da",
        "di",
        "du",
        "dos",
        "bin",
        "ibn",
        "al",
        "el",
        "ten",
        "ter",
        "zu",
        "y",
        "e",
        "&",
    }
)


def spans_from_marginals(
    tagger: Any, n: int, threshold: float, words: Sequence[str] | None = None
) -> list[tuple[int, int, float]]:
    """Token spans (start, end exclusive, mean P(PER)) where P(B-PER)+P(I-PER) passes ``threshold``.
    A new span starts where P(B-PER) exceeds P(I-PER). With ``words``, tokens without an upper-case
    letter (other than name particles such as "av", "von") are taken as outside a name without asking
    for their marginals (saves time; names in NorNE are capitalised)."""
    labels = set(tagger.labels())
    has_b, has_i = "B-PER" in labels, "I-PER" in labels
    out: list[tuple[int, int, float]] = []
    start = -1
    acc = 0.0
    for i in range(n):
        if words is not None and words[i].islower() and words[i] not in NAME_PARTICLES:
            pb = pi = 0.0
        else:
            pb = tagger.marginal("B-PER", i) if has_b else 0.0
            pi = tagger.marginal("I-PER", i) if has_i else 0.0
        p = pb + pi
        if p >= threshold:
            if start >= 0 and pb > pi:
                out.append((start, i, acc / (i - start)))
                start = -1
            if start < 0:
                start, acc = i, 0.0
            acc += p
        elif start >= 0:
            out.append((start, i, acc / (i - start)))
            start = -1
    if start >= 0:
        out.append((start, n, acc / (n - start)))
    return out


def spans_from_labels(labels: Sequence[str]) -> list[tuple[int, int, float]]:
    """Token spans of PER from Viterbi labels (a fixed score of 0.85: no probability in this mode)."""
    out: list[tuple[int, int, float]] = []
    start = -1
    for i, lab in enumerate([*labels, "O"]):
        if start >= 0 and lab != "I-PER":
            out.append((start, i, 0.85))
            start = -1
        if lab == "B-PER" or (lab == "I-PER" and start < 0):
            start = i
    return out


def merge_spans(
    spans: Sequence[tuple[int, int, float]], added: Sequence[tuple[int, int, float, str]]
) -> list[tuple[int, int, float, str | None]]:
    """Tagged spans and propagated ones as one sorted list; a propagated token that touches a tagged span
    extends it (keeping the tagged span's score), otherwise it stands as its own span."""
    merged: list[list[Any]] = sorted(
        [[a, b, p, None] for a, b, p in spans] + [[a, b, p, s] for a, b, p, s in added]
    )
    out: list[list[Any]] = []
    for cur in merged:
        if out and out[-1][1] == cur[0] and (out[-1][3] is None) != (cur[3] is None):
            prev = out[-1]
            if prev[3] is not None:  # propagated then tagged: the tagged span's score and no source
                prev[2], prev[3] = cur[2], None
            prev[1] = cur[1]
        else:
            out.append(cur)
    return [tuple(x) for x in out]  # type: ignore[misc]


def iter_names(spans: Iterable[tuple[int, int, float]]) -> list[tuple[int, int]]:
    return [(a, b) for a, b, _ in spans]
