"""The one shape every detector returns: a ``Finding``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Finding types (the ``type`` field).
TYPES = (
    "PERSON",
    "FODSELSNUMMER",
    "D_NUMMER",
    "H_NUMMER",
    "SYNTETISK_ID",
    "MULIG_ID",
    "ORGNR",
    "KONTONR",
    "TELEFON",
    "EPOST",
    "ADRESSE",
    "GNR_BNR",
    "FODSELSDATO",
    "SAERLIG_KATEGORI",
)

#: Categories for ``SAERLIG_KATEGORI`` findings (GDPR art. 9 and 10, fvl. § 13).
CATEGORIES = (
    "HELSE",
    "BARNEVERN",
    "SOSIAL",
    "ETNISITET",
    "RELIGION",
    "SEKSUALITET",
    "POLITIKK",
    "STRAFF",
    "SKOLE",
    "PERSONAL",
    "FAGFORENING",
    "GENETIKK",
    "BIOMETRI",
)


@dataclass(frozen=True)
class Finding:
    type: str  # one of TYPES
    start: int  # character offsets into the text (end exclusive)
    end: int
    text: str
    score: float  # 0-1
    explanation: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    category: str | None = None  # for SAERLIG_KATEGORI: one of CATEGORIES
    public_role: bool | None = None  # for PERSON: context names a public role (a signal, not a rule)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "type": self.type,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "score": round(float(self.score), 4),
            "explanation": self.explanation,
        }
        if self.category is not None:
            d["category"] = self.category
        if self.public_role is not None:
            d["public_role"] = self.public_role
        return d
