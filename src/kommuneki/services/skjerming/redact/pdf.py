"""PDF: render every page, paint black boxes over the withheld characters, rebuild the PDF from the
images. Nothing of the original file survives — not its text layer, fonts, metadata, annotations, form
fields, attachments or JavaScript — only the painted pixels of the page content (annotations and form
fields are not rendered: their text is not in the text layer, so it could not be located and painted).
A text layer is added back by Tesseract
reading the redacted images (so it can only hold what is visible), or left out.

Character boxes come from :func:`kommuneki.ingest.pdf.pdf_layout`: PDFium's character boxes for pages
with a text layer, Tesseract's word boxes for scanned pages. Spans are offsets into the same text that
:func:`kommuneki.ingest.extract` gives.
"""

from __future__ import annotations

import io
from typing import Any

from ....core.errors import InvalidInput
from ....ingest import ocr
from ....ingest.pdf import open_pdf, pdf_layout, render
from . import sweep_pattern, withheld_strings

DPI = 200
PAD_PT = 1.5  # points added around each box: covers anti-aliased glyph edges


def _boxes_for(layout, spans: list[tuple[int, int]]) -> dict[int, list[tuple[float, float, float, float]]]:
    per_page: dict[int, list[tuple[float, float, float, float]]] = {}
    for s, e in spans:
        for b in layout.boxes[s:e]:
            if b is not None:
                per_page.setdefault(b[0], []).append(b[1:])
    return per_page


def redact_pdf(
    data: bytes, text: str, spans: list[tuple[int, int]], *, text_layer: bool = True, dpi: int = DPI
) -> tuple[bytes, dict[str, Any]]:
    """Returns the rebuilt PDF and a report (counts only)."""
    from PIL import ImageDraw

    layout = pdf_layout(data)
    strings = withheld_strings(text, spans)
    if layout.text != text:
        # the text given is not this file's extraction (another OCR version?): locate by string only
        spans = []
    all_spans = list(spans)
    pattern = sweep_pattern(strings)
    swept = 0
    if pattern is not None:
        for m in pattern.finditer(layout.text):
            if not any(s <= m.start() and m.end() <= e for s, e in spans):
                all_spans.append((m.start(), m.end()))
                swept += 1
    for s in strings:  # short strings: exact occurrences
        if pattern is None or len(s) < 3:
            start = layout.text.find(s)
            while start >= 0:
                all_spans.append((start, start + len(s)))
                start = layout.text.find(s, start + 1)
    missing = [s for s in strings if not any(layout.text[a:b].strip() for a, b in all_spans)]
    if missing and layout.text != text:
        raise InvalidInput("Fant ikke igjen opplysningene som skal skjermes i PDF-en.")
    per_page = _boxes_for(layout, all_spans)
    doc = open_pdf(data)
    images = []
    painted = 0
    try:
        scale = dpi / 72
        for index in range(len(doc)):
            page = doc[index]
            height = page.get_size()[1]
            image = render(page, dpi, annotations=False)
            draw = ImageDraw.Draw(image)
            for x0, y0, x1, y1 in per_page.get(index, []):
                draw.rectangle(
                    [
                        (x0 - PAD_PT) * scale,
                        (height - y1 - PAD_PT) * scale,
                        (x1 + PAD_PT) * scale,
                        (height - y0 + PAD_PT) * scale,
                    ],
                    fill="black",
                )
                painted += 1
            images.append(image)
            page.close()
    finally:
        doc.close()
    with_layer = text_layer and ocr.available()
    if with_layer:
        out = ocr.images_to_searchable_pdf(images, dpi=dpi)
    else:
        buf = io.BytesIO()
        images[0].save(buf, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
        out = buf.getvalue()
    out = _strip_metadata(out)
    return out, {
        "format": "pdf",
        "pages": len(images),
        "spans": len(spans),
        "further_occurrences": swept,
        "boxes_painted": painted,
        "text_layer": "ocr" if with_layer else "none",
        "dpi": dpi,
    }


def _strip_metadata(data: bytes) -> bytes:
    """Rewrite with pypdf, dropping the document information dictionary and XMP metadata that the
    image writer (Pillow or Tesseract) adds (producer, creation date)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer._info = None  # no /Info dictionary at all
    if "/Metadata" in writer._root_object:
        del writer._root_object["/Metadata"]
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
