"""Word documents (DOCX) through python-docx, after a zip-bomb check.

The text is every paragraph of the body (tables and text boxes included), then the headers, footers,
footnotes and endnotes — everything a reader of the printed document could see. The uncompressed sizes
in the zip directory are checked before anything is read; Python's zip reader enforces those sizes while
reading, so a member that lies about its size fails instead of filling memory.
"""

from __future__ import annotations

import io
import zipfile

from ..core.errors import InvalidInput
from . import Extracted

MAX_UNCOMPRESSED = 200 * 1024 * 1024  # bytes, all members together
MAX_RATIO = 200  # uncompressed / compressed size, all members together
MAX_MEMBERS = 10_000

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT_PART_TYPES = ("document.main", "header", "footer", "footnotes", "endnotes")


def check_zip(data: bytes) -> None:
    """Refuse a zip that is not a DOCX, is damaged, or would unpack to far more than it weighs."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidInput("Word-filen (DOCX) er skadet og kan ikke leses.") from exc
    if len(infos) > MAX_MEMBERS:
        raise InvalidInput("Word-filen har unormalt mange deler og blir ikke åpnet (mulig zip-bombe).")
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_UNCOMPRESSED or total > MAX_RATIO * packed and total > 10 * 1024 * 1024:
        raise InvalidInput(
            f"Word-filen ville pakke seg ut til {total // (1024 * 1024)} MB og blir ikke åpnet "
            "(mulig zip-bombe)."
        )
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise InvalidInput("Filen er et zip-arkiv, men ikke et Word-dokument (DOCX).")


def open_docx(data: bytes):
    """A python-docx Document, after :func:`check_zip`."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    check_zip(data)
    try:
        return docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise InvalidInput("Word-filen (DOCX) er skadet og kan ikke leses.") from exc
    except Exception as exc:  # lxml.etree.XMLSyntaxError and friends: a damaged part
        if type(exc).__module__.startswith("lxml"):
            raise InvalidInput("Word-filen (DOCX) har en skadet del og kan ikke leses.") from exc
        raise


def text_parts(document) -> list:
    """The XML parts that hold visible text, body first."""
    parts = [document.part]
    for part in document.part.package.iter_parts():
        if part is document.part or not hasattr(part, "_element"):
            continue
        if any(part.content_type.endswith(f".{t}+xml") for t in TEXT_PART_TYPES):
            parts.append(part)
    return parts


def paragraph_text(p) -> str:
    """Text of one w:p (runs, tabs, breaks), without the paragraphs nested in its text boxes."""
    out = []
    for el in p.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr"):
        if _owner(el) is not p:
            continue
        if el.tag == f"{W}t":
            out.append(el.text or "")
        elif el.tag == f"{W}tab":
            out.append("\t")
        else:
            out.append("\n")
    return "".join(out)


def _owner(el):
    parent = el.getparent()
    while parent is not None and parent.tag != f"{W}p":
        parent = parent.getparent()
    return parent


def extract_docx(data: bytes) -> Extracted:
    document = open_docx(data)
    chunks = []
    for part in text_parts(document):
        for p in part._element.iter(f"{W}p"):
            chunks.append(paragraph_text(p))
    text = "\n".join(chunks).strip("\n")
    if not text.strip():
        raise InvalidInput("Word-dokumentet inneholder ingen tekst.")
    return Extracted(text, {"format": "docx", "title": document.core_properties.title or None})
