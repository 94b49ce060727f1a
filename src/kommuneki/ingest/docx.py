"""Word documents (DOCX): the zip package read with bounds, every XML part parsed by a locked-down lxml
parser, and the text laid out so that an offset in the extracted text names the XML node it came from.

Bounds, checked before and while reading: the member count, the declared and the actual uncompressed size
of all members together (default 50 MB, setting ``docx_max_unpacked_bytes``), the compression ratio, and
a CPU budget per document. The XML parser loads no DTD, expands no entity, reads nothing from the network
and keeps libxml2's limits on (no ``huge_tree``); a part with a DOCTYPE is refused outright (Word never
writes one), so neither XXE nor an entity loop ("billion laughs") gets anywhere.

The text is every paragraph of the body (tables and text boxes included), then the headers, footers,
footnotes, endnotes and comments, with tracked changes accepted (deleted text left out). Line breaks
(``w:br``, ``w:cr``) become ``\\n``, tabs ``\\t``, and each paragraph ends with ``\\n``. :func:`layout`
gives the same text as a list of pieces, each tied to its node, which is what the redactor edits.
"""

from __future__ import annotations

import io
import lzma
import posixpath
import time
import zipfile
from dataclasses import dataclass, field

from ..core.errors import InvalidInput, PayloadTooLarge
from . import Extracted

#: what zipfile raises on a damaged archive or member (LZMA options and zip "versions" no decoder takes
#: were found by atheris)
_DAMAGED_ZIP = (
    zipfile.BadZipFile,
    lzma.LZMAError,
    OSError,
    ValueError,
    EOFError,
    NotImplementedError,
    RuntimeError,
)
MAX_UNPACKED = 50 * 1024 * 1024  # bytes, all members together (the default of the setting)
MAX_RATIO = 200  # uncompressed / compressed size, all members together
MAX_MEMBERS = 10_000
CPU_BUDGET_S = 60.0  # process time per document for parsing and laying out the XML

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
WML = "application/vnd.openxmlformats-officedocument.wordprocessingml."
#: The parts whose paragraphs are text a reader sees, in the order their text is laid out.
TEXT_PART_KINDS = ("document.main", "header", "footer", "footnotes", "endnotes", "comments")
# Tracked changes: removed with their content, or unwrapped (their content accepted).
REMOVE_WITH_CONTENT = (
    "del",
    "moveFrom",
    "rPrChange",
    "pPrChange",
    "sectPrChange",
    "tblPrChange",
    "trPrChange",
    "tcPrChange",
    "tblGridChange",
    "numberingChange",
    "commentRangeStart",
    "commentRangeEnd",
    "commentReference",
    "moveFromRangeStart",
    "moveFromRangeEnd",
    "moveToRangeStart",
    "moveToRangeEnd",
    "customXmlInsRangeStart",
    "customXmlInsRangeEnd",
    "customXmlDelRangeStart",
    "customXmlDelRangeEnd",
    "docVars",
    "attachedTemplate",
)
UNWRAP = ("ins", "moveTo")


def _parser():
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_xml(data: bytes, name: str = "XML"):
    """Parse one XML part with the locked-down parser. Refuses a DOCTYPE (and with it every entity
    declaration) and damaged XML, in Norwegian, naming the part."""
    from lxml import etree

    head = data[:4096].lstrip()
    if b"<!DOCTYPE" in head.upper() or b"<\x00!\x00D\x00O\x00C\x00T\x00Y\x00P\x00E" in head.upper():
        raise InvalidInput(
            f"Word-filen har en DTD-deklarasjon (DOCTYPE) i «{name}», noe Word aldri skriver. Den blir "
            "ikke åpnet (mulig angrep med eksterne entiteter eller entitetsløkker)."
        )
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise InvalidInput(f"Word-filen (DOCX) har en skadet del («{name}») og kan ikke leses.") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise InvalidInput(
            f"Word-filen har en DTD-deklarasjon (DOCTYPE) i «{name}», noe Word aldri skriver. Den blir "
            "ikke åpnet (mulig angrep med eksterne entiteter eller entitetsløkker)."
        )
    return root


class Budget:
    """A CPU-time budget for one document; :meth:`check` refuses in Norwegian once it is spent."""

    def __init__(self, seconds: float = CPU_BUDGET_S):
        self.deadline = time.process_time() + seconds

    def check(self) -> None:
        if time.process_time() > self.deadline:
            raise InvalidInput(
                "Word-filen er for tung å behandle (tidsbudsjettet for ett dokument er brukt opp). "
                "Del den opp eller lagre den på nytt fra Word."
            )


@dataclass
class Package:
    """The members of a DOCX zip, in their original order, with content types and relationships."""

    names: list[str]
    blobs: dict[str, bytes]
    content_types: dict[str, str] = field(default_factory=dict)

    def xml_names(self) -> list[str]:
        return [n for n in self.names if is_xml_name(n, self.content_types.get(n, ""))]

    def relationships(self, source: str) -> list[dict[str, str]]:
        """The relationships of ``source`` ('' for the package), targets resolved to member names."""
        folder, base = posixpath.split(source)
        rels_name = posixpath.join(folder, "_rels", base + ".rels") if source else "_rels/.rels"
        if rels_name not in self.blobs:
            return []
        root = parse_xml(self.blobs[rels_name], rels_name)
        out = []
        for rel in root.iter(f"{{{REL_NS}}}Relationship"):
            target = rel.get("Target") or ""
            external = rel.get("TargetMode") == "External"
            resolved = target
            if not external:
                resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
                resolved = posixpath.normpath(resolved)
            out.append({"type": rel.get("Type") or "", "target": resolved, "external": str(external)})
        return out


def is_xml_name(name: str, content_type: str = "") -> bool:
    return name.endswith((".xml", ".rels")) or content_type.endswith("xml")


def read_package(data: bytes, *, max_unpacked: int = MAX_UNPACKED, budget: Budget | None = None) -> Package:
    """Open the zip and read every member, refusing what is not a DOCX, damaged, or too large unpacked
    (declared sizes checked first, then the bytes actually read)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except _DAMAGED_ZIP as exc:
        raise InvalidInput("Word-filen (DOCX) er skadet og kan ikke leses.") from exc
    if len(infos) > MAX_MEMBERS:
        raise InvalidInput("Word-filen har unormalt mange deler og blir ikke åpnet (mulig zip-bombe).")
    declared = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if declared > max_unpacked:
        raise PayloadTooLarge(_too_large(declared, max_unpacked))
    if declared > MAX_RATIO * packed and declared > 10 * 1024 * 1024:
        raise InvalidInput(
            f"Word-filen ville pakke seg ut til {declared // (1024 * 1024)} MB og blir ikke åpnet "
            "(mulig zip-bombe)."
        )
    names, blobs, total = [], {}, 0
    try:
        for info in infos:
            # a folder, or a member without a name (atheris found one in an .xlsx; is_dir() raised)
            if not info.filename or info.filename.endswith("/") or info.filename in blobs:
                continue
            with z.open(info) as f:
                chunk = f.read(max_unpacked - total + 1)
            total += len(chunk)
            if total > max_unpacked:
                raise PayloadTooLarge(_too_large(total, max_unpacked))
            names.append(info.filename)
            blobs[info.filename] = chunk
            if budget is not None:
                budget.check()
    except _DAMAGED_ZIP as exc:
        raise InvalidInput("Word-filen (DOCX) er skadet og kan ikke leses.") from exc
    if "word/document.xml" not in blobs and "[Content_Types].xml" not in blobs:
        raise InvalidInput("Filen er et zip-arkiv, men ikke et Word-dokument (DOCX).")
    if "[Content_Types].xml" not in blobs:
        raise InvalidInput("Word-filen (DOCX) mangler innholdsfortegnelsen ([Content_Types].xml).")
    pkg = Package(names, blobs)
    ct_root = parse_xml(blobs["[Content_Types].xml"], "[Content_Types].xml")
    defaults = {
        (el.get("Extension") or "").lower(): el.get("ContentType") or ""
        for el in ct_root.iter(f"{{{CT_NS}}}Default")
    }
    overrides = {
        (el.get("PartName") or "").lstrip("/"): el.get("ContentType") or ""
        for el in ct_root.iter(f"{{{CT_NS}}}Override")
    }
    for n in names:
        pkg.content_types[n] = overrides.get(n) or defaults.get(n.rsplit(".", 1)[-1].lower(), "")
    if main_part_name(pkg) is None:
        raise InvalidInput("Filen er et zip-arkiv, men ikke et Word-dokument (DOCX).")
    return pkg


def _too_large(size: int, limit: int) -> str:
    return (
        f"Word-filen pakker seg ut til mer enn {limit // (1024 * 1024)} MB "
        f"({max(size, limit + 1) // (1024 * 1024)} MB eller mer) og blir ikke åpnet."
    )


def check_zip(data: bytes, *, max_unpacked: int = MAX_UNPACKED) -> None:
    """Refuse a zip that is not a DOCX, is damaged, or would unpack to far more than it weighs."""
    read_package(data, max_unpacked=max_unpacked)


def main_part_name(pkg: Package) -> str | None:
    for n in pkg.names:
        if pkg.content_types.get(n, "").startswith(WML + "document.main"):
            return n
    for n in pkg.names:  # macro-enabled and template variants
        ct = pkg.content_types.get(n, "")
        if ct.startswith(WML) and ".main+xml" in ct and "glossary" not in ct:
            return n
    return "word/document.xml" if "word/document.xml" in pkg.blobs else None


def text_part_names(pkg: Package) -> list[str]:
    """The XML parts that hold visible text: body first, then headers, footers, footnotes, endnotes and
    comments (each kind in name order)."""
    main = main_part_name(pkg)
    out = [main] if main else []
    for kind in TEXT_PART_KINDS[1:]:
        out.extend(
            sorted(n for n in pkg.names if pkg.content_types.get(n, "") == f"{WML}{kind}+xml" and n != main)
        )
    return out


def strip_tracking(root) -> int:
    """Accept tracked changes: deletions and change records removed, insertions unwrapped."""
    n = 0
    for name in REMOVE_WITH_CONTENT:
        for el in list(root.iter(f"{W}{name}")):
            parent = el.getparent()
            if parent is not None:
                parent.remove(el)
                n += 1
    for name in UNWRAP:
        for el in list(root.iter(f"{W}{name}")):
            parent = el.getparent()
            if parent is None:
                continue
            idx = parent.index(el)
            for child in list(el):
                parent.insert(idx, child)
                idx += 1
            parent.remove(el)
            n += 1
    return n


@dataclass
class Piece:
    """One stretch of the laid-out text: the text of a ``w:t`` (``node`` set, editable), or a tab, a
    line break or a paragraph end (``node`` the element, or None for a paragraph end)."""

    text: str
    node: object | None
    editable: bool


_TEXT_TAGS = (f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{W}noBreakHyphen")


def _owner(el):
    parent = el.getparent()
    while parent is not None and parent.tag != f"{W}p":
        parent = parent.getparent()
    return parent


def layout(root, budget: Budget | None = None) -> list[Piece]:
    """The pieces of one part's text, in order: for each paragraph (nested text-box paragraphs after
    their outer paragraph), its runs' text, tabs and breaks, then a paragraph end."""
    pieces: list[Piece] = []
    for k, p in enumerate(root.iter(f"{W}p")):
        if budget is not None and k % 512 == 0:
            budget.check()
        for el in p.iter(*_TEXT_TAGS):
            if _owner(el) is not p:
                continue
            if el.tag == f"{W}t":
                if el.text:
                    pieces.append(Piece(el.text, el, True))
            elif el.tag == f"{W}tab":
                if el.getparent() is not None and el.getparent().tag == f"{W}r":  # not a tab stop
                    pieces.append(Piece("\t", el, False))
            elif el.tag == f"{W}noBreakHyphen":
                pieces.append(Piece("-", el, False))
            else:
                pieces.append(Piece("\n", el, False))
        pieces.append(Piece("\n", None, False))
    return pieces


@dataclass
class DocxText:
    """The package, the parsed (changes-accepted) text parts, their pieces and the joined text. ``lead``
    is how many leading newlines :attr:`text` lost to stripping; offsets into :attr:`text` plus ``lead``
    are offsets into the concatenated pieces."""

    package: Package
    roots: dict[str, object]
    pieces: dict[str, list[Piece]]
    text: str
    lead: int


def read_docx(data: bytes, *, max_unpacked: int = MAX_UNPACKED, budget: Budget | None = None) -> DocxText:
    budget = budget or Budget()
    pkg = read_package(data, max_unpacked=max_unpacked, budget=budget)
    roots, pieces, chunks = {}, {}, []
    for name in text_part_names(pkg):
        root = parse_xml(pkg.blobs[name], name)
        strip_tracking(root)
        budget.check()
        roots[name] = root
        pieces[name] = layout(root, budget)
        chunks.extend(p.text for p in pieces[name])
    for name in pkg.xml_names():  # every other XML part passes the same parser (DOCTYPE refused)
        if name not in roots:
            parse_xml(pkg.blobs[name], name)
            budget.check()
    full = "".join(chunks)
    stripped = full.strip("\n")
    return DocxText(pkg, roots, pieces, stripped, len(full) - len(full.lstrip("\n")))


def docx_title(pkg: Package) -> str | None:
    if "docProps/core.xml" not in pkg.blobs:
        return None
    root = parse_xml(pkg.blobs["docProps/core.xml"], "docProps/core.xml")
    for el in root.iter("{http://purl.org/dc/elements/1.1/}title"):
        return (el.text or "").strip() or None
    return None


def extract_docx(data: bytes, *, max_unpacked: int = MAX_UNPACKED) -> Extracted:
    doc = read_docx(data, max_unpacked=max_unpacked)
    if not doc.text.strip():
        raise InvalidInput("Word-dokumentet inneholder ingen tekst.")
    return Extracted(doc.text, {"format": "docx", "title": docx_title(doc.package)})
