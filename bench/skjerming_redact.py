"""Speed of the skjerming pipeline around the detectors: the rules (engine.assess + proposals) and true
redaction of TXT, DOCX and PDF (image rebuild without and with Tesseract's text layer).

Documents are generated (faker no_NO, seeded): one-page letters of about 30 lines, each holding a name
and a fødselsnummer. Printed: seconds per page (or per document) and the ratio against a baseline —
the rules against detect() on the same text, and every redactor against plain-text redaction.

Run:  .venv/bin/python bench/skjerming_redact.py [--pages 3] [--no-ocr]
Figures are printed; nothing is asserted. Times depend on the machine's load: say what else ran.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kommuneki.ingest import extract  # noqa: E402
from kommuneki.services.skjerming import engine  # noqa: E402
from kommuneki.services.skjerming.redact import redact  # noqa: E402
from kommuneki.text.pii import detect  # noqa: E402

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def letter_lines(seed: int) -> list[str]:
    from faker import Faker

    fake = Faker("no_NO")
    fake.seed_instance(seed)
    name, fnr = fake.name(), fake.ssn()
    lines = [f"Vedtak om tilskudd til {name}, fødselsnummer {fnr}."]
    for _ in range(28):
        lines.append(fake.sentence(nb_words=10)[:90])
    lines.append(f"Med hilsen, saksbehandler for {name}")
    return lines


def make_pdf(pages: list[list[str]]) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVu", FONT))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for lines in pages:
        c.setFont("DejaVu", 11)
        for i, line in enumerate(lines):
            c.drawString(60, 790 - 24 * i, line)
        c.showPage()
    c.save()
    return buf.getvalue()


def make_docx(pages: list[list[str]]) -> bytes:
    import docx

    d = docx.Document()
    for lines in pages:
        for line in lines:
            d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def timed(fn, repeat: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=3)
    ap.add_argument("--no-ocr", action="store_true", help="skip the PDF with Tesseract text layer")
    args = ap.parse_args()
    pages = [letter_lines(seed) for seed in range(args.pages)]
    text = "\n\n".join("\n".join(p) for p in pages)
    print(f"load average {os.getloadavg()[0]:.1f}; {args.pages} page(s), {len(text)} characters")

    detect(text)  # load the models once, outside the timing
    t_detect = timed(lambda: detect(text), 5)
    findings = detect(text)
    t_rules = timed(lambda: engine.proposals(text, engine.assess(text, findings)), 20)
    print(
        f"detect: {t_detect / args.pages * 1000:.1f} ms/page; rules (assess + proposals): "
        f"{t_rules / args.pages * 1000:.2f} ms/page; ratio rules/detect {t_rules / t_detect:.3f}"
    )

    def spans_in(t: str) -> list[tuple[int, int]]:
        assessment = engine.assess(t, detect(t))
        fnr_spans = [(a.finding.start, a.finding.end) for _i, a in assessment.withheld("innsyn")]
        names = [(m.start(), m.end()) for m in re.finditer(r"tilskudd til ([^,]+)", t)]
        return fnr_spans + [(m[0] + len("tilskudd til "), m[1]) for m in names]

    data_txt = text.encode()
    spans = spans_in(text)
    t_txt = timed(lambda: redact(data_txt, "a.txt", text, spans), 20)
    print(f"txt : {t_txt / args.pages * 1000:8.2f} ms/page  (baseline)")
    data_docx = make_docx(pages)
    t_docx_text = extract(data_docx, "a.docx").text
    s_docx = spans_in(t_docx_text)
    t_docx = timed(lambda: redact(data_docx, "a.docx", t_docx_text, s_docx), 3)
    print(f"docx: {t_docx / args.pages * 1000:8.2f} ms/page  ratio {t_docx / t_txt:8.1f}")
    data_pdf = make_pdf(pages)
    t_pdf_text = extract(data_pdf, "a.pdf").text
    s_pdf = spans_in(t_pdf_text)
    t_pdf = timed(lambda: redact(data_pdf, "a.pdf", t_pdf_text, s_pdf, text_layer=False))
    print(f"pdf (image, no text layer): {t_pdf / args.pages:6.2f} s/page  ratio {t_pdf / t_txt:8.0f}")
    if not args.no_ocr:
        t_ocr = timed(lambda: redact(data_pdf, "a.pdf", t_pdf_text, s_pdf, text_layer=True))
        print(
            f"pdf (image + Tesseract text layer): {t_ocr / args.pages:6.2f} s/page  ratio {t_ocr / t_txt:8.0f}"
            f"  ({t_ocr / t_pdf:.1f}x the image-only PDF)"
        )


if __name__ == "__main__":
    main()
