"""The outcome of a vedtak, derived from its text — a suggestion with its evidence span, never a fact.

Noark 5 has no element for a vedtak's outcome. The rules read the decisive sentence: «innvilges»,
«avslås», «delvis innvilget», «avvises» (bokmål and nynorsk forms, negations such as «innvilges ikke»
and «tas ikke til følge» first), and the first hjemmel cited («plan- og bygningsloven § 19-2»). Written on
``data/vedtak_tune.jsonl`` only; measured on ``data/vedtak_heldout.jsonl``, frozen (sha256 beside it)
before any rule was written (``bench/saksinnsikt_outcome.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .passages import sentences

OUTCOMES = ("innvilget", "delvis_innvilget", "avslatt", "avvist")
LABELS = {
    "innvilget": "Innvilget",
    "delvis_innvilget": "Delvis innvilget",
    "avslatt": "Avslått",
    "avvist": "Avvist",
}

_I = re.IGNORECASE
PARTIAL = re.compile(
    r"\bdelvis\b[^.]{0,40}\b(innvilg|imøtekom|til følge|til følgje|medhold|gis|gitt)"
    r"|\b(innvilg\w*|imøtekomm\w*|til følge|til følgje|gis|gitt)\s+delvis\b",
    _I,
)
DISMISSED = re.compile(
    r"\b(avvises|avvist|avvisast|vert avvist|ikke realitetsbehandl\w*|realitetsbehandles ikke|"
    r"ikkje realitetsbehandl\w*)\b",
    _I,
)
REFUSED = re.compile(
    r"\b(avslås|avslåes|avslått|avslag|avslo|vert avslått|blir avslått)\b"
    r"|\b(innvilges|innvilget|innvilga|godkjennes|godkjent|gis|gitt|imøtekommes)\s+(ikke|ikkje)\b"
    r"|\b(ikke|ikkje)\s+(kan\s+)?(innvilges|innvilge|innvilga|godkjennes|gis|utstedes|imøtekomme\w*|tillates)\b"
    r"|\b(kan|vil)\s+(ikke|ikkje)\s+(gis|innvilges|godkjennes|utstedes|imøtekommes|fritas)\b"
    r"|\b(blir|vert)\s+(ikke|ikkje)\s+(innvilget|innvilga|godkjent|teken til følgje|tatt til følge)\b"
    r"|\b(tas|takast)\s+(ikke|ikkje)\s+til\s+føl(ge|gje)\b|\bikkje teken til følgje\b"
    r"|\bikke fått medhold\b|\btillates ikke\b|\bfinner ikke å kunne\b|\bfår (derfor )?ikke\b"
    r"|\bopprettholde[rs]?\b",
    _I,
)
GRANTED = re.compile(
    r"\b(innvilg\w*|godkjenn\w*|godkjent|imøtekomm\w*|tildel\w*|fritar|fritas)\b"
    r"|\b(gis|gir|gitt|vert gitt|blir gitt)\b[^.]{0,60}\b(dispensasjon|tillatelse|løyve|samtykke|innsyn|"
    r"ferdigattest|bevilling|skjenkebevilling|stønad|plass|fritak|garanti)"
    r"|\b(tas|takast|blir tatt)\s+til\s+føl(ge|gje)\b"
    r"|\bfår\b[^.]{0,40}\b(plass|innsyn|stønad|spesialundervisning)\b"
    r"|\b\w*(tillatelse|løyve|bevilling|dispensasjon|samtykke)\s+(er\s+|blir\s+|vert\s+)?(gis|gitt)\b"
    r"|\boppheves\b",
    _I,
)
LAW = re.compile(
    r"((?:forskrift om [^,.;§()]+?|(?:\w+- og )?[\w\-]+(?:loven|lova|lovi|forskriften|forskrifta))"
    r"\s+§\s*\d+(?:-\d+)?[a-z]?)",
    _I,
)


@dataclass(frozen=True)
class Outcome:
    outcome: str
    confidence: float
    start: int  # the decisive sentence, offsets into the text
    end: int
    rule: str
    hjemmel: str | None


def _label(sentence: str) -> tuple[str, str] | None:
    for name, pattern in (
        ("delvis_innvilget", PARTIAL),
        ("avvist", DISMISSED),
        ("avslatt", REFUSED),
        ("innvilget", GRANTED),
    ):
        m = pattern.search(sentence)
        if m:
            return name, m.group(0)
    return None


def hjemmel(text: str) -> str | None:
    m = LAW.search(text)
    return " ".join(m.group(1).split()) if m else None


def derive_outcome(text: str) -> Outcome | None:
    """The outcome the text states, with the sentence that decides it; None when no sentence does."""
    found = []
    for s, e in sentences(text):
        label = _label(text[s:e])
        if label:
            found.append((label[0], label[1], s, e))
    if not found:
        return None
    kinds = {k for k, *_ in found}
    law = hjemmel(text)
    for wanted in ("delvis_innvilget", "avvist"):
        if wanted in kinds:
            k, rule, s, e = next(f for f in found if f[0] == wanted)
            return Outcome(k, 0.85, s, e, rule, law)
    if kinds == {"innvilget", "avslatt"}:
        # both granted and refused parts: partly granted; the last decisive sentence is the evidence
        k, rule, s, e = found[-1]
        return Outcome("delvis_innvilget", 0.6, s, e, rule, law)
    k, rule, s, e = next(f for f in found if f[0] == ("avslatt" if "avslatt" in kinds else "innvilget"))
    return Outcome(k, 0.85 if len(kinds) == 1 else 0.6, s, e, rule, law)
