"""Redaction that really removes the withheld text: plain text, DOCX and PDF.

Every redactor takes the original bytes, the document's extracted text (as :func:`kommuneki.ingest.extract`
gives it) and the character spans to withhold, and returns new bytes plus a report. Besides the spans,
every further occurrence of a withheld string is removed too (a name accepted once is withheld
everywhere), because the promise is: nothing extracted from the redacted file — text, metadata,
comments — contains any withheld string.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
import weakref
from pathlib import Path
from typing import Any, BinaryIO

from ....core.errors import InvalidInput

MARK = "[skjermet]"
#: Withheld strings shorter than this are removed only at their spans, not swept through the document
#: (sweeping "Al" would eat half the text).
MIN_SWEEP_CHARS = 3


class Redacted:
    """A redacted file: in memory (``data``), or — a rebuilt PDF, which can be hundreds of megabytes — in
    a temporary file (``path``) that lives as long as this object. ``data`` reads such a file on first
    use; :meth:`open`, :meth:`sha256` and :meth:`save_as` stream it."""

    def __init__(
        self,
        data: bytes | None,
        filename: str,
        content_type: str,
        report: dict[str, Any] | None = None,
        *,
        path: str | None = None,
    ):
        self._data, self.filename, self.content_type = data, filename, content_type
        self.report = report or {}
        self.path = path
        if path is not None:
            weakref.finalize(self, _unlink, path)

    @property
    def data(self) -> bytes:
        if self._data is None:
            with open(self.path, "rb") as f:
                self._data = f.read()
        return self._data

    def open(self) -> BinaryIO:
        return open(self.path, "rb") if self._data is None else io.BytesIO(self._data)

    def chunks(self, size: int = 1 << 20):
        with self.open() as f:
            while chunk := f.read(size):
                yield chunk

    def sha256(self) -> str:
        h = hashlib.sha256()
        for chunk in self.chunks():
            h.update(chunk)
        return h.hexdigest()

    def save_as(self, target: Path) -> None:
        """Write to ``target`` atomically (a temporary file beside it, then a rename)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".skjerming-")
        with os.fdopen(fd, "wb") as f:
            for chunk in self.chunks():
                f.write(chunk)
        os.replace(tmp, target)


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def withheld_strings(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """The distinct non-blank strings at ``spans``, longest first."""
    out = {text[s:e].strip() for s, e in spans if 0 <= s < e <= len(text) and text[s:e].strip()}
    return sorted(out, key=lambda x: (-len(x), x))


def sweep_pattern(strings: list[str]) -> re.Pattern | None:
    """A regex matching every sweepable withheld string, whitespace-tolerant, on word boundaries."""
    parts = [r"\s+".join(re.escape(w) for w in s.split()) for s in strings if len(s) >= MIN_SWEEP_CHARS]
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")


def check_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    clean = []
    for s, e in spans:
        if not (0 <= s < e <= len(text)):
            raise InvalidInput(f"Ugyldig tekstutsnitt {s}–{e} (teksten har {len(text)} tegn).")
        clean.append((s, e))
    return sorted(set(clean))


def redact(
    data: bytes,
    filename: str | None,
    text: str,
    spans: list[tuple[int, int]],
    *,
    fmt: str | None = None,
    text_layer: bool = True,
    max_unpacked: int | None = None,
) -> Redacted:
    """Redact ``data`` (a file in any supported format) at ``spans`` of its extracted ``text``.
    Plain text and e-mail come back as plain text; DOCX as DOCX; PDF as a rebuilt, image-based PDF
    (with an OCR text layer when ``text_layer`` and Tesseract is installed).

    Every result is checked by :func:`.verify.verify` before it is returned: a file from which a withheld
    string or any fødselsnummer can still be read raises :class:`.verify.RedactionNotVerified`. The
    report's ``verified`` is then true: only after that may a page or the CLI say "verifisert fjernet"."""
    from ....ingest import sniff_format
    from .verify import verify

    spans = check_spans(text, spans)
    fmt = fmt or sniff_format(data, filename)
    stem = (filename or "dokument").rsplit("/", 1)[-1].rsplit(".", 1)[0] or "dokument"
    if fmt == "pdf":
        from .pdf import redact_pdf

        fd, path = tempfile.mkstemp(prefix="kommuneki-skjermet-", suffix=".pdf")
        result = Redacted(None, f"{stem}-skjermet.pdf", "application/pdf", path=path)
        with os.fdopen(fd, "w+b") as out:
            report = redact_pdf(data, text, spans, text_layer=text_layer, out=out)
        report["verification"] = verify(path, "pdf", withheld_strings(text, spans))
        result.report = {**report, "verified": True}
        return result
    if fmt == "docx":
        from .docx import redact_docx

        out, report = redact_docx(data, text, spans, max_unpacked=max_unpacked)
        report["verification"] = verify(out, "docx", withheld_strings(text, spans))
        return Redacted(
            out,
            f"{stem}-skjermet.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            {**report, "verified": True},
        )
    from .txt import redact_text

    redacted, report = redact_text(text, spans)
    out = redacted.encode("utf-8")
    report["verification"] = verify(out, "text", withheld_strings(text, spans))
    return Redacted(out, f"{stem}-skjermet.txt", "text/plain; charset=utf-8", {**report, "verified": True})
