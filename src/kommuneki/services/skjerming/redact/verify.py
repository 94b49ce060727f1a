"""The independent check after every redaction: read the output again by another path than the one that
wrote it, and refuse to hand it out if any withheld string, or any fødselsnummer at all, remains.

* Plain text: the output decoded.
* DOCX: every XML part of the package (not only the parts the redactor edits), each read as all its text
  and tail content plus every attribute value, with line breaks at paragraphs, breaks, tabs and cells; the
  part names and relationship targets come with it.
* PDF: pypdf (not PDFium, which located the boxes) — the text of every page, the document information,
  the XMP metadata, every annotation and form field, and embedded files.

A withheld string counts as remaining when its words occur in that order with any whitespace (or none)
between them, on word boundaries; a fødselsnummer is anything the identifier recogniser takes for a
fødselsnummer, D-nummer, H-nummer or synthetic id. The error names the part and the kind of what remained,
with the string shortened (the log and the page must not become the leak).
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from ....core.errors import DomainError
from . import MIN_SWEEP_CHARS

PERSON_IDS = {"FODSELSNUMMER", "D_NUMMER", "H_NUMMER", "SYNTETISK_ID"}
_BREAK_LOCALS = {"p", "br", "cr", "tab", "tc", "tr", "txbxContent", "Relationship", "Override", "Default"}


class RedactionNotVerified(DomainError):
    """The redacted file still holds what it should not; it is not handed out."""

    code = "redaction_not_verified"
    http_status = 422


@dataclass
class Remaining:
    where: str
    what: str


def _shorten(s: str) -> str:
    s = " ".join(s.split())
    return f"«{s[:2]}…» ({len(s)} tegn)"


def _string_pattern(s: str) -> re.Pattern:
    return re.compile(r"(?<!\w)" + r"\s*".join(re.escape(w) for w in s.split()) + r"(?!\w)")


def find_remaining(views: Iterator[tuple[str, str]], strings: list[str]) -> list[Remaining]:
    """What remains of ``strings`` (those long enough to sweep) and of any person number in ``views``
    ((where, text) pairs)."""
    from kommuneki.text.pii.identifiers import detect_identifiers

    patterns = [(s, _string_pattern(s)) for s in strings if len(s.strip()) >= MIN_SWEEP_CHARS]
    out: list[Remaining] = []
    for where, text in views:
        if not text:
            continue
        for s, rx in patterns:
            if rx.search(text):
                out.append(Remaining(where, f"skjermet tekst {_shorten(s)}"))
        if any(c.isdigit() for c in text):
            for f in detect_identifiers(text):
                if f.type in PERSON_IDS:
                    digits = re.sub(r"\D", "", text[f.start : f.end])
                    out.append(Remaining(where, f"fødselsnummer {digits[:6]}*****"))
        if len(out) > 20:
            break
    return out


def text_views(data: bytes) -> Iterator[tuple[str, str]]:
    yield "teksten", data.decode("utf-8", "replace")


def _xml_view(root) -> tuple[str, str]:
    """The part's text content (breaks at block elements) and, apart, its attribute values."""
    from lxml import etree

    chunks: list[str] = []
    values: list[str] = []
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if not isinstance(el.tag, str):
            if event == "end" and el.tail:
                chunks.append(el.tail)
            continue
        if event == "start":
            if el.tag.rsplit("}", 1)[-1] in _BREAK_LOCALS:
                chunks.append("\n")
            values.extend(el.attrib.values())
            if el.text:
                chunks.append(el.text)
        else:
            if el.tail:
                chunks.append(el.tail)
    return "".join(chunks), "\n".join(values)


def docx_views(data: bytes, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, str]]:
    """Every member of the zip: its name, and for XML parts their text and attribute values; an
    embedded package (an .xlsx or .docx inside ``word/embeddings/``) is opened and read the same way
    (two levels deep), and every other binary part (an image, an OLE object, an altChunk) is read as
    its raw bytes, as Latin-1 and as UTF-16, so a number stored in it as text is found."""
    from ....ingest.docx import parse_xml

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        yield f"{prefix}delnavnene", "\n".join(names)
        for name in names:
            raw = z.read(name)
            where = f"{prefix}{name}"
            if name.endswith((".xml", ".rels")) or raw.lstrip()[:5] == b"<?xml":
                text, values = _xml_view(parse_xml(raw, where))
                yield where, text
                yield f"{where} (attributter)", values
            elif raw[:4] == b"PK\x03\x04" and depth < 2:
                yield from docx_views(raw, f"{where} → ", depth + 1)
            elif raw:
                yield f"{where} (binær)", raw.decode("latin-1")
                yield f"{where} (binær, UTF-16)", raw[: len(raw) // 2 * 2].decode("utf-16-le", "replace")
                yield (
                    f"{where} (binær, UTF-16, forskjøvet)",
                    raw[1 : 1 + (len(raw) - 1) // 2 * 2].decode("utf-16-le", "replace"),
                )


PDF_PAGES_PER_READER = 50


def pdf_views(data: bytes | str) -> Iterator[tuple[str, str]]:
    """Page text, information dictionary, XMP, annotations, form fields and attachments (pypdf). ``data``
    is the file's bytes or its path (read through an open file, not into memory). A fresh reader every
    :data:`PDF_PAGES_PER_READER` pages, the old one collected: pypdf keeps every object it has resolved,
    in reference cycles, so one reader over 2,000 pages would hold all their images."""
    import gc

    from pypdf import PdfReader

    with contextlib.ExitStack() as stack:

        def fresh() -> PdfReader:
            stream = io.BytesIO(data) if isinstance(data, bytes) else stack.enter_context(open(data, "rb"))
            return PdfReader(stream)

        reader = fresh()
        pages = len(reader.pages)
        yield "metadata", str(reader.metadata or {})
        xmp = reader.xmp_metadata
        if xmp is not None:
            yield "XMP-metadata", xmp.stream.get_data().decode("utf-8", "replace")
        fields = reader.get_fields() or {}
        if fields:
            yield "skjemafelt", "\n".join(f"{k}\n{v}" for k, v in fields.items())
        for name, contents in reader.attachments.items():
            yield f"vedlegg {name}", name + "\n" + "\n".join(c.decode("utf-8", "replace") for c in contents)
        for index in range(pages):
            if index and index % PDF_PAGES_PER_READER == 0:
                del reader
                gc.collect()
                reader = fresh()
            page = reader.pages[index]
            number = index + 1
            yield f"side {number}", page.extract_text() or ""
            annots = page.get("/Annots")
            if annots:
                yield f"merknader på side {number}", "\n".join(str(a.get_object()) for a in annots)
            del page


VIEWS = {"text": text_views, "docx": docx_views, "pdf": pdf_views}


def verify(data: bytes | str, fmt: str, strings: list[str]) -> dict:
    """Raise :class:`RedactionNotVerified` (Norwegian, naming what remained where) unless nothing of
    ``strings`` and no person number can be read from ``data`` (bytes; a PDF also as a path). Returns
    a report for the caller."""
    try:
        remaining = find_remaining(VIEWS[fmt](data), strings)
    except DomainError:
        raise
    except Exception as exc:  # the output cannot be read back at all: not handed out either
        raise RedactionNotVerified(
            "Den skjermede filen kunne ikke leses tilbake for kontroll, og blir ikke levert."
        ) from exc
    if remaining:
        listed = "; ".join(f"{r.what} i {r.where}" for r in remaining[:10])
        more = f" (og {len(remaining) - 10} til)" if len(remaining) > 10 else ""
        raise RedactionNotVerified(
            "Skjermingen kunne ikke verifiseres, og filen blir ikke levert. "
            f"Dette sto igjen: {listed}{more}.",
            details=[{"where": r.where, "what": r.what} for r in remaining],
        )
    return {"verified": True, "checked_strings": len(strings), "method": f"{fmt}: uavhengig uttrekk"}
