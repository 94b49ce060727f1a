"""Speed of the postmottak triage: every suggestion (action, unit, dokumenttype, innsyn, sensitive
content) for one message, on generated demo messages (held-out split).

Three settings, each over the same messages:
  engine     triage of an already parsed message, without the skjerming check
  full       parse (MIME, attachments' text) + triage + skjerming check — what the CLI does per message
  no-skj     parse + triage without the skjerming check
Prints p50/p95/max ms per message, messages per second, the time for a month of DGI's mail (7,000),
and the ratio against the pilot's "a few seconds" per e-mail (taken as 3,000 ms). The demo attachments
are text; two more settings measure attachments that need a reader, on a sample of the same messages:
  +pdf       full, each message with a one-page PDF attachment (text layer, read by pypdf)
  +scan-ocr  full, each message with a one-page scanned PDF (no text layer: Tesseract, Norwegian)

Run:  .venv/bin/python bench/postmottak_speed.py [--n 10000] [--seed 90417] [--pdf 500] [--scans 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.ingest.makers import make_pdf, make_scanned_pdf  # noqa: E402  (reportlab, Pillow: test extras)

from kommuneki.ingest.email import parse_message  # noqa: E402
from kommuneki.services.postmottak import corpus, engine  # noqa: E402

PILOT_MS = 3000.0


def with_attachment(raw: bytes, data: bytes, filename: str) -> bytes:
    """The message with one more attachment (application/pdf)."""
    import email
    from email import policy

    msg = email.message_from_bytes(raw, policy=policy.default)
    if not msg.is_multipart():
        msg.make_mixed()
    msg.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return msg.as_bytes()


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=90417)
    ap.add_argument("--pdf", type=int, default=500, help="messages measured with a text PDF attachment")
    ap.add_argument("--scans", type=int, default=40, help="messages measured with a scanned PDF attachment")
    args = ap.parse_args()
    t0 = time.perf_counter()
    raws = [m.raw for m in corpus.generate(args.n, split="heldout", seed=args.seed)]
    print(f"generated {len(raws)} messages in {time.perf_counter() - t0:.1f} s (not counted)")
    model = engine.default_model()
    for raw in raws[:200]:  # warm-up: lazy loads (holidays per year, skjerming, simplemma) happen once
        engine.triage(parse_message(raw), model)
    parsed = [parse_message(r) for r in raws]
    settings = {
        "engine": lambda i: engine.triage(parsed[i], model, check_sensitive=False),
        "no-skj": lambda i: engine.triage(parse_message(raws[i]), model, check_sensitive=False),
        "full": lambda i: engine.triage(parse_message(raws[i]), model),
    }
    letter = [
        "Søknad om ferdigattest for tilbygg",
        "Vi viser til rammetillatelse gitt 12.03.2025 og ber om",
        "ferdigattest for tilbygget på gnr. 12 bnr. 45. Arbeidene er utført i samsvar med",
        "tillatelsen. Vedlagt følger sluttdokumentasjon og gjennomføringsplan.",
        "Med hilsen",
        "Kari Nordmann",
    ]
    pdf_raws = [with_attachment(r, make_pdf([letter]), "soknad.pdf") for r in raws[: args.pdf]]
    scan_raws = [with_attachment(r, make_scanned_pdf(letter), "skannet.pdf") for r in raws[: args.scans]]
    settings["+pdf"] = lambda i: engine.triage(parse_message(pdf_raws[i]), model)
    settings["+scan-ocr"] = lambda i: engine.triage(parse_message(scan_raws[i]), model)
    sizes = {"+pdf": len(pdf_raws), "+scan-ocr": len(scan_raws)}
    check = parse_message(scan_raws[0]) if scan_raws else None
    if check is not None and "ferdigattest" not in " ".join(a.text or "" for a in check.attachments).lower():
        print("note: the scanned attachment gave no text (is tesseract-ocr-nor installed?)")
    print(
        f"{'setting':9} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'msg/s':>8} {'7000 msgs':>10} "
        f"{'vs pilot':>9}"
    )
    for name, fn in settings.items():
        times = []
        start = time.perf_counter()
        n = sizes.get(name, len(raws))
        for i in range(n):
            a = time.perf_counter()
            fn(i)
            times.append((time.perf_counter() - a) * 1000)
        wall = time.perf_counter() - start
        rate = n / wall
        print(
            f"{name:9} {n:6d} {statistics.median(times):8.2f} {pct(times, 95):8.2f} {max(times):8.1f} "
            f"{rate:8.1f} "
            f"{7000 / rate:9.1f}s {PILOT_MS / statistics.median(times):8.0f}x"
        )


if __name__ == "__main__":
    main()
