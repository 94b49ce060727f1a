"""Innsyn-request detection on the frozen hand-written set (bench/data/innsyn_handwritten_*.txt, written
and hashed before the detector was changed; hashes in bench/data/SHA256SUMS and checked here).

Counted as flagged: an automatic detection or a possible request flagged for a person (both reach a
person, so both count for recall and for false alarms). Figures with 95 % Wilson intervals, against the
baseline measured in the same run: a message is a request when it names innsyn or offentleglova.

Run:  .venv/bin/python bench/postmottak_innsyn_handwritten.py [--show-misses]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import sys
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kommuneki.ingest.email import parse_message  # noqa: E402
from kommuneki.services.postmottak import features, innsyn  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
FILES = {"request": "innsyn_handwritten_requests.txt", "other": "innsyn_handwritten_other.txt"}
KEYWORD = re.compile(r"\binnsyn\w*|\boffentle(?:g|ga)lov\w*", re.I)


def check_hashes() -> None:
    sums = dict(reversed(line.split()) for line in (DATA / "SHA256SUMS").read_text().splitlines() if line)
    for name in FILES.values():
        got = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
        if got != sums[name]:
            raise SystemExit(f"{name} has changed since it was frozen ({got} != {sums[name]})")


def messages(name: str) -> list[bytes]:
    """Each block: header lines, a blank line, the body; built into an RFC 5322 message addressed to the
    kommune's postmottak (so a reply to the kommune's own message has a kommune Message-ID to point at)."""
    text = "\n".join(
        ln for ln in (DATA / name).read_text(encoding="utf-8").splitlines() if not ln.startswith("#")
    )
    out = []
    for block in text.split("\n%%\n"):
        head, _, body = block.strip("\n").partition("\n\n")
        msg = EmailMessage()
        msg["To"] = "postmottak@kommune.no"
        for line in head.splitlines():
            k, _, v = line.partition(":")
            msg[k.strip()] = v.strip()
        msg.set_content(body.strip() + "\n")
        out.append(msg.as_bytes())
    return out


def flagged(raw: bytes) -> tuple[bool, bool]:
    """(automatic detection, possible request for a person) for one message."""
    m = parse_message(raw)
    if hasattr(innsyn, "detect_message"):
        d = innsyn.detect_message(m)
    else:  # the detector before issue 13: text and sender only
        d = innsyn.detect(features.display_text(m), m.sender_address)
    return d.detected, bool(getattr(d, "possible", False))


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 0.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()
    check_hashes()
    res = {}
    for label, name in FILES.items():
        rows = []
        for raw in messages(name):
            auto, possible = flagged(raw)
            m = parse_message(raw)
            kw = bool(KEYWORD.search(m.subject + "\n" + m.body))
            rows.append((auto, possible, kw, m.subject))
        res[label] = rows
    req, oth = res["request"], res["other"]

    def share(rows, i=None) -> tuple[int, int]:
        k = sum(1 for r in rows if (r[0] or r[1]) if i is None) if i is None else sum(1 for r in rows if r[i])
        return k, len(rows)

    def line(title: str, k: int, n: int) -> str:
        lo, hi = wilson(k, n)
        return f"  {title:<44} {k:>3}/{n:<3} = {k / n:.3f}  (95 % CI {lo:.3f}–{hi:.3f})"

    rk, rn = share(req)
    fk, fn = share(oth)
    print(f"Hand-written set: {len(req)} requests, {len(oth)} other messages (frozen, hashes checked)")
    print("Detector (automatic or possible-request flag):")
    print(line("recall", rk, rn))
    print(line("  of which automatic", sum(r[0] for r in req), rn))
    print(line("other messages flagged (false alarms)", fk, fn))
    print(line("  of which automatic", sum(r[0] for r in oth), fn))
    bk, _ = share(req, 2)
    bf, _ = share(oth, 2)
    print("Baseline in the same run (message names innsyn/offentleglova):")
    print(line("recall", bk, rn))
    print(line("other messages flagged (false alarms)", bf, fn))
    print(f"Ratio detector/baseline: recall {rk / max(bk, 1):.2f}×, false alarms {fk / max(bf, 1):.2f}×")
    if args.show_misses:
        print("Missed requests:", [r[3] for r in req if not (r[0] or r[1])])
        print("Flagged others:", [r[3] for r in oth if r[0] or r[1]])


if __name__ == "__main__":
    main()
