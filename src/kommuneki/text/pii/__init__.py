"""Detection engine of the skjerming service: Norwegian identifiers, person names and special categories.

``detect(text)`` runs every detector and returns ``Finding`` objects sorted by start, overlaps resolved.
Importing this package is light: the name model is loaded lazily on first use and cached.
"""

from __future__ import annotations

from collections.abc import Iterable

from .finding import CATEGORIES, TYPES, Finding
from .identifiers import detect_identifiers

MODEL_NAME = "skjerming-names"
MODEL_VERSION = (
    "1.1.0"  # the version scripts/train_names.py writes into the shipped model card (1.1: propagation)
)

# Lower rank wins an overlap; within a rank the higher score, then the longer span.
_RANK = {
    "FODSELSNUMMER": 0,
    "D_NUMMER": 0,
    "H_NUMMER": 0,
    "SYNTETISK_ID": 0,
    "ORGNR": 0,
    "KONTONR": 0,
    "EPOST": 1,
    "ADRESSE": 1,
    "GNR_BNR": 1,
    "FODSELSDATO": 1,
    "TELEFON": 2,
    "MULIG_ID": 2,
    "PERSON": 3,
    "SAERLIG_KATEGORI": 4,
}

__all__ = [
    "CATEGORIES",
    "MODEL_NAME",
    "MODEL_VERSION",
    "TYPES",
    "Finding",
    "detect",
    "model_card",
    "resolve_overlaps",
]


def resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Keep a set of non-overlapping findings (greedy by rank, score, length); sorted by start."""
    order = sorted(findings, key=lambda f: (_RANK.get(f.type, 5), -f.score, -(f.end - f.start), f.start))
    kept: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for f in order:
        if any(f.start < e and s < f.end for s, e in taken):
            continue
        kept.append(f)
        taken.append((f.start, f.end))
    return sorted(kept, key=lambda f: (f.start, f.end))


def detect(
    text: str, *, names: bool = True, categories: bool = True, public_names: Iterable[str] = ()
) -> list[Finding]:
    """All detectors on ``text``; findings sorted by start with overlaps resolved. ``public_names``: names
    the kommune publishes itself (its politicians, its staff): alminnelig kjent, so marked public."""
    found = detect_identifiers(text)
    persons: list[Finding] = []
    if names:
        from .names import detect_names

        persons = detect_names(text, public_names)
        found.extend(persons)
    found = resolve_overlaps(found)
    if categories:
        from .categories import detect_categories

        kept_persons = [f for f in found if f.type == "PERSON"]
        cats = detect_categories(text, persons=kept_persons)
        taken = [(f.start, f.end) for f in found]
        found.extend(c for c in cats if not any(c.start < e and s < c.end for s, e in taken))
        found.sort(key=lambda f: (f.start, f.end))
    return found


def model_card() -> dict:
    """The shipped name model's card (matches kommuneki.core.modelreg.MODEL_CARD_SCHEMA)."""
    from .names import model_card as _card

    return _card()
