"""Outcome of a vedtak derived from its text, on 100 hand-written vedtak: the rules were written on
``vedtak_tune.jsonl``; ``vedtak_heldout.jsonl`` was frozen (committed with its sha256) before any rule
existed and is the reported figure. Baseline: always the most common outcome of the tuning half.

Run:  .venv/bin/python bench/saksinnsikt_outcome.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kommuneki.services.saksinnsikt.engine.outcome import derive_outcome  # noqa: E402

DATA = ROOT / "src" / "kommuneki" / "services" / "saksinnsikt" / "data"


def _norm(h: str | None) -> str | None:
    return " ".join(h.casefold().split()) if h else None


def main() -> None:
    tune_only = "--tune-only" in sys.argv  # while writing rules: never look at the held-out half
    frozen = (DATA / "vedtak_heldout.sha256").read_text().split()[0]
    actual = hashlib.sha256((DATA / "vedtak_heldout.jsonl").read_bytes()).hexdigest()
    print(f"held-out set sha256 {actual} ({'as frozen' if actual == frozen else 'CHANGED SINCE FROZEN'})")
    tune = [json.loads(x) for x in (DATA / "vedtak_tune.jsonl").read_text(encoding="utf-8").splitlines()]
    majority = Counter(r["outcome"] for r in tune).most_common(1)[0][0]
    for name in ("tune",) if tune_only else ("tune", "heldout"):
        rows = [
            json.loads(x) for x in (DATA / f"vedtak_{name}.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        right = hj = none = 0
        confusion: Counter = Counter()
        for r in rows:
            o = derive_outcome(r["text"])
            pred = o.outcome if o else None
            none += pred is None
            right += pred == r["outcome"]
            confusion[(r["outcome"], pred)] += 1
            hj += _norm(o.hjemmel if o else None) == _norm(r["hjemmel"])
            if name == "tune" and pred != r["outcome"]:
                print(f"  miss {r['id']}: {r['outcome']} -> {pred}")
        base = sum(r["outcome"] == majority for r in rows) / len(rows)
        acc = right / len(rows)
        print(
            f"{name}: {len(rows)} vedtak; outcome accuracy {acc:.3f} "
            f"(baseline «always {majority}» {base:.3f}, "
            f"ratio {acc / base:.2f}); no outcome found {none}; first hjemmel exact {hj / len(rows):.3f}"
        )
        print(
            "  confusion (gold -> predicted): "
            + ", ".join(
                f"{g}->{p}: {n}"
                for (g, p), n in sorted(confusion.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))
                if g != p
            )
        )


if __name__ == "__main__":
    main()
