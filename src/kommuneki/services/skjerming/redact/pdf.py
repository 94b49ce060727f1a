"""PDF: render each page, paint black boxes over the withheld characters, and write a new PDF from the
images, one page at a time. Nothing of the original file survives — not its text layer, fonts, metadata,
annotations, form fields, attachments or JavaScript — only the painted pixels of the page content
(annotations and form fields are not rendered: their text is not in the text layer, so it could not be
located and painted). A text layer is added back from Tesseract reading the redacted image (so it can
only hold what is visible): invisible Helvetica text at each recognised word's box; or left out.

Memory is bounded by one page: the first pass keeps the text and, for scanned pages only, the OCR
boxes; the second pass asks each page again for the boxes of the characters it paints, renders it
(at most :data:`~kommuneki.ingest.pdf.MAX_PAGE_PIXELS`; a larger page at a lower resolution, or refused
in Norwegian), encodes it as JPEG and writes it straight to a temporary file through
:class:`StreamingImagePdf`. Only the finished file is read back into memory.

Spans are offsets into the same text that :func:`kommuneki.ingest.extract` gives.
"""

from __future__ import annotations

import io
import tempfile
import zlib
from typing import Any, BinaryIO

from ....core.errors import InvalidInput
from ....ingest import ocr
from ....ingest.pdf import capped_dpi, load_page, open_pdf, page_text, pdf_layout, render
from . import sweep_pattern, withheld_strings

DPI = 200
PAD_PT = 1.5  # points added around each box: covers anti-aliased glyph edges
JPEG_QUALITY = 80
FLATE_LEVEL = 3


class StreamingImagePdf:
    """A PDF writer for pages that are one image each (plus an optional invisible text layer), writing
    every object to ``out`` as soon as it is made: nothing but the page offsets stays in memory. No
    document information dictionary and no XMP metadata are written.

    pypdf and Pillow build the whole document in memory before writing it (what made 2,000 pages cost
    gigabytes), hence this small writer; the format is PDF 1.7's plain object/xref layout."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self.offsets: dict[int, int] = {}
        self.kids: list[int] = []
        self.next_id = 4  # 1 catalog, 2 page tree, 3 font
        self.pos = 0
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        self._object(3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.pos += len(data)

    def _object(self, num: int, body: bytes, stream: bytes | None = None) -> None:
        self.offsets[num] = self.pos
        self._write(f"{num} 0 obj\n".encode() + body)
        if stream is not None:
            self._write(b"\nstream\n")
            self._write(stream)
            self._write(b"\nendstream")
        self._write(b"\nendobj\n")

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def add_page(
        self,
        encoded: bytes,
        *,
        filter_name: bytes,
        width_px: int,
        height_px: int,
        gray: bool,
        dpi: float,
        words=(),
    ) -> None:
        """One page: the image (``encoded`` with ``filter_name``) filling it, and ``words`` ((text,
        left, top, right, bottom) in pixels, top-left origin) as invisible text."""
        from reportlab.pdfbase.pdfmetrics import stringWidth

        w_pt, h_pt = width_px * 72 / dpi, height_px * 72 / dpi
        image, content, page = self._id(), self._id(), self._id()
        colour = b"/DeviceGray" if gray else b"/DeviceRGB"
        self._object(
            image,
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 "
            b"/Filter %s /Length %d >>" % (width_px, height_px, colour, filter_name, len(encoded)),
            encoded,
        )
        ops = [f"q {w_pt:.3f} 0 0 {h_pt:.3f} 0 0 cm /Im0 Do Q"]
        scale = 72 / dpi
        for text, left, top, right, bottom in words:
            size = max(1.0, (bottom - top) * scale)
            natural = stringWidth(text, "Helvetica", size) or size
            stretch = max(1.0, min(1000.0, 100 * (right - left) * scale / natural))
            x, y = left * scale, h_pt - bottom * scale
            ops.append(
                f"BT 3 Tr /F1 {size:.2f} Tf {stretch:.1f} Tz 1 0 0 1 {x:.2f} {y:.2f} Tm "
                f"({_pdf_string(text)}) Tj ET"
            )
        stream = "\n".join(ops).encode("latin-1")
        self._object(content, b"<< /Length %d >>" % len(stream), stream)
        self._object(
            page,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.3f %.3f] "
            b"/Resources << /XObject << /Im0 %d 0 R >> /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
            % (w_pt, h_pt, image, content),
        )
        self.kids.append(page)

    def close(self) -> None:
        kids = " ".join(f"{k} 0 R" for k in self.kids)
        self._object(2, f"<< /Type /Pages /Kids [{kids}] /Count {len(self.kids)} >>".encode())
        size = self.next_id
        xref = self.pos
        lines = [f"xref\n0 {size}\n", "0000000000 65535 f \n"]
        for num in range(1, size):
            lines.append(f"{self.offsets.get(num, 0):010d} 00000 n \n")
        self._write("".join(lines).encode())
        self._write(f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())


def _pdf_string(text: str) -> str:
    raw = text.encode("cp1252", "replace").decode("latin-1")
    return raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _spans_to_find(layout, text: str, spans: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], int]:
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
    return sorted(all_spans), swept


def _is_gray(image) -> bool:
    from PIL import ImageChops

    r, g, b = image.split()
    return ImageChops.difference(r, g).getbbox() is None and ImageChops.difference(g, b).getbbox() is None


def _device_box(
    box: tuple[float, float, float, float], width: float, height: float, rotation: int, scale: float
) -> list[float]:
    """A character box in page space (points, origin at the bottom left, before /Rotate) as the pixel
    rectangle it covers on the page rendered at ``scale`` pixels per point with its /Rotate (clockwise)
    applied, padded by :data:`PAD_PT`. A rotated content matrix needs nothing here: PDFium gives the
    box in page space already."""
    x0, y0, x1, y1 = box[0] - PAD_PT, box[1] - PAD_PT, box[2] + PAD_PT, box[3] + PAD_PT
    if rotation == 90:
        left, top, right, bottom = y0, x0, y1, x1
    elif rotation == 180:
        left, top, right, bottom = width - x1, y0, width - x0, y1
    elif rotation == 270:
        left, top, right, bottom = height - y1, width - x1, height - y0, width - x0
    else:
        left, top, right, bottom = x0, height - y1, x1, height - y0
    return [left * scale, top * scale, right * scale, bottom * scale]


def redact_pdf(
    data: bytes,
    text: str,
    spans: list[tuple[int, int]],
    *,
    text_layer: bool = True,
    dpi: int = DPI,
    out: BinaryIO | None = None,
) -> dict[str, Any] | tuple[bytes, dict[str, Any]]:
    """Write the rebuilt PDF to ``out`` and return a report (counts only); without ``out``, return the
    PDF's bytes and the report."""
    if out is None:
        with tempfile.TemporaryFile(prefix="kommuneki-skjerming-") as tmp:
            report = redact_pdf(data, text, spans, text_layer=text_layer, dpi=dpi, out=tmp)
            tmp.seek(0)
            return tmp.read(), report
    from PIL import ImageDraw

    layout = pdf_layout(data, boxes=False)
    all_spans, swept = _spans_to_find(layout, text, spans)
    with_layer = text_layer and ocr.available()
    doc = open_pdf(data)
    painted, lowered = 0, []
    try:
        writer = StreamingImagePdf(out)
        for index, info in enumerate(layout.pages):
            page = load_page(doc, index)
            start, end = info["start"], info["end"]
            local = [
                (max(s, start) - start, min(e, end) - start) for s, e in all_spans if s < end and e > start
            ]
            boxes: list = []
            if local:
                if info["method"] == "ocr":
                    page_boxes = info["boxes"]
                else:
                    again, page_boxes, _method = page_text(page, index, ocr=False)
                    if len(again) != end - start:
                        raise InvalidInput(f"Side {index + 1} i PDF-en ga ulik tekst ved ny lesing.")
                for s, e in local:
                    boxes.extend(b[1:] for b in page_boxes[s:e] if b is not None)
            page_dpi = capped_dpi(page, dpi, number=index + 1)
            if page_dpi != dpi:
                lowered.append(index + 1)
            width, height = page.get_size()  # as shown: /Rotate 90 or 270 swaps them
            rotation = page.get_rotation() % 360
            if rotation in (90, 270):
                width, height = height, width  # the page's own (unrotated) size, where the boxes are
            image = render(page, page_dpi, annotations=False)
            page.close()
            scale = page_dpi / 72
            draw = ImageDraw.Draw(image)
            for box in boxes:
                draw.rectangle(_device_box(box, width, height, rotation, scale), fill="black")
                painted += 1
            del draw
            gray = _is_gray(image)
            if gray:
                image = image.convert("L")
            words = []
            if with_layer:
                words = [
                    (w.text, w.left, w.top, w.left + w.width, w.top + w.height)
                    for w in ocr.recognise(image, dpi=page_dpi).words
                ]
            if gray:  # text pages: Flate is sharper and about half the size of JPEG
                encoded, filter_name = zlib.compress(image.tobytes(), FLATE_LEVEL), b"/FlateDecode"
            else:
                buf = io.BytesIO()
                image.save(buf, "JPEG", quality=JPEG_QUALITY)
                encoded, filter_name = buf.getvalue(), b"/DCTDecode"
                del buf
            writer.add_page(
                encoded,
                filter_name=filter_name,
                width_px=image.width,
                height_px=image.height,
                gray=gray,
                dpi=page_dpi,
                words=words,
            )
            del image, encoded
        writer.close()
        out.flush()
    finally:
        doc.close()
    return {
        "format": "pdf",
        "pages": len(layout.pages),
        "spans": len(spans),
        "further_occurrences": swept,
        "boxes_painted": painted,
        "text_layer": "ocr" if with_layer else "none",
        "dpi": dpi,
        "pages_at_lower_dpi": lowered,
    }
