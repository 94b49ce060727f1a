"""Bytes → text with page starts, through the platform's ingest package (PDF page offsets from
``ingest.pdf.pdf_layout``; other formats are one page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...ingest import extract, sniff_format

SUFFIXES = (".txt", ".pdf", ".docx", ".eml", ".msg")
MAX_BYTES = 50 * 1024 * 1024


@dataclass
class DocumentText:
    text: str
    page_starts: list[int] = field(default_factory=lambda: [0])
    meta: dict[str, Any] = field(default_factory=dict)


def read_text(data: bytes, filename: str | None) -> DocumentText:
    """Raises ``InvalidInput`` (Norwegian) for a file that cannot be read."""
    if data.strip() and sniff_format(data, filename) == "pdf":
        from ...ingest.pdf import pdf_layout

        extracted = extract(data, filename, max_bytes=MAX_BYTES)  # the same checks and messages
        layout = pdf_layout(data)
        return DocumentText(layout.text, [p["start"] for p in layout.pages] or [0], extracted.meta)
    extracted = extract(data, filename, max_bytes=MAX_BYTES)
    return DocumentText(extracted.text, [0], extracted.meta)


def files_in(paths: list[Path]) -> tuple[list[tuple[Path, str]], list[str]]:
    """(file, path as shown) for every readable-looking file under ``paths`` (folders recursively, in
    sorted order), and Norwegian warnings for what was skipped."""
    found: list[tuple[Path, str]] = []
    skipped: list[str] = []
    for given in paths:
        if given.is_dir():
            for p in sorted(given.rglob("*")):
                if not p.is_file():
                    continue
                shown = str(given / p.relative_to(given))
                if p.suffix.lower() in SUFFIXES:
                    found.append((p, shown))
                else:
                    skipped.append(f"{shown}: filtypen støttes ikke, hoppet over.")
        elif given.is_file():
            found.append((given, str(given)))
        else:
            skipped.append(f"{given}: finnes ikke.")
    return found, skipped
