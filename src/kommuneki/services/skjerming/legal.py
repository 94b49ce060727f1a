"""Legal bases (hjemler) as data: loaded from ``data/hjemler.yaml``, each with its text, what it covers,
its sources and the dates it applies. The engine asks :func:`hjemmel_for`; no paragraph is named in code,
so the new forvaltningsloven (Prop. 79 L (2024–2025)) is a change to the YAML file, not to the code.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data" / "hjemler.yaml"
SCOPES = ("innsyn", "internett")
WHEN = ("always", "personal_context", "low_score", "document")


@dataclass(frozen=True)
class Hjemmel:
    id: str
    label: str
    text: str
    scope: str
    mandatory: bool
    when: str
    covers: tuple[tuple[str, frozenset[str] | None], ...]
    sources: tuple[str, ...]
    valid_from: date
    valid_until: date | None
    note: str = ""

    def applies_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day < self.valid_until)

    def covers_finding(self, ftype: str, category: str | None) -> bool:
        return any(t == ftype and (cats is None or category in cats) for t, cats in self.covers)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "text": self.text,
            "scope": self.scope,
            "sources": list(self.sources),
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
        }


def _date(value) -> date | None:
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def parse(raw: dict[str, Any]) -> tuple[str, tuple[Hjemmel, ...]]:
    """Validate and build the table; raises ValueError naming the bad entry."""
    out = []
    seen = set()
    for entry in raw.get("hjemler", []):
        hid = entry.get("id")
        if not hid or hid in seen:
            raise ValueError(f"hjemler.yaml: missing or repeated id {hid!r}")
        seen.add(hid)
        if entry.get("scope") not in SCOPES or entry.get("when") not in WHEN:
            raise ValueError(f"hjemler.yaml: {hid}: scope must be one of {SCOPES}, when one of {WHEN}")
        if not entry.get("sources") or not entry.get("valid_from"):
            raise ValueError(f"hjemler.yaml: {hid}: sources and valid_from are required")
        covers = tuple(
            (c["type"], frozenset(c["categories"]) if c.get("categories") else None)
            for c in entry.get("covers") or []
        )
        out.append(
            Hjemmel(
                id=hid,
                label=entry["label"],
                text=" ".join(str(entry["text"]).split()),
                scope=entry["scope"],
                mandatory=bool(entry.get("mandatory")),
                when=entry["when"],
                covers=covers,
                sources=tuple(entry["sources"]),
                valid_from=_date(entry["valid_from"]),
                valid_until=_date(entry.get("valid_until")),
                note=" ".join(str(entry.get("note") or "").split()),
            )
        )
    return str(raw.get("version", "")), tuple(out)


@functools.lru_cache(maxsize=1)
def load() -> tuple[str, tuple[Hjemmel, ...]]:
    """(table version, hjemler) from the shipped YAML file."""
    with DATA.open(encoding="utf-8") as f:
        return parse(yaml.safe_load(f))


def hjemler(day: date | None = None) -> list[Hjemmel]:
    day = day or date.today()
    return [h for h in load()[1] if h.applies_on(day)]


def by_id(hid: str) -> Hjemmel | None:
    return next((h for h in load()[1] if h.id == hid), None)


def hjemmel_for(
    ftype: str, category: str | None, scope: str, *, personal_context: bool, day: date | None = None
) -> Hjemmel | None:
    """The first hjemmel in force on ``day`` for a finding of this type in this scope, given whether the
    finding (with the rest of the document) reveals personal circumstances. None: no basis to withhold."""
    for h in hjemler(day):
        if h.scope != scope or not h.covers_finding(ftype, category):
            continue
        if h.when == "personal_context" and not personal_context:
            continue
        return h
    return None


def version() -> str:
    return load()[0]
