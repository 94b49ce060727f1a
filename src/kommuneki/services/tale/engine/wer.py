"""Word and character error rates with one stated normalisation, applied to reference and hypothesis
alike: lower case; numbers spoken as words read as digits (:mod:`.numbers`: «hundre og førti» → «140»,
«åtte komma to» → «8,2»), so that «klokka åtte» and «klokka 8» are the same; punctuation and hyphens
removed (a decimal comma too: «8,2» and «8.2» both become «8 2»); whitespace collapsed."""

from __future__ import annotations

import re

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def normalise(text: str) -> str:
    from .numbers import normalise as numbers_as_digits

    return " ".join(_PUNCT.sub(" ", numbers_as_digits(text.lower()).text).split())


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
