"""Word and character error rates with one stated normalisation, applied to reference and hypothesis
alike (:func:`normalise`):

1. lower case;
2. numbers spoken as words read as digits (:mod:`.numbers`: «hundre og førti» → «140», «åtte komma to»
   → «8,2»), so that «klokka åtte» and «klokka 8» are the same;
3. the clock: «kl.», «klokken» and «klokka» are one word («klokka», both bokmål forms are right), and
   «en»/«ett»/«ei» right after it is the hour 1 («klokka ett» = «kl. 1»);
4. a measurement said as «A over B» between two numbers is written «A/B» (blood pressure: «hundre og
   førti over nitti» = «140/90»);
5. punctuation and hyphens removed (a decimal comma and the slash too: «8,2» and «8.2» both become
   «8 2», «140/90» becomes «140 90»); whitespace collapsed.

Nothing else is mapped: no spelling variants, no compounds joined or split, no word lists from any
recording."""

from __future__ import annotations

import re

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_CLOCK = re.compile(r"\b(?:kl\.?|klokken|klokka)(?=\s|$|[^\w])", re.UNICODE)
_CLOCK_ONE = re.compile(r"\bklokka\s+(?:en|ett|ei|ein|eitt)\b", re.UNICODE)
_OVER = re.compile(r"\b(\d+(?:[,.]\d+)?)\s+over\s+(\d+)\b", re.UNICODE)


def normalise(text: str) -> str:
    from .numbers import normalise as numbers_as_digits

    t = numbers_as_digits(text.lower()).text
    t = _CLOCK.sub("klokka", t)
    t = _CLOCK_ONE.sub("klokka 1", t)
    t = _OVER.sub(r"\1/\2", t)
    return " ".join(_PUNCT.sub(" ", t).split())


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
