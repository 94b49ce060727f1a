"""Word and character error rates with one stated normalisation (lower case, punctuation removed,
whitespace collapsed; numbers compared as written — digits and number words differ)."""

from __future__ import annotations

import re

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def normalise(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER of ``hypothesis`` against ``reference`` (0 when both are empty; 1 per word when one is)."""
    import jiwer

    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return round(float(jiwer.wer(ref, hyp or "")), 4) if hyp else 1.0


def char_error_rate(reference: str, hypothesis: str) -> float:
    import jiwer

    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return round(float(jiwer.cer(ref, hyp)), 4) if hyp else 1.0
