"""Real test files, generated: PDFs (reportlab, pypdf), a scanned PDF (Pillow), DOCX (python-docx with
comments, tracked changes, headers, footers, core and custom properties), e-mail, and bad input."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def make_pdf(
    pages: list[list[str]],
    *,
    title: str = "",
    author: str = "",
    annotation: str | None = None,
    attachment: bytes | None = None,
    password: str | None = None,
    free_text: str | None = None,
) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", FONT))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setTitle(title)
    c.setAuthor(author)
    c.setSubject(title)
    c.setKeywords(title)
    for lines in pages:
        c.setFont("DejaVu", 12)
        y = 780
        for line in lines:
            c.drawString(72, y, line)
            y -= 20
        if annotation:
            c.textAnnotation(annotation, Rect=(300, 700, 400, 750))
        c.showPage()
    c.save()
    data = buf.getvalue()
    if attachment is None and password is None and free_text is None:
        return data
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    if free_text is not None:  # a visible annotation: drawn on the page, not in the text layer
        from pypdf.annotations import FreeText
        from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, NumberObject

        annot = FreeText(
            text=free_text,
            rect=(72, 500, 500, 560),
            font_size="20pt",
            font_color="000000",
            border_color="000000",
            background_color="ffffff",
        )
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        appearance = DecodedStreamObject()  # an appearance stream, so viewers (and PDFium) draw the text
        appearance.set_data(f"BT /F1 18 Tf 4 20 Td ({free_text}) Tj ET".encode("latin-1"))
        appearance.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Form"),
                NameObject("/BBox"): ArrayObject(
                    [NumberObject(0), NumberObject(0), NumberObject(428), NumberObject(60)]
                ),
                NameObject("/Resources"): DictionaryObject(
                    {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
                ),
            }
        )
        annot[NameObject("/AP")] = DictionaryObject({NameObject("/N"): writer._add_object(appearance)})
        writer.add_annotation(page_number=0, annotation=annot)
    if attachment is not None:
        writer.add_attachment("vedlegg.txt", attachment)
    if password is not None:
        writer.encrypt(password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_scanned_pdf(lines: list[str], dpi: int = 200) -> bytes:
    """A page with no text layer: text drawn on an image, wrapped as PDF (what a scanner gives)."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = int(8.27 * dpi), int(3 * dpi)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, int(dpi * 0.17))
    y = int(dpi * 0.4)
    for line in lines:
        draw.text((int(dpi * 0.6), y), line, fill="black", font=font)
        y += int(dpi * 0.3)
    buf = io.BytesIO()
    img.save(buf, "PDF", resolution=dpi)
    return buf.getvalue()


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def make_docx(
    *,
    body: list[str],
    table: list[list[str]] | None = None,
    header: str = "",
    footer: str = "",
    comment: tuple[str, str] | None = None,
    inserted: str | None = None,
    deleted: str | None = None,
    split_run: tuple[str, ...] | None = None,
    core: dict | None = None,
    custom: dict[str, str] | None = None,
) -> bytes:
    """``comment``: (paragraph text to comment on, comment text). ``split_run``: a paragraph written as
    several runs (so a name runs across runs). ``inserted``/``deleted``: tracked changes."""
    import docx
    from docx.oxml import parse_xml

    d = docx.Document()
    for text in body:
        d.add_paragraph(text)
    if split_run:
        p = d.add_paragraph()
        for i, piece in enumerate(split_run):
            r = p.add_run(piece)
            r.bold = i % 2 == 1
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for i, row in enumerate(table):
            for j, cell in enumerate(row):
                t.cell(i, j).text = cell
    if header:
        d.sections[0].header.paragraphs[0].text = header
    if footer:
        d.sections[0].footer.paragraphs[0].text = footer
    if comment:
        p = d.add_paragraph(comment[0])
        d.add_comment(p.runs, text=comment[1], author="Saksbehandler", initials="SB")
    if inserted or deleted:
        p = d.add_paragraph("Endring: ")
        if inserted:
            p._p.append(
                parse_xml(
                    f'<w:ins xmlns:w="{W_NS}" w:id="91" w:author="Kari Revisor" '
                    f'w:date="2025-01-01T00:00:00Z"><w:r><w:t xml:space="preserve">{inserted}</w:t>'
                    "</w:r></w:ins>"
                )
            )
        if deleted:
            p._p.append(
                parse_xml(
                    f'<w:del xmlns:w="{W_NS}" w:id="92" w:author="Kari Revisor" '
                    f'w:date="2025-01-01T00:00:00Z"><w:r><w:delText xml:space="preserve">{deleted}'
                    "</w:delText></w:r></w:del>"
                )
            )
    for k, v in (core or {}).items():
        setattr(d.core_properties, k, v)
    buf = io.BytesIO()
    d.save(buf)
    data = buf.getvalue()
    if custom:
        data = _add_custom_properties(data, custom)
    return data


def _add_custom_properties(data: bytes, props: dict[str, str]) -> bytes:
    ns = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
    vt = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
    items = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{i + 2}" name="{k}">'
        f"<vt:lpwstr>{v}</vt:lpwstr></property>"
        for i, (k, v) in enumerate(props.items())
    )
    custom = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="{ns}" '
        f'xmlns:vt="{vt}">{items}</Properties>'
    )
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/docProps/custom.xml" ContentType='
                    b'"application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>',
                )
            if info.filename == "_rels/.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdCustom" Type="http://schemas.'
                    b'openxmlformats.org/officeDocument/2006/relationships/custom-properties" '
                    b'Target="docProps/custom.xml"/></Relationships>',
                )
            z.writestr(info.filename, content)
        z.writestr("docProps/custom.xml", custom)
    return out.getvalue()


def make_zip_bomb_docx(size_mb: int = 400) -> bytes:
    """A DOCX-shaped zip whose one member unpacks to ``size_mb`` MB of zeros (written in chunks)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size_mb):
                f.write(chunk)
    return out.getvalue()


def make_eml(subject: str, body: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "innbygger@example.test"
    msg["To"] = "postmottak@demo.kommune.test"
    msg["Subject"] = subject
    msg.set_content(body)
    return msg.as_bytes()


def extract_everything_pdf(data: bytes) -> str:
    """Everything an extractor finds in a PDF: text (pypdf and PDFium), metadata, annotations,
    attachment names and contents, and the raw (decompressed) streams."""
    import pypdfium2 as pdfium
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    parts = [str(reader.metadata or {}), str(reader.xmp_metadata or "")]
    for page in reader.pages:
        parts.append(page.extract_text() or "")
        for annot in page.get("/Annots") or []:
            parts.append(str(annot.get_object()))
        for obj in (page.get_contents(),):
            if obj is not None:
                parts.append(obj.get_data().decode("latin-1"))
    for name, contents in reader.attachments.items():
        parts.append(name)
        parts.extend(c.decode("utf-8", "replace") for c in contents)
    doc = pdfium.PdfDocument(data)
    for i in range(len(doc)):
        tp = doc[i].get_textpage()
        parts.append(tp.get_text_range())
    parts.append(str(doc.get_metadata_dict()))
    parts.append(data.decode("latin-1"))
    return "\n".join(parts)


def extract_everything_docx(data: bytes) -> str:
    """Every XML part of the package, as text with the tags removed and as is (attributes too)."""
    import re

    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            raw = z.read(name).decode("utf-8", "replace")
            parts.append(name)
            parts.append(raw)
            parts.append(re.sub(r"<[^>]+>", "", raw))
    return "\n".join(parts)


WML_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml."


def docx_from_xml(
    body: str,
    *,
    footnotes: str | None = None,
    endnotes: str | None = None,
    comments: str | None = None,
    header: str | None = None,
    app_xml: str | None = None,
    extra: dict[str, str] | None = None,
) -> bytes:
    """A minimal DOCX written by hand: ``body`` is the inside of ``w:body``; the other parts are the
    inside of their root elements (``w:footnotes``, ``w:endnotes``, ``w:comments``, ``w:hdr``).
    ``app_xml`` replaces docProps/app.xml verbatim (DOCTYPEs and all); ``extra`` adds members as is."""
    ns = f'xmlns:w="{W_NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {"word/document.xml": f"<w:document {ns}><w:body>{body}</w:body></w:document>"}
    overrides = [("word/document.xml", "document.main+xml")]
    rels = []
    for name, root, kind, inner in (
        ("footnotes", "footnotes", "footnotes+xml", footnotes),
        ("endnotes", "endnotes", "endnotes+xml", endnotes),
        ("comments", "comments", "comments+xml", comments),
        ("header1", "hdr", "header+xml", header),
    ):
        if inner is None:
            continue
        parts[f"word/{name}.xml"] = f"<w:{root} {ns}>{inner}</w:{root}>"
        overrides.append((f"word/{name}.xml", kind))
        rtype = {"header1": "header"}.get(name, name)
        rels.append(f'<Relationship Id="rId{len(rels) + 1}" Type="{rel}/{rtype}" Target="{name}.xml"/>')
    ct = "".join(f'<Override PartName="/{n}" ContentType="{WML_CT}{k}"/>' for n, k in overrides) + (
        '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.extended-properties+xml"/>'
        if app_xml is not None
        else ""
    )
    members = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
            'openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            f'ContentType="application/xml"/>{ct}</Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="word/document.xml"/></Relationships>'
        ),
        "word/_rels/document.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships">{"".join(rels)}</Relationships>'
        ),
        **parts,
    }
    if app_xml is not None:
        members["docProps/app.xml"] = app_xml
    members.update(extra or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in members.items():
            z.writestr(name, content)
    return out.getvalue()


def wp(*runs: str) -> str:
    """A paragraph from run contents given as XML (``<w:t>…</w:t>``, ``<w:br/>``, ``<w:tab/>``)."""
    return "<w:p>" + "".join(f"<w:r>{r}</w:r>" for r in runs) + "</w:p>"


def wt(text: str) -> str:
    return f'<w:t xml:space="preserve">{text}</w:t>'
