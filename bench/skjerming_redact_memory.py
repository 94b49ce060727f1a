"""Peak memory (RSS) of redacting long PDFs: a 200-page and a 2,000-page document, each page a letter with
a name and a fødselsnummer (generated: faker no_NO, seeded; reportlab). Goal: ≤ 500 MB for both.

Each measurement runs in a fresh Python process and reports that process's peak RSS (``ru_maxrss``):
* baseline: the same process reading the PDF and extracting its text (what any use of the file costs);
* redaction: extract, assess, redact (render, paint, write page by page) and verify, as
  ``kommuneki skjerming redact`` does, without the OCR text layer unless ``--ocr``. The rebuilt PDF stays
  in its temporary file (its size is read from disk): the CLI and the download stream it.
Printed: peak MB, seconds, and the ratio of the redaction's peak to the baseline's.

Run:  .venv/bin/python bench/skjerming_redact_memory.py [--pages 200 2000] [--dpi 200] [--ocr]
Figures are printed; nothing is asserted. Times depend on the machine's load: say what else ran.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

CHILD = r"""
import json, os, resource, sys, time
sys.path.insert(0, {src!r})
from pathlib import Path
from kommuneki.ingest import extract
mode, path, dpi, ocr = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
data = Path(path).read_bytes()
t = time.perf_counter()
text = extract(data, "lang.pdf").text
out = {{}}
if mode == "redact":
    from kommuneki.services.skjerming.redact import redact
    from kommuneki.services.skjerming.service import analyse_text
    spans = [(a.finding.start, a.finding.end) for _i, a in analyse_text(text).withheld("innsyn")]
    result = redact(data, "lang.pdf", text, spans, text_layer=ocr)
    out = {{"withheld": len(spans), "output_mb": round(os.path.getsize(result.path) / 2**20, 1),
           "verified": result.report.get("verified"), "boxes": result.report["boxes_painted"]}}
out["seconds"] = round(time.perf_counter() - t, 1)
out["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
print(json.dumps(out))
"""


def make_pdf(pages: int, path: Path) -> None:
    from faker import Faker
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVu", FONT))
    fake = Faker("no_NO")
    fake.seed_instance(12)
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for _ in range(pages):
        c.setFont("DejaVu", 11)
        lines = [f"Vedtak om tilskudd til {fake.name()}, fødselsnummer {fake.ssn()}."]
        lines += [fake.sentence(nb_words=10)[:90] for _ in range(28)]
        for i, line in enumerate(lines):
            c.drawString(60, 790 - 24 * i, line)
        c.showPage()
    c.save()
    path.write_bytes(buf.getvalue())


def measure(mode: str, path: Path, dpi: int, ocr: bool) -> dict:
    code = CHILD.format(src=str(ROOT / "src"))
    r = subprocess.run(
        [sys.executable, "-c", code, mode, str(path), str(dpi), "1" if ocr else "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        return {"error": r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}"}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, nargs="+", default=[200, 2000])
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--ocr", action="store_true", help="with Tesseract's text layer (much slower)")
    args = ap.parse_args()
    print(f"dpi {args.dpi}, text layer {'ocr' if args.ocr else 'none'}; goal: peak ≤ 500 MB")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.pages:
            path = Path(tmp) / f"lang-{n}.pdf"
            t = time.perf_counter()
            make_pdf(n, path)
            made = time.perf_counter() - t
            base = measure("extract", path, args.dpi, args.ocr)
            red = measure("redact", path, args.dpi, args.ocr)
            ratio = (
                f"{red['peak_mb'] / base['peak_mb']:.2f}×" if "peak_mb" in red and "peak_mb" in base else "–"
            )
            size_kb = path.stat().st_size // 1024
            print(
                f"{n:5d} pages ({size_kb} KB, made in {made:.0f} s): baseline (extract) {base}; "
                f"redact {red}; peak ratio redact/baseline {ratio}"
            )


if __name__ == "__main__":
    main()
