"""A transcript into a structured note: the tenant's template sections, spoken commands, and the
measurements, times and medication it names — each with the words that gave it (offsets into the
transcript). Rules only: what a sentence is sorted by can be read in :data:`SECTION_CUES`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .numbers import normalise

TEMPLATES: dict[str, tuple[str, ...]] = {
    "hjemmetjenesten": ("Observasjon", "Tiltak", "Evaluering"),
    "fritekst": ("Notat",),
}
# words that point a sentence without a spoken heading to a section (lower case, word starts)
SECTION_CUES: dict[str, tuple[str, ...]] = {
    "Tiltak": (
        "ga ",
        "gitt",
        "fikk ",
        "hjalp",
        "hjulpet",
        "assistert",
        "dusj",
        "stell",
        "snudd",
        "satt på",
        "smurt",
        "byttet",
        "skiftet",
        "kontaktet",
        "ringt",
        "ringte",
        "varslet",
        "bestilt",
        "administrert",
        "målte",
        "tok blodtrykk",
        "la inn",
        "sendt",
        "henvist",
        "mobilisert",
    ),
    "Evaluering": (
        "virket",
        "virker",
        "effekt",
        "bedre",
        "bedring",
        "verre",
        "roligere",
        "fornøyd",
        "fortsett",
        "videre plan",
        "følges opp",
        "følg opp",
        "evaluer",
        "vurderes",
        "neste besøk",
        "ved neste",
    ),
}
HEADINGS = {
    "observasjon": "Observasjon",
    "observasjoner": "Observasjon",
    "tiltak": "Tiltak",
    "evaluering": "Evaluering",
    "vurdering": "Evaluering",
    "notat": "Notat",
}
_HEADING = re.compile(
    r"(?:(?<=^)|(?<=[.!?:\n]))\s*(" + "|".join(HEADINGS) + r")\s*[:.,;]?(?=\s|$)", re.IGNORECASE
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*", re.UNICODE)
_NEW_LINE = re.compile(r"[,.]?\s*\bny linje\b\s*[,.]?", re.IGNORECASE)
_FULL_STOP = re.compile(r"[,]?\s*\bpunktum\b\s*[,.]?", re.IGNORECASE)

DEFAULT_DRUGS = (
    "Paracet",
    "Paracetamol",
    "Pinex",
    "Marevan",
    "Albyl-E",
    "Ibux",
    "Ibuprofen",
    "Metformin",
    "Insulin",
    "Novorapid",
    "Lantus",
    "Morfin",
    "OxyNorm",
    "OxyContin",
    "Furix",
    "Lasix",
    "Zopiklon",
    "Imovane",
    "Sobril",
    "Stesolid",
    "Selexid",
    "Levaxin",
    "Eliquis",
    "Xarelto",
    "Metoprolol",
    "Selo-Zok",
    "Atorvastatin",
    "Simvastatin",
    "Cipralex",
    "Sertralin",
    "Laktulose",
    "Movicol",
    "Nitroglycerin",
    "Pantoprazol",
    "Somac",
    "Prednisolon",
    "Ventoline",
    "Atrovent",
    "Fragmin",
    "Klexane",
)
_NUM = r"(\d{1,4}(?:[.,]\d{1,2})?)"
DOSE_UNITS = {
    "mg": "mg",
    "milligram": "mg",
    "milligramm": "mg",
    "g": "g",
    "gram": "g",
    "mikrogram": "µg",
    "µg": "µg",
    "mcg": "µg",
    "ml": "ml",
    "milliliter": "ml",
    "enheter": "enheter",
    "ie": "enheter",
    "tablett": "tabletter",
    "tabletter": "tabletter",
    "tab": "tabletter",
    "dråper": "dråper",
}
_DOSE = re.compile(_NUM + r"\s*(" + "|".join(sorted(DOSE_UNITS, key=len, reverse=True)) + r")\b", re.I)
FIELD_PATTERNS: list[tuple[str, re.Pattern, str]] = [
    (
        "blodtrykk",
        re.compile(r"(?:blodtrykk\w*|\bbt\b)[^\d.]{0,25}?(\d{2,3})\s*(?:over|/|på)\s*(\d{2,3})", re.I),
        "mmHg",
    ),
    ("blodtrykk", re.compile(r"\b(\d{2,3})\s+over\s+(\d{2,3})\b", re.I), "mmHg"),
    ("puls", re.compile(r"\bpuls\w*[^\d.]{0,20}?(\d{2,3})\b", re.I), "/min"),
    (
        "temperatur",
        re.compile(r"(?:\btemperatur\w*|\btemp\b|\bfeber\w*)[^\d.]{0,20}?(\d{2}(?:[.,]\d)?)", re.I),
        "°C",
    ),
    ("temperatur", re.compile(r"\b(3\d|4[0-2])(?:[.,](\d))?\s*grader\b", re.I), "°C"),
    (
        "vekt",
        re.compile(r"(?:\bvekt\w*|\bveier\b|\bveide\b)[^\d.]{0,20}?" + _NUM + r"\s*(?:kilo|kg)?", re.I),
        "kg",
    ),
    (
        "blodsukker",
        re.compile(r"(?:\bblodsukker\w*|\bbs\b|\bglukose\b)[^\d.]{0,20}?(\d{1,2}(?:[.,]\d)?)", re.I),
        "mmol/l",
    ),
    ("tid", re.compile(r"\b(?:klokka|klokken|kl\.?)\s*(\d{1,2})(?:\s*[.:]\s*(\d{2}))?", re.I), ""),
]


@dataclass
class Section:
    name: str
    sentences: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, cleaned text)

    @property
    def text(self) -> str:
        out = ""
        for _s, _e, sentence in self.sentences:
            if not sentence:
                continue
            out = f"{out}{'' if not out or out.endswith(chr(10)) else ' '}{sentence}"
        return out.strip()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "text": self.text,
            "spans": [{"start": s, "end": e} for s, e, _t in self.sentences],
        }


def _clean(sentence: str) -> str:
    """Spoken commands applied: «ny linje» starts a new line, «punktum» ends a sentence."""
    s = _NEW_LINE.sub("\n", sentence)
    s = _FULL_STOP.sub(". ", s)
    s = re.sub(r"[ \t]+", " ", s)
    s = re.sub(r" *\n *", "\n", s).strip(" ")
    if s and s[0].islower():
        s = s[0].upper() + s[1:]
    return s.strip()


def _sort(sentence: str, names: tuple[str, ...]) -> str:
    low = f" {sentence.lower()} "
    best, score = names[0], 0
    for name in names[1:]:
        hits = sum(1 for cue in SECTION_CUES.get(name, ()) if f" {cue}" in low)
        if hits > score:
            best, score = name, hits
    return best


def sections(transcript: str, template: str) -> list[Section]:
    """The transcript's sentences in the template's sections: after a spoken heading («Tiltak:»), in
    that section until the next; before any heading, by the cue words of :data:`SECTION_CUES`."""
    names = TEMPLATES[template]
    out = {name: Section(name) for name in names}
    current: str | None = None
    pos = 0
    marks = [(m.start(1), m.end(), HEADINGS[m.group(1).lower()]) for m in _HEADING.finditer(transcript)]
    marks = [m for m in marks if m[2] in out]
    pieces: list[tuple[int, int, str | None]] = []
    for start, end, name in marks:
        pieces.append((pos, start, current))
        current, pos = name, end
    pieces.append((pos, len(transcript), current))
    for a, b, heading in pieces:
        for m in _SENTENCE.finditer(transcript, a, b):
            raw = m.group(0)
            lead = len(raw) - len(raw.lstrip())
            text = _clean(raw)
            if not text.strip(" .,"):
                continue
            s, e = m.start() + lead, m.start() + len(raw.rstrip())
            target = heading if heading is not None else _sort(text, names)
            out[target].sentences.append((s, e, text))
    return list(out.values())


def _number(value: str) -> float:
    return float(value.replace(",", "."))


def fields(transcript: str, drugs: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Measurements, times and medication named in the transcript, with offsets of the words."""
    norm = normalise(transcript)
    text = norm.text
    found: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, value: Any, unit: str, a: int, b: int, **extra: Any) -> None:
        if any(a < y and x < b for x, y in taken):
            return
        start, end = norm.original_span(a, b)
        taken.append((a, b))
        found.append(
            {
                "type": kind,
                "value": value,
                "unit": unit,
                "text": transcript[start:end],
                "start": start,
                "end": end,
                **extra,
            }
        )

    for kind, pattern, unit in FIELD_PATTERNS:
        for m in pattern.finditer(text):
            if kind == "blodtrykk":
                high, low = int(m.group(1)), int(m.group(2))
                if not (60 <= high <= 260 and 30 <= low <= 160 and low < high):
                    continue
                add(kind, f"{high}/{low}", unit, m.start(), m.end())
            elif kind == "tid":
                hour, minute = int(m.group(1)), int(m.group(2) or 0)
                if hour <= 24 and minute < 60:
                    add(kind, f"{hour:02d}:{minute:02d}", unit, m.start(), m.end())
            elif kind == "temperatur" and m.lastindex == 2:
                value = float(f"{m.group(1)}.{m.group(2) or 0}")
                add(kind, value, unit, m.start(), m.end())
            else:
                value = _number(m.group(1))
                ok = {
                    "puls": 25 <= value <= 250,
                    "temperatur": 30 <= value <= 44,
                    "vekt": 1 <= value <= 400,
                    "blodsukker": 0.5 <= value <= 50,
                }[kind]
                if ok:
                    add(kind, value, unit, m.start(), m.end())
    names = sorted({d.strip() for d in (*DEFAULT_DRUGS, *drugs) if d and d.strip()}, key=len, reverse=True)
    if names:
        drug = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b", re.I)
        for m in drug.finditer(text):
            canonical = next(n for n in names if n.lower() == m.group(1).lower())
            dose = _DOSE.match(text, m.end() + len(text[m.end() :]) - len(text[m.end() :].lstrip()))
            if dose is None:  # «500 mg Paracet»: the dose before the name
                before = _DOSE.search(text[max(0, m.start() - 20) : m.start()])
                if (
                    before is not None
                    and text[max(0, m.start() - 20) + before.end() : m.start()].strip() == ""
                ):
                    a = max(0, m.start() - 20) + before.start()
                    add(
                        "legemiddel",
                        canonical,
                        DOSE_UNITS[before.group(2).lower()],
                        a,
                        m.end(),
                        dose=_number(before.group(1)),
                    )
                    continue
                add("legemiddel", canonical, None, m.start(), m.end(), dose=None)
            else:
                add(
                    "legemiddel",
                    canonical,
                    DOSE_UNITS[dose.group(2).lower()],
                    m.start(),
                    dose.end(),
                    dose=_number(dose.group(1)),
                )
    found.sort(key=lambda f: f["start"])
    return found


def structure(
    transcript: str, template: str = "hjemmetjenesten", drugs: Iterable[str] = ()
) -> dict[str, Any]:
    """The whole note: ``{"template", "transcript", "sections", "fields"}`` (offsets into transcript)."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}")
    return {
        "template": template,
        "transcript": transcript,
        "sections": [s.as_dict() for s in sections(transcript, template)],
        "fields": fields(transcript, drugs),
    }
