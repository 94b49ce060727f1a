"""Speed of the postmottak triage: every suggestion (action, unit, dokumenttype, innsyn, sensitive
content) for one message, on generated demo messages (held-out split).

Three settings, each over the same messages:
  engine     triage of an already parsed message, without the skjerming check
  full       parse (MIME, attachments' text) + triage + skjerming check — what the CLI does per message
  no-skj     parse + triage without the skjerming check
Prints p50/p95/max ms per message, messages per second, the time for a month of DGI's mail (7,000),
and the ratio against the pilot's "a few seconds" per e-mail (taken as 3,000 ms). No OCR: the demo
attachments are text; scanned PDFs cost ~0.5 s per page on top (see the ingest docs).

Run:  .venv/bin/python bench/postmottak_speed.py [--n 10000] [--seed 90417]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kommuneki.ingest.email import parse_message  # noqa: E402
from kommuneki.services.postmottak import corpus, engine  # noqa: E402

PILOT_MS = 3000.0


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=90417)
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
    print(f"{'setting':8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'msg/s':>8} {'7000 msgs':>10} {'vs pilot':>9}")
    for name, fn in settings.items():
        times = []
        start = time.perf_counter()
        for i in range(len(raws)):
            a = time.perf_counter()
            fn(i)
            times.append((time.perf_counter() - a) * 1000)
        wall = time.perf_counter() - start
        rate = len(raws) / wall
        print(f"{name:8} {statistics.median(times):8.2f} {pct(times, 95):8.2f} {max(times):8.1f} {rate:8.1f} "
              f"{7000 / rate:9.1f}s {PILOT_MS / statistics.median(times):8.0f}x")


if __name__ == "__main__":
    main()
