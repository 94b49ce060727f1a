"""DPIA, ROS and FRIA documents: versions kept, every generation and export audited, DOCX and PDF export.

A document is plain data (``content``): sections of blocks. Block types:

* ``facts``: rows of (label, value) prefilled from the register, the model cards and monitoring;
* ``text``: prefilled prose;
* ``table``: a header and rows; a cell may be ``{"todo": "<id>"}`` for a person to fill in;
* ``todo``: a part a person must write (``id``, ``prompt``, ``answer``). Unanswered parts are printed as
  «FYLLES UT» and highlighted in both formats.

Generating again prefills from the register as it is now and carries over the answers written in the
previous version (by todo id); a version whose content equals the previous one is not stored twice.
"""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kommuneki.core import audit
from kommuneki.core.errors import InvalidInput, NotFound

from .models import KiDocument, KiSystem

DOC_TYPES = {
    "dpia": "Vurdering av personvernkonsekvenser (DPIA)",
    "ros": "Risiko- og sårbarhetsanalyse (ROS)",
    "fria": "Vurdering av konsekvenser for grunnleggende rettigheter (FRIA)",
}
TODO_MARK = "FYLLES UT"


def todo(tid: str, prompt: str) -> dict[str, Any]:
    return {"type": "todo", "id": tid, "prompt": prompt, "answer": ""}


def todos(content: dict[str, Any]) -> list[dict[str, Any]]:
    """Every part a person must write, in document order (blocks and table cells)."""
    out = []
    for sec in content["sections"]:
        for b in sec["blocks"]:
            if b["type"] == "todo":
                out.append(b)
            elif b["type"] == "table":
                for row in b["rows"]:
                    for cell in row:
                        if isinstance(cell, dict) and "todo" in cell:
                            out.append(
                                {
                                    "id": cell["todo"],
                                    "prompt": cell.get("prompt", ""),
                                    "answer": cell.get("answer", ""),
                                }
                            )
    return out


def _fill(content: dict[str, Any], answers: dict[str, str]) -> None:
    for sec in content["sections"]:
        for b in sec["blocks"]:
            if b["type"] == "todo" and b["id"] in answers:
                b["answer"] = answers[b["id"]]
            elif b["type"] == "table":
                for row in b["rows"]:
                    for cell in row:
                        if isinstance(cell, dict) and cell.get("todo") in answers:
                            cell["answer"] = answers[cell["todo"]]


def content_sha256(content: dict[str, Any]) -> str:
    body = {k: v for k, v in content.items() if k != "generated_at"}
    return hashlib.sha256(audit.canonical_json(body).encode()).hexdigest()


def latest(session: Session, system_id: int, doc_type: str) -> KiDocument | None:
    return session.scalar(
        select(KiDocument)
        .where(KiDocument.system_id == system_id, KiDocument.doc_type == doc_type)
        .order_by(KiDocument.version.desc())
        .limit(1)
    )


def versions(session: Session, system_id: int) -> list[KiDocument]:
    return list(
        session.scalars(
            select(KiDocument)
            .where(KiDocument.system_id == system_id)
            .order_by(KiDocument.doc_type, KiDocument.version.desc())
        )
    )


def get_document(session: Session, doc_id: int) -> KiDocument:
    d = session.get(KiDocument, doc_id)
    if d is None or d.tenant_id != session.info.get("tenant_id", d.tenant_id):
        raise NotFound("Dokumentet finnes ikke.")
    return d


def store(
    session: Session,
    system: KiSystem,
    doc_type: str,
    content: dict[str, Any],
    *,
    actor: str,
    answers: dict[str, str] | None = None,
) -> KiDocument:
    """Store ``content`` as the next version of the system's ``doc_type`` document, carrying over the
    previous version's answers and applying ``answers``. Returns the previous version when nothing
    changed."""
    if doc_type not in DOC_TYPES:
        raise InvalidInput(f"Ukjent dokumenttype: {doc_type}")
    prev = latest(session, system.id, doc_type)
    known = {t["id"] for t in todos(content)}
    carried = {t["id"]: t["answer"] for t in todos(prev.content)} if prev else {}
    given = {k: str(v).strip() for k, v in (answers or {}).items()}
    unknown = set(given) - known
    if unknown:
        raise InvalidInput(f"Ukjente felt i dokumentet: {', '.join(sorted(unknown))}")
    _fill(content, {**{k: v for k, v in carried.items() if k in known}, **given})
    sha = content_sha256(content)
    if prev is not None and prev.content_sha256 == sha:
        return prev
    doc = KiDocument(
        tenant_id=system.tenant_id,
        system_id=system.id,
        doc_type=doc_type,
        version=(prev.version + 1) if prev else 1,
        content=content,
        content_sha256=sha,
        created_by=actor,
    )
    session.add(doc)
    session.flush()
    audit.record(
        session,
        system.tenant_id,
        "governance.document_generated",
        actor=actor,
        subject=("ki_document", doc.id),
        doc_type=doc_type,
        version=doc.version,
        content_sha256=sha,
    )
    return doc


# --- rendering ------------------------------------------------------------------------------------


def _cell_text(cell: Any) -> tuple[str, bool]:
    """(text, is_unfilled_todo)."""
    if isinstance(cell, dict) and "todo" in cell:
        if cell.get("answer"):
            return cell["answer"], False
        return f"[{TODO_MARK}]" + (f" {cell['prompt']}" if cell.get("prompt") else ""), True
    return ("" if cell is None else str(cell)), False


def to_docx(doc: KiDocument) -> bytes:
    from docx import Document
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import Pt

    c = doc.content
    d = Document()
    d.core_properties.title = c["title"]
    d.core_properties.language = "nb-NO"
    d.add_heading(c["title"], level=0)
    d.add_paragraph(
        f"{c['system']['name']} – versjon {doc.version}, laget {c['generated_at'][:10]}. "
        f"Deler merket «{TODO_MARK}» må skrives av en person før dokumentet er ferdig."
    )
    for sec in c["sections"]:
        d.add_heading(sec["heading"], level=1)
        if sec.get("source"):
            p = d.add_paragraph()
            r = p.add_run(f"Kilde: {sec['source']}")
            r.italic = True
            r.font.size = Pt(9)
        for b in sec["blocks"]:
            if b["type"] == "text":
                d.add_paragraph(b["text"])
            elif b["type"] == "facts":
                t = d.add_table(rows=0, cols=2)
                t.style = "Table Grid"
                for label, value in b["rows"]:
                    cells = t.add_row().cells
                    cells[0].text = str(label)
                    cells[1].text = "" if value is None else str(value)
                    cells[0].paragraphs[0].runs[0].bold = True
            elif b["type"] == "table":
                t = d.add_table(rows=1, cols=len(b["header"]))
                t.style = "Table Grid"
                for i, h in enumerate(b["header"]):
                    t.rows[0].cells[i].text = h
                    t.rows[0].cells[i].paragraphs[0].runs[0].bold = True
                for row in b["rows"]:
                    cells = t.add_row().cells
                    for i, cell in enumerate(row):
                        text, open_ = _cell_text(cell)
                        run = cells[i].paragraphs[0].add_run(text)
                        if open_:
                            run.bold = True
                            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
            elif b["type"] == "todo":
                p = d.add_paragraph()
                if b.get("answer"):
                    lead = p.add_run(f"{b['prompt']} ")
                    lead.italic = True
                    p.add_run(b["answer"])
                else:
                    run = p.add_run(f"[{TODO_MARK}] {b['prompt']}")
                    run.bold = True
                    run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


_FONT: tuple[str, str] | None = None


def _pdf_fonts() -> tuple[str, str]:
    """DejaVu Sans when the system has it (covers every character we print), else Helvetica."""
    global _FONT
    if _FONT is None:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        base = Path("/usr/share/fonts/truetype/dejavu")
        if (base / "DejaVuSans.ttf").exists() and (base / "DejaVuSans-Bold.ttf").exists():
            pdfmetrics.registerFont(TTFont("KiSans", str(base / "DejaVuSans.ttf")))
            pdfmetrics.registerFont(TTFont("KiSans-Bold", str(base / "DejaVuSans-Bold.ttf")))
            _FONT = ("KiSans", "KiSans-Bold")
        else:
            _FONT = ("Helvetica", "Helvetica-Bold")
    return _FONT


def to_pdf(doc: KiDocument) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _pdf_fonts()
    ss = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=ss["BodyText"], fontName=regular, fontSize=10, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=colors.HexColor("#4a5360"))
    h0 = ParagraphStyle("h0", parent=ss["Title"], fontName=bold, fontSize=18)
    h1 = ParagraphStyle("h1", parent=ss["Heading2"], fontName=bold)
    todo_style = ParagraphStyle(
        "todo",
        parent=body,
        fontName=bold,
        backColor=colors.HexColor("#fff3bf"),
        borderColor=colors.HexColor("#8a5300"),
        borderWidth=1,
        borderPadding=4,
    )
    e = lambda s: escape("" if s is None else str(s))  # noqa: E731
    c = doc.content
    story: list[Any] = [
        Paragraph(e(c["title"]), h0),
        Paragraph(
            e(
                f"{c['system']['name']} – versjon {doc.version}, laget {c['generated_at'][:10]}. "
                f"Deler merket «{TODO_MARK}» må skrives av en person før dokumentet er ferdig."
            ),
            body,
        ),
    ]
    grid = [("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#c9cfd6")), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    width = A4[0] - 4 * cm
    for sec in c["sections"]:
        story += [Spacer(1, 6), Paragraph(e(sec["heading"]), h1)]
        if sec.get("source"):
            story.append(Paragraph(e(f"Kilde: {sec['source']}"), small))
        for b in sec["blocks"]:
            if b["type"] == "text":
                story.append(Paragraph(e(b["text"]), body))
            elif b["type"] == "facts":
                rows = [[Paragraph(f"<b>{e(k)}</b>", body), Paragraph(e(v), body)] for k, v in b["rows"]]
                if rows:
                    story.append(Table(rows, colWidths=[width * 0.3, width * 0.7], style=TableStyle(grid)))
            elif b["type"] == "table":
                rows = [[Paragraph(f"<b>{e(h)}</b>", body) for h in b["header"]]]
                styles = list(grid)
                for r, row in enumerate(b["rows"], start=1):
                    out = []
                    for i, cell in enumerate(row):
                        text, open_ = _cell_text(cell)
                        out.append(Paragraph(e(text), todo_style if open_ else body))
                        if open_:
                            styles.append(("BACKGROUND", (i, r), (i, r), colors.HexColor("#fff3bf")))
                    rows.append(out)
                n = len(b["header"])
                story.append(Table(rows, colWidths=[width / n] * n, style=TableStyle(styles), repeatRows=1))
            elif b["type"] == "todo":
                if b.get("answer"):
                    story.append(Paragraph(f"<i>{e(b['prompt'])}</i> {e(b['answer'])}", body))
                else:
                    story.append(Paragraph(e(f"[{TODO_MARK}] {b['prompt']}"), todo_style))
            story.append(Spacer(1, 4))
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf,
        pagesize=A4,
        title=c["title"],
        author="kommuneki",
        lang="nb-NO",
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    ).build(story)
    return buf.getvalue()


def export(session: Session, doc: KiDocument, fmt: str, *, actor: str) -> tuple[bytes, str, str]:
    """Render a stored version as DOCX or PDF and audit the export. Returns (bytes, media type, filename)."""
    if fmt == "docx":
        data, media = to_docx(doc), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    elif fmt == "pdf":
        data, media = to_pdf(doc), "application/pdf"
    else:
        raise InvalidInput("Formatet må være docx eller pdf.")
    audit.record(
        session,
        doc.tenant_id,
        "governance.document_exported",
        actor=actor,
        subject=("ki_document", doc.id),
        doc_type=doc.doc_type,
        version=doc.version,
        format=fmt,
        file_sha256=hashlib.sha256(data).hexdigest(),
    )
    slug = doc.content["system"].get("key", "system").replace(":", "-")
    return data, media, f"{doc.doc_type}-{slug}-v{doc.version}.{fmt}"


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")
