"""Turning bytes into text and metadata: one module per format, dispatched by :func:`extract`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.errors import InvalidInput


@dataclass
class Extracted:
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


def decode_text(data: bytes) -> str:
    """Decode plain text: UTF-8 (with or without BOM), else Windows-1252, which older Norwegian
    systems still write. Refuses binary data."""
    if b"\x00" in data[:4096]:
        raise InvalidInput("Filen ser ikke ut som tekst.")
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("Klarte ikke å lese teksten (ukjent tegnsett).")


def extract(data: bytes, filename: str | None = None, content_type: str | None = None) -> Extracted:
    """Extract text from a supported format. Raises InvalidInput naming the format it cannot read."""
    name = (filename or "").lower()
    if name.endswith((".txt", ".md", ".csv")) or (content_type or "").startswith("text/") or not name:
        return Extracted(decode_text(data), {"format": "text"})
    raise InvalidInput(f"Filformatet støttes ikke ennå: {filename}")
