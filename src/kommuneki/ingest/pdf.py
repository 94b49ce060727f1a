"""PDF: the text layer through PDFium (pypdfium2, BSD/Apache), scanned pages through Tesseract.

:func:`pdf_layout` gives the document text and, for every character, the page and box it sits in (PDF
points, bottom-left origin), so that a character span found in the text can be painted over on the page
(see ``services/skjerming/redact/pdf.py``). A page whose text layer is (nearly) empty is rendered and
read by OCR. PyMuPDF is not used: it is AGPL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.errors import InvalidInput
from . import Extracted

#: Pages with fewer visible characters than this in their text layer are treated as scanned.
MIN_TEXT_CHARS = 16
OCR_DPI = 300
MAX_PAGES = 2000
#: Most pixels one rendered page may have; a larger page is rendered at a lower resolution, or refused.
MAX_PAGE_PIXELS = 50_000_000
MIN_DPI = 50
PAGE_SEPARATOR = "\n\n"

Box = tuple[int, float, float, float, float]  # page index, x0, y0, x1, y1 (points, bottom-left origin)


@dataclass
class PdfLayout:
    text: str
    boxes: list[Box | None]  # one per character of text
    pages: list[dict[str, Any]] = field(default_factory=list)  # per page: start, end, method, width, height
    metadata: dict[str, str] = field(default_factory=dict)


def open_pdf(data: bytes):
    """Open with PDFium; refuses encrypted and corrupt files with a Norwegian message."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise InvalidInput(
                "PDF-en er kryptert (passordbeskyttet) og kan ikke leses. Lagre den uten "
                "passord og prøv igjen."
            ) from exc
        raise InvalidInput("PDF-en er skadet og kan ikke leses.") from exc
    pages = len(doc)  # read before closing: a closed document has no length
    if pages == 0:
        doc.close()
        raise InvalidInput("PDF-en har ingen sider.")
    if pages > MAX_PAGES:
        doc.close()
        raise InvalidInput(f"PDF-en har for mange sider ({pages}; grensen er {MAX_PAGES}).")
    return doc


def load_page(doc, index: int):
    """Page ``index`` of an open document; a page PDFium cannot load is refused in Norwegian."""
    import pypdfium2 as pdfium

    try:
        return doc[index]
    except pdfium.PdfiumError as exc:
        raise InvalidInput(f"Side {index + 1} i PDF-en er skadet og kan ikke leses.") from exc


def capped_dpi(page, dpi: int, *, number: int, min_dpi: int = MIN_DPI) -> int:
    """``dpi``, lowered so that the rendered page stays within :data:`MAX_PAGE_PIXELS`; refuses (in
    Norwegian) a page so large that even ``min_dpi`` would exceed it."""
    import math

    width, height = page.get_size()
    pixels = (width * dpi / 72) * (height * dpi / 72)
    if pixels <= MAX_PAGE_PIXELS:
        return dpi
    lowered = int(dpi * math.sqrt(MAX_PAGE_PIXELS / pixels))
    if lowered < min_dpi:
        raise InvalidInput(
            f"Side {number} er for stor til å gjengis "
            f"({width / 72 * 2.54:.0f} × {height / 72 * 2.54:.0f} cm; "
            f"grensen er {MAX_PAGE_PIXELS // 1_000_000} megapiksler ved minst {min_dpi} dpi)."
        )
    return lowered


def _text_layer(page, page_index: int) -> tuple[str, list[Box | None]]:
    import pypdfium2.raw as raw

    tp = page.get_textpage()
    try:
        chars: list[str] = []
        boxes: list[Box | None] = []
        for i in range(tp.count_chars()):
            code = raw.FPDFText_GetUnicode(tp.raw, i)
            ch = chr(code) if code else ""
            if ch in ("\r", "\x02", "\ufffe", ""):  # \r of generated \r\n; soft hyphen marker
                continue
            chars.append(ch)
            if ch.isspace():
                boxes.append(None)
            else:
                x0, y0, x1, y1 = tp.get_charbox(i, loose=True)
                boxes.append((page_index, x0, y0, x1, y1))
        return "".join(chars), boxes
    finally:
        tp.close()


def render(page, dpi: int, *, annotations: bool = True):
    """The page as a PIL image at ``dpi``. ``annotations=False`` leaves out annotations and form fields
    (redaction: their text is not in the text layer, so it could not be painted over)."""
    return (
        page.render(scale=dpi / 72, may_draw_forms=annotations, draw_annots=annotations)
        .to_pil()
        .convert("RGB")
    )


def page_text(page, index: int, *, ocr: bool = True) -> tuple[str, list[Box | None], str]:
    """The text of one page, a box for every character, and how it was read (text, ocr or no-ocr)."""
    from . import ocr as ocr_mod

    height = page.get_size()[1]
    text, boxes = _text_layer(page, index)
    method = "text"
    if len(text.strip()) < MIN_TEXT_CHARS and ocr and not ocr_mod.available():
        method = "no-ocr"
    elif len(text.strip()) < MIN_TEXT_CHARS and ocr:
        dpi = capped_dpi(page, OCR_DPI, number=index + 1, min_dpi=100)
        image = render(page, dpi)
        result = ocr_mod.recognise(image, dpi=dpi)
        del image
        if len(result.text.strip()) >= len(text.strip()):
            scale = 72 / dpi
            text = result.text
            boxes = [
                None
                if b is None
                else (index, b[0] * scale, height - b[3] * scale, b[2] * scale, height - b[1] * scale)
                for b in result.boxes
            ]
            method = "ocr"
    return text, boxes, method


def pdf_layout(data: bytes, *, ocr: bool = True, boxes: bool = True) -> PdfLayout:
    """Text and character boxes of every page. Scanned pages go through OCR when ``ocr`` is true.

    ``boxes=False`` keeps no box for text-layer pages (a 2,000-page document has millions of
    characters; the redactor asks each page again for the boxes it paints) but keeps them for OCR pages
    in ``pages[i]["boxes"]`` (reading a page again by OCR would cost far more than keeping them)."""
    keep_boxes = boxes
    doc = open_pdf(data)
    try:
        texts: list[str] = []
        all_boxes: list[Box | None] = []
        pages = []
        pos = 0
        for index in range(len(doc)):
            page = load_page(doc, index)
            width, height = page.get_size()
            text, page_boxes, method = page_text(page, index, ocr=ocr)
            page.close()
            if index:
                texts.append(PAGE_SEPARATOR)
                if keep_boxes:
                    all_boxes.extend([None] * len(PAGE_SEPARATOR))
                pos += len(PAGE_SEPARATOR)
            texts.append(text)
            info = {
                "page": index + 1,
                "start": pos,
                "end": pos + len(text),
                "method": method,
                "width": width,
                "height": height,
            }
            if keep_boxes:
                all_boxes.extend(page_boxes)
            elif method == "ocr":
                info["boxes"] = page_boxes
            pages.append(info)
            pos += len(text)
        metadata = {k: v for k, v in doc.get_metadata_dict(skip_empty=True).items()}
        return PdfLayout("".join(texts), all_boxes, pages, metadata)
    finally:
        doc.close()


def extract_pdf(data: bytes) -> Extracted:
    layout = pdf_layout(data, boxes=False)
    if not layout.text.strip():
        if any(p["method"] == "no-ocr" for p in layout.pages):
            raise InvalidInput(
                "PDF-en er skannet, men tekstgjenkjenning (Tesseract) er ikke installert på "
                "serveren (apt-get install tesseract-ocr tesseract-ocr-nor)."
            )
        raise InvalidInput("PDF-en inneholder ingen lesbar tekst.")
    ocr_pages = [p["page"] for p in layout.pages if p["method"] == "ocr"]
    return Extracted(
        layout.text,
        {
            "format": "pdf",
            "pages": len(layout.pages),
            "ocr_pages": ocr_pages,
            "title": layout.metadata.get("Title"),
        },
    )
