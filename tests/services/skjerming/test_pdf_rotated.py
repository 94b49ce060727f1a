"""Rotated PDF pages (issue 12): a page with /Rotate 90, 180 or 270, and a page whose content is drawn
through a rotated matrix (``cm``), are redacted where the text is, and the independent check still finds
nothing withheld. The redacted page is rendered, turned upright and read by Tesseract: the number must
be gone and the rest still readable (with /Rotate 90 the box was painted beside the number, which stayed
readable in the "redacted" file)."""

from __future__ import annotations

import io
import shutil

import pytest
from tests.conftest import require

from kommuneki.ingest import extract
from kommuneki.ingest.pdf import load_page, open_pdf, render
from kommuneki.services.skjerming.redact import redact

FNR = "26078704828"


def _pdf(rotate: int = 0, matrix: bool = False) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842))
    c.setFont("Helvetica", 14)
    if matrix:  # the content drawn turned a quarter, through the content matrix (not /Rotate)
        c.translate(300, 100)
        c.rotate(90)
    c.drawString(72, 200 if matrix else 700, f"Vedtak for søker, fødselsnummer {FNR}, Storgata 1.")
    c.drawString(72, 100 if matrix else 300, "Annen tekst som blir stående igjen her.")
    c.save()
    reader = PdfReader(io.BytesIO(buf.getvalue()))
    writer = PdfWriter()
    for page in reader.pages:
        if rotate:
            page.rotate(rotate)
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _upright_text(pdf: bytes, turn: int) -> str:
    from kommuneki.ingest import ocr

    doc = open_pdf(pdf)
    try:
        page = load_page(doc, 0)
        image = render(page, 150).convert("L").rotate(turn, expand=True)  # PIL turns counter-clockwise
        page.close()
    finally:
        doc.close()
    return " ".join(w.text for w in ocr.recognise(image, dpi=150).words)


@pytest.mark.parametrize(
    ("rotate", "matrix", "turn"),
    [(0, False, 0), (90, False, 90), (180, False, 180), (270, False, 270), (0, True, 270)],
    ids=["upright", "rotate-90", "rotate-180", "rotate-270", "rotated-matrix"],
)
def test_a_rotated_page_is_redacted_where_the_text_is(rotate, matrix, turn):
    require(
        shutil.which("tesseract") is not None, "Tesseract", "apt-get install tesseract-ocr tesseract-ocr-nor"
    )
    data = _pdf(rotate, matrix)
    assert FNR in _upright_text(data, turn).replace(" ", "")  # the reader sees it before
    text = extract(data, "vedtak.pdf").text
    at = text.index(FNR)
    result = redact(data, "vedtak.pdf", text, [(at, at + len(FNR))], text_layer=True)
    assert result.report["verified"] is True  # the independent check found nothing withheld
    seen = _upright_text(result.data, turn)
    assert "2607870" not in seen.replace(" ", "") and "4828" not in seen
    assert "Storgata" in seen and "igjen" in seen  # only the number was covered
