"""DOCX: remove the withheld strings from every part of the package, working on the zip and its XML
directly (``kommuneki.ingest.docx`` reads it with bounds and a locked-down parser).

* Text: the body (tables, text boxes), headers, footers, footnotes, endnotes and comments are laid out as
  one text per part, each stretch tied to its node (:func:`kommuneki.ingest.docx.layout`). The spans
  (offsets into the extracted text) and every further occurrence of a withheld string are cut out of that
  text, across runs, line breaks (``w:br``), tabs and paragraph ends alike; the first cut node gets the
  mark, keeping its run's formatting.
* Tracked changes: deletions removed with their text, insertions accepted, change records dropped.
* Comments, the people list of reviewers, custom XML, custom properties, macros and building blocks are
  removed from the package; core properties (author, title, subject, keywords, last modified by, …) are
  blanked; company, manager, template and part titles go from the app properties; every other XML part
  (charts, diagrams, settings, field codes, alternative texts, hyperlink targets) is swept, text and
  attributes.

:func:`kommuneki.services.skjerming.redact.verify` then checks the result by another path.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from typing import Any

from ....ingest.docx import (
    REL_NS,
    WML,
    Budget,
    Package,
    W,
    is_xml_name,
    layout,
    parse_xml,
    read_docx,
    strip_tracking,
)
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
DROP_CONTENT_TYPES = (
    f"{WML}comments+xml",
    "application/vnd.openxmlformats-officedocument.custom-properties+xml",
    "application/vnd.ms-office.vbaProject",
    f"{WML}document.glossary+xml",
)
DROP_NAME_HINTS = ("commentsExtended", "commentsIds", "commentsExtensible", "people.xml")
CORE_KEEP = ("created", "modified")
APP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
APP_DROP = ("Company", "Manager", "HyperlinkBase", "Template", "TitlesOfParts", "HeadingPairs")
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _rels_source(rels_name: str) -> str:
    """``word/_rels/document.xml.rels`` → ``word/document.xml``; ``_rels/.rels`` → ''."""
    folder, base = posixpath.split(rels_name)
    parent = posixpath.dirname(folder)
    return posixpath.join(parent, base[: -len(".rels")]) if base != ".rels" else ""


def _dropped_parts(pkg: Package) -> set[str]:
    drop = {
        n
        for n in pkg.names
        if pkg.content_types.get(n, "") in DROP_CONTENT_TYPES
        or n.startswith("customXml/")
        or (n.startswith("word/") and posixpath.basename(n).startswith(DROP_NAME_HINTS))
    }
    for rels_name in [n for n in pkg.names if n.endswith(".rels")]:
        for rel in pkg.relationships(_rels_source(rels_name)):
            if rel["type"] in DROP_RELTYPES and rel["external"] != "True":
                drop.add(rel["target"])
    # a dropped part's own relationships go with it
    drop |= {
        posixpath.join(posixpath.dirname(n), "_rels", posixpath.basename(n) + ".rels") for n in set(drop)
    }
    return drop & set(pkg.names)


ALT_CHUNK = f"{RT}/aFChunk"
# elements that show a dropped binary part: removed whole with it
SHOWS_PART = (f"{W}drawing", f"{W}pict", f"{W}object", f"{W}altChunk")


def _binary_parts(pkg: Package) -> set[str]:
    """The parts no screening reads, removed from the output: every member that is not XML (images,
    embedded packages such as an .xlsx or .docx in ``word/embeddings/``, OLE objects, fonts, media) and
    every altChunk (HTML, RTF or text that Word imports into the document when it opens it), with
    their own relationships."""
    out = {n for n in pkg.names if not is_xml_name(n, pkg.content_types.get(n, ""))}
    for rels_name in [n for n in pkg.names if n.endswith(".rels")]:
        for rel in pkg.relationships(_rels_source(rels_name)):
            if rel["type"] == ALT_CHUNK and rel["external"] != "True":
                out.add(rel["target"])
    out |= {posixpath.join(posixpath.dirname(n), "_rels", posixpath.basename(n) + ".rels") for n in set(out)}
    return out & set(pkg.names)


def _dropped_rel_ids(pkg: Package, dropped: set[str]) -> dict[str, set[str]]:
    """Per source part, the ids of its relationships to a dropped part."""
    out: dict[str, set[str]] = {}
    for rels_name in [n for n in pkg.names if n.endswith(".rels") and n not in dropped]:
        source = _rels_source(rels_name)
        folder = posixpath.dirname(source)
        for rel in parse_xml(pkg.blobs[rels_name], rels_name).iter(f"{{{REL_NS}}}Relationship"):
            target = rel.get("Target") or ""
            if rel.get("TargetMode") == "External":
                continue
            resolved = posixpath.normpath(
                target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            )
            if resolved in dropped and rel.get("Id"):
                out.setdefault(source, set()).add(rel.get("Id"))
    return out


def _remove_references(root, ids: set[str]) -> int:
    """Remove what shows a dropped part (the drawing, picture, object or altChunk whose ``r:`` attribute
    names one of ``ids``); any other such attribute is removed. Returns how many elements went."""
    n = 0
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None and el is not root:
            continue
        for attr, value in list(el.attrib.items()):
            if not attr.startswith(f"{{{RT}}}") or value not in ids:
                continue
            shown = el if el.tag in SHOWS_PART else next((a for a in el.iterancestors(*SHOWS_PART)), None)
            if shown is not None and shown.getparent() is not None:
                shown.getparent().remove(shown)
                n += 1
                break
            del el.attrib[attr]
    return n


def _intervals(text: str, pattern: re.Pattern | None, spans: list[tuple[int, int]]) -> list[list[int]]:
    found = list(spans)
    if pattern is not None:
        found.extend((m.start(), m.end()) for m in pattern.finditer(text))
    merged: list[list[int]] = []
    for s, e in sorted(found):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return merged


def _redact_part(pieces, intervals: list[list[int]]) -> int:
    """Cut ``intervals`` (offsets into the part's laid-out text) out of its nodes."""
    if not intervals:
        return 0
    bounds, pos = [], 0
    for p in pieces:
        bounds.append((pos, pos + len(p.text)))
        pos += len(p.text)
    current = [p.text for p in pieces]
    removed_nodes = []
    for s, e in reversed(intervals):
        hit = [k for k, (a, b) in enumerate(bounds) if a < e and b > s]
        first_editable = next((k for k in hit if pieces[k].editable), None)
        for k in hit:
            a, _b = bounds[k]
            piece = pieces[k]
            if not piece.editable:
                if piece.node is not None and s <= a and bounds[k][1] <= e:
                    removed_nodes.append(piece.node)
                continue
            local_s, local_e = max(s, a) - a, min(e, bounds[k][1]) - a
            cur = current[k]
            current[k] = cur[:local_s] + (MARK if k == first_editable else "") + cur[local_e:]
    for piece, value in zip(pieces, current, strict=True):
        if piece.editable and value != piece.text:
            piece.node.text = value
            piece.node.set(XML_SPACE, "preserve")
    for node in removed_nodes:
        parent = node.getparent()
        if parent is not None:
            parent.remove(node)
    return len(intervals)


def _sweep_element_tree(root, pattern: re.Pattern) -> int:
    """Every text, tail and attribute value of a part (field codes, alternative texts, chart text …)."""
    n = 0
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.text and pattern.search(el.text):
            el.text, k = pattern.subn(MARK, el.text)
            n += k
        if el.tail and pattern.search(el.tail):
            el.tail, k = pattern.subn(MARK, el.tail)
            n += k
        for key, value in list(el.attrib.items()):
            if value and pattern.search(value):
                el.set(key, pattern.sub(MARK, value))
                n += 1
    return n


def _clean_rels(root, dropped: set[str], source: str, pattern: re.Pattern | None) -> int:
    n = 0
    folder = posixpath.dirname(source)
    for rel in list(root.iter(f"{{{REL_NS}}}Relationship")):
        target = rel.get("Target") or ""
        external = rel.get("TargetMode") == "External"
        resolved = (
            target
            if external
            else posixpath.normpath(
                target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            )
        )
        if rel.get("Type") in DROP_RELTYPES or (not external and resolved in dropped):
            rel.getparent().remove(rel)
            n += 1
        elif external and pattern is not None and pattern.search(_unquote(target)):
            rel.set("Target", "#")
            n += 1
    return n


def _unquote(url: str) -> str:
    from urllib.parse import unquote

    return unquote(url)


def _blank_core(root) -> None:
    for el in root:
        if not isinstance(el.tag, str):
            continue
        local = el.tag.rsplit("}", 1)[-1]
        if local in CORE_KEEP:
            continue
        for child in list(el):
            el.remove(child)
        el.text = "1" if local == "revision" else ""


def _clear_app(root) -> None:
    for name in APP_DROP:
        for el in list(root.iter(f"{{{APP_NS}}}{name}")):
            el.getparent().remove(el)


def _serialise(root) -> bytes:
    from lxml import etree

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def redact_docx(
    data: bytes,
    text: str,
    spans: list[tuple[int, int]],
    *,
    max_unpacked: int | None = None,
    budget: Budget | None = None,
) -> tuple[bytes, dict[str, Any]]:
    """Returns the redacted DOCX bytes and a report (counts only)."""
    budget = budget or Budget()
    kwargs = {"max_unpacked": max_unpacked} if max_unpacked else {}
    doc = read_docx(data, budget=budget, **kwargs)
    pkg = doc.package
    strings = withheld_strings(text, spans)
    if doc.text != text:
        # the text given is not this file's extraction: find the withheld strings as whole words only
        spans = []
        pattern = (
            re.compile(
                r"(?<!\w)(?:" + "|".join(r"\s+".join(map(re.escape, s.split())) for s in strings) + r")(?!\w)"
            )
            if strings
            else None
        )
    else:
        pattern = sweep_pattern(strings)
    report = {
        "format": "docx",
        "replacements": 0,
        "tracked_changes_removed": 0,
        "parts_dropped": 0,
        "metadata_cleared": True,
    }
    dropped = _dropped_parts(pkg)
    binary = _binary_parts(pkg) - dropped
    dropped |= binary
    report["parts_dropped"] = len(dropped)
    report["binary_parts_removed"] = len(binary)
    report["binary_references_removed"] = 0
    dropped_ids = _dropped_rel_ids(pkg, dropped)
    # spans: offsets into the stripped text → offsets into each part's laid-out text
    global_spans = [(s + doc.lead, e + doc.lead) for s, e in spans]
    offset = 0
    out_xml: dict[str, bytes] = {}
    for name, pieces in doc.pieces.items():
        part_text = "".join(p.text for p in pieces)
        local = [
            (max(s, offset) - offset, min(e, offset + len(part_text)) - offset)
            for s, e in global_spans
            if s < offset + len(part_text) and e > offset
        ]
        offset += len(part_text)
        if name in dropped:
            continue
        root = doc.roots[name]
        report["replacements"] += _redact_part(pieces, _intervals(part_text, pattern, local))
        if name in dropped_ids:
            report["binary_references_removed"] += _remove_references(root, dropped_ids[name])
        if pattern is not None:
            report["replacements"] += _sweep_element_tree(root, pattern)
        budget.check()
        out_xml[name] = _serialise(root)
    # the original tracked-change count (the text parts were parsed with changes accepted)
    for name in doc.pieces:
        report["tracked_changes_removed"] += strip_tracking(parse_xml(pkg.blobs[name], name))
    for name in pkg.xml_names():
        if name in out_xml or name in dropped:
            continue
        root = parse_xml(pkg.blobs[name], name)
        ctype = pkg.content_types.get(name, "")
        if name in dropped_ids:
            report["binary_references_removed"] += _remove_references(root, dropped_ids[name])
        if name.endswith(".rels"):
            report["replacements"] += _clean_rels(root, dropped, _rels_source(name), pattern)
        elif name == "[Content_Types].xml":
            for el in list(root):
                if (el.get("PartName") or "").lstrip("/") in dropped:
                    root.remove(el)
        elif ctype.endswith("core-properties+xml") or name == "docProps/core.xml":
            _blank_core(root)
        elif ctype.endswith("extended-properties+xml") or name == "docProps/app.xml":
            _clear_app(root)
        elif ctype.endswith(".settings+xml"):
            strip_tracking(root)
        if pattern is not None and not name.endswith(".rels") and name != "[Content_Types].xml":
            if root.tag.startswith(W) or ctype.startswith(WML):
                strip_tracking(root)
                for p in [layout(root)]:  # text boxes in other WordprocessingML parts
                    part_text = "".join(x.text for x in p)
                    report["replacements"] += _redact_part(p, _intervals(part_text, pattern, []))
            report["replacements"] += _sweep_element_tree(root, pattern)
        budget.check()
        out_xml[name] = _serialise(root)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in pkg.names:
            if name in dropped:
                continue
            z.writestr(name, out_xml.get(name, pkg.blobs[name]))
    return buf.getvalue(), report
