"""Turning bytes into text and metadata: one module per format, dispatched by :func:`extract`.

The format is recognised by content first (magic bytes), then by file name: a ``.pdf`` that does not
start with ``%PDF`` is refused as a broken PDF rather than read as text. Each reader raises
:class:`~kommuneki.core.errors.InvalidInput` with a Norwegian message naming what is wrong with the file.

To add a format: write ``ingest/<format>.py`` with a function ``(data, filename) -> Extracted``, add it to
:data:`READERS`, and teach :func:`sniff_format` to recognise it (one line each).
"""

from __future__ import annotations

import codecs
import logging
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import DomainError, InvalidInput, PayloadTooLarge

log = logging.getLogger("kommuneki.ingest")
FORMAT_NAMES = {"text": "tekst", "pdf": "PDF", "docx": "Word (DOCX)", "email": "e-post"}


@dataclass
class Extracted:
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


# Byte-order marks, longest first (UTF-32 LE starts with the UTF-16 LE mark).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters other than tab, newline, carriage return and form feed: binary data has many.
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def decode_text(data: bytes) -> str:
    """Decode plain text: a byte-order mark decides (UTF-8, UTF-16, UTF-32); else UTF-8; else
    Windows-1252 (a superset of Latin-1 for printable text, which older Norwegian systems still write);
    charset-normalizer only where both fail. Refuses binary data and empty files."""
    if not data.strip():
        raise InvalidInput("Filen er tom.")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).lstrip("\ufeff")
            except UnicodeDecodeError as exc:
                raise InvalidInput(f"Teksten har feil i tegnkodingen ({encoding}).") from exc
    head = data[:8192]
    if b"\x00" in head or sum(head.count(bytes([c])) for c in _CONTROL) > len(head) * 0.01:
        raise InvalidInput(
            "Filen ser ikke ut som tekst (binære data). Støttede formater: tekst, PDF, "
            "Word (DOCX) og e-post (EML)."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InvalidInput("Klarte ikke å lese teksten (ukjent tegnsett).")
    return str(best)


def _text(data: bytes, filename: str | None, **_limits) -> Extracted:
    return Extracted(decode_text(data), {"format": "text"})


def _pdf(data: bytes, filename: str | None, **_limits) -> Extracted:
    from .pdf import extract_pdf

    return extract_pdf(data)


def _docx(data: bytes, filename: str | None, *, docx_max_unpacked: int | None = None) -> Extracted:
    from .docx import MAX_UNPACKED, extract_docx

    return extract_docx(data, max_unpacked=docx_max_unpacked or MAX_UNPACKED)


def _email(data: bytes, filename: str | None, **_limits) -> Extracted:
    from .email import extract_message

    return extract_message(data, filename)


#: format name -> reader. Readers import their libraries lazily, so importing this package stays cheap.
READERS = {"text": _text, "pdf": _pdf, "docx": _docx, "email": _email}

_EMAIL_HEADERS = (
    b"from:",
    b"received:",
    b"return-path:",
    b"subject:",
    b"mime-version:",
    b"message-id:",
    b"date:",
    b"to:",
    b"delivered-to:",
    b"x-",
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff_format(data: bytes, filename: str | None = None, content_type: str | None = None) -> str:
    """The reader to use: magic bytes first, then the name. Refuses formats we cannot read."""
    name = (filename or "").lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if data.startswith(b"%PDF") or data[:1024].lstrip().startswith(b"%PDF"):
        return "pdf"
    if ext == "pdf":
        raise InvalidInput(f"«{filename}» er ikke en gyldig PDF (skadet eller feil filtype).")
    if data.startswith(b"PK\x03\x04"):
        if ext in ("docx", "docm", "") or b"word/" in data[:65536]:
            return "docx"
        raise InvalidInput(f"Filformatet støttes ikke: «{filename}» er et zip-arkiv.")
    if ext == "docx":
        raise InvalidInput(f"«{filename}» er ikke en gyldig Word-fil (DOCX).")
    if ext in ("eml", "msg", "mbox") or data[:8] == _OLE_MAGIC and ext != "doc":
        return "email"
    if ext in ("doc", "xls", "ppt", "odt", "rtf", "png", "jpg", "jpeg", "tif", "tiff", "zip", "exe"):
        raise InvalidInput(
            f"Filformatet støttes ikke: «{filename}». Støttede formater: tekst, PDF, "
            "Word (DOCX) og e-post (EML)."
        )
    first = data.lstrip()[:64].lower()
    if not ext and first.startswith(_EMAIL_HEADERS) and b"\n\n" in data.replace(b"\r\n", b"\n")[:65536]:
        return "email"
    return "text"


def extract(
    data: bytes,
    filename: str | None = None,
    content_type: str | None = None,
    *,
    max_bytes: int | None = None,
    docx_max_unpacked: int | None = None,
) -> Extracted:
    """Extract text from a supported format (plain text, PDF with OCR of scanned pages, DOCX, e-mail).
    Raises InvalidInput naming what is wrong with the file, or PayloadTooLarge above ``max_bytes`` (or,
    for a DOCX, above ``docx_max_unpacked`` bytes unpacked; default 50 MB)."""
    if max_bytes is not None and len(data) > max_bytes:
        raise PayloadTooLarge(
            f"Filen er for stor ({len(data) // (1024 * 1024)} MB; grensen er "
            f"{max_bytes // (1024 * 1024)} MB)."
        )
    if not data or not data.strip():
        raise InvalidInput("Filen er tom.")
    fmt = sniff_format(data, filename, content_type)
    try:
        if fmt == "docx":
            return READERS[fmt](data, filename, docx_max_unpacked=docx_max_unpacked)
        return READERS[fmt](data, filename)
    except (DomainError, MemoryError):
        raise
    except RecursionError as exc:
        raise InvalidInput(f"«{filename or 'Filen'}» er for dypt nøstet til å leses.") from exc
    except Exception as exc:  # a library's own failure on a damaged file: never a 500 or a traceback
        # the type only: a file's name and a library's message may quote personal data
        log.warning("unreadable %s file: %s", fmt, type(exc).__name__)
        raise InvalidInput(
            f"«{filename or 'Filen'}» er skadet eller har en form som ikke kan leses "
            f"({FORMAT_NAMES.get(fmt, fmt)}; {type(exc).__name__})."
        ) from exc
