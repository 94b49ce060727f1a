"""DOCX: remove the withheld strings from every text part, and what hides elsewhere.

* Text: every paragraph of the body (tables, text boxes), headers, footers, footnotes and endnotes. A
  withheld string may run across several runs (``<w:r>``): the match is made on the paragraph's text and
  the runs are rewritten, keeping the first run's formatting for the mark.
* Tracked changes: deletions (``w:del``, ``w:moveFrom``) are removed with their text, insertions
  (``w:ins``, ``w:moveTo``) accepted, change records (``w:rPrChange`` …) dropped.
* Comments, the people list of reviewers, custom XML, custom properties and document variables are
  removed; core properties (author, title, subject, keywords, last modified by, …) are blanked; the
  company and manager in the app properties are removed; field codes, alternative texts, content-control
  tags and hyperlink targets are swept too.
"""

from __future__ import annotations

import io
import re
from typing import Any

from ....ingest.docx import W, _owner, open_docx, text_parts
from . import MARK, sweep_pattern, withheld_strings

RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DROP_RELTYPES = (
    f"{RT}/comments",
    "http://schemas.microsoft.com/office/2011/relationships/commentsExtended",
    "http://schemas.microsoft.com/office/2016/09/relationships/commentsIds",
    "http://schemas.microsoft.com/office/2018/08/relationships/commentsExtensible",
    "http://schemas.microsoft.com/office/2011/relationships/people",
    f"{RT}/customXml",
    f"{RT}/custom-properties",
    "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
    f"{RT}/glossaryDocument",  # building blocks: stored text nobody sees in the document
)
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
CORE_TEXT_FIELDS = (
    "author",
    "category",
    "comments",
    "content_status",
    "identifier",
    "keywords",
    "language",
    "last_modified_by",
    "subject",
    "title",
    "version",
)
APP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"


def _strip_tracking(root) -> int:
    n = 0
    for name in REMOVE_WITH_CONTENT:
        for el in list(root.iter(f"{W}{name}")):
            el.getparent().remove(el)
            n += 1
    for name in UNWRAP:
        for el in list(root.iter(f"{W}{name}")):
            parent = el.getparent()
            idx = parent.index(el)
            for child in list(el):
                parent.insert(idx, child)
                idx += 1
            parent.remove(el)
            n += 1
    return n


def _redact_paragraph(p, pattern: re.Pattern) -> int:
    nodes = [t for t in p.iter(f"{W}t") if _owner(t) is p]
    if not nodes:
        return 0
    texts = [t.text or "" for t in nodes]
    joined = "".join(texts)
    matches = list(pattern.finditer(joined))
    if not matches:
        return 0
    # character -> node; rewrite each node's text with the matched ranges replaced
    bounds, pos = [], 0
    for t in texts:
        bounds.append((pos, pos + len(t)))
        pos += len(t)
    new = list(texts)
    for m in reversed(matches):
        s, e = m.start(), m.end()
        first = True
        for k, (a, b) in enumerate(bounds):
            if b <= s or a >= e:
                continue
            local_s, local_e = max(s, a) - a, min(e, b) - a
            cur = new[k]
            # new[k] still has the node's original length in front of any earlier (later-position) edit
            # because matches are handled right to left
            new[k] = cur[:local_s] + (MARK if first else "") + cur[local_e:]
            first = False
    for t, value in zip(nodes, new, strict=False):
        t.text = value
        if value != value.strip():
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return len(matches)


def _sweep_attributes(root, pattern: re.Pattern) -> int:
    n = 0
    for el in root.iter():
        if el.tag in (f"{W}instrText", f"{W}delInstrText") and el.text:
            el.text, k = pattern.subn(MARK, el.text)
            n += k
        for key, value in list(el.attrib.items()):
            if value and pattern.search(value):
                el.set(key, pattern.sub(MARK, value))
                n += 1
    return n


def redact_docx(data: bytes, text: str, spans: list[tuple[int, int]]) -> tuple[bytes, dict[str, Any]]:
    """Returns the redacted DOCX bytes and a report (counts only)."""
    document = open_docx(data)
    strings = withheld_strings(text, spans)
    # short strings cannot be swept safely; in DOCX they are still matched, but only as whole words
    pattern = sweep_pattern(strings) or (
        re.compile(r"(?<!\w)(?:" + "|".join(re.escape(s) for s in strings) + r")(?!\w)") if strings else None
    )
    report = {
        "format": "docx",
        "replacements": 0,
        "tracked_changes_removed": 0,
        "parts_dropped": 0,
        "metadata_cleared": True,
    }
    package = document.part.package
    for part in list(package.iter_parts()):
        for rid, rel in list(part.rels.items()):
            if rel.reltype in DROP_RELTYPES:
                part.rels.pop(rid)
                report["parts_dropped"] += 1
            elif rel.is_external and pattern is not None and pattern.search(rel.target_ref or ""):
                rel._target = "#"
                report["replacements"] += 1
    for rid, rel in list(package.rels.items()):
        if rel.reltype in DROP_RELTYPES:
            package.rels.pop(rid)
            report["parts_dropped"] += 1
    for part in text_parts(document):
        root = part._element
        report["tracked_changes_removed"] += _strip_tracking(root)
        if pattern is not None:
            for p in root.iter(f"{W}p"):
                report["replacements"] += _redact_paragraph(p, pattern)
            report["replacements"] += _sweep_attributes(root, pattern)
    # settings.xml carries document variables and the template path (may hold a user name)
    for part in package.iter_parts():
        if part.content_type.endswith(".settings+xml") and hasattr(part, "_element"):
            _strip_tracking(part._element)
    cp = document.core_properties
    for name in CORE_TEXT_FIELDS:
        setattr(cp, name, "")
    cp.revision = 1
    for part in package.iter_parts():
        if part.content_type == "application/vnd.openxmlformats-officedocument.extended-properties+xml":
            _clear_app_properties(part)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue(), report


def _clear_app_properties(part) -> None:
    from lxml import etree

    root = etree.fromstring(part.blob)
    for name in ("Company", "Manager", "HyperlinkBase", "Template", "TitlesOfParts", "HeadingPairs"):
        for el in list(root.iter(f"{{{APP_NS}}}{name}")):
            el.getparent().remove(el)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
