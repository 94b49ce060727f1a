"""PDF redaction with bounded work per page: a page over 50 megapixels is rendered at a lower
resolution, or refused in Norwegian when even the lowest would be too much; the output is written page by
page and read back for verification; a PDF over the page limit is an error line in a batch, not a crash."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from kommuneki.cli import main
from kommuneki.core.errors import InvalidInput
from kommuneki.ingest import extract
from kommuneki.ingest.pdf import MAX_PAGES
from kommuneki.services.skjerming.redact import redact

FNR = "26078704828"


def pdf_with_page(size_pt: float, line: str) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(size_pt, size_pt))
    c.setFont("Helvetica", 40)
    c.drawString(72, size_pt - 144, line)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_a_large_page_is_rendered_at_a_lower_dpi(monkeypatch):
    import kommuneki.ingest.pdf

    # the cap made small, so the test renders a small page: 800 pt at 200 dpi is 4.9 MP
    monkeypatch.setattr(kommuneki.ingest.pdf, "MAX_PAGE_PIXELS", 2_000_000)
    data = pdf_with_page(800, f"Fodselsnummer {FNR} i saken.")
    text = extract(data, "plakat.pdf").text
    s = text.index(FNR)
    result = redact(data, "plakat.pdf", text, [(s, s + len(FNR))], text_layer=False)
    assert result.report["pages_at_lower_dpi"] == [1] and result.report["verified"]
    assert result.path is not None and FNR.encode() not in result.data


def test_a_huge_page_is_refused_in_norwegian():
    data = pdf_with_page(14400, f"Fodselsnummer {FNR}")  # 200 × 200 inches: 1.6 gigapixels at 200 dpi
    assert len(data) < 4096
    text = extract(data, "enorm.pdf").text
    s = text.index(FNR)
    with pytest.raises(InvalidInput, match="Side 1 er for stor til å gjengis"):
        redact(data, "enorm.pdf", text, [(s, s + len(FNR))], text_layer=False)


def test_too_many_pages_is_an_error_line_and_the_batch_goes_on(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(MAX_PAGES + 1):
        writer.add_blank_page(width=200, height=200)
    buf = io.BytesIO()
    writer.write(buf)
    (tmp_path / "a-lang.pdf").write_bytes(buf.getvalue())
    (tmp_path / "b-tom.txt").write_bytes(b"")  # the next input is still read (and is bad too)
    r = CliRunner().invoke(main, ["skjerming", "scan", str(tmp_path), "--json"])
    assert r.exit_code == 1
    out = [json.loads(line) for line in r.output.splitlines() if line.startswith("{")]
    assert "for mange sider (2001; grensen er 2000)" in out[0]["error"]
    assert out[1]["input"].endswith("b-tom.txt") and out[1]["error"] == "Filen er tom."
