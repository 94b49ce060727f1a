"""Accuracy of the eiendomsskatt valuer on King County sales (kc_house_data.csv), latest 20 % by sale
date held out, model against the SSB-style hedonic baseline, side by side, with the ratio of MAPEs.

Run:  .venv/bin/python bench/eiendomsskatt_accuracy.py [--holdout-fraction 0.2] [--interval 0.8]

The held-out sales are valued at their own sale dates with only what the training sales tell (price
index, neighbours, area levels); tuning used only a time-ordered slice of the training sales."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kommuneki.services.eiendomsskatt.engine.evaluation import METRIC_KEYS, evaluate  # noqa: E402
from kommuneki.services.eiendomsskatt.engine.mapping import load_mapping, read_table_file  # noqa: E402

KC = ROOT.parent / "shared" / "data" / "housing" / "kc_house_data.csv"
MAPPING = ROOT / "src" / "kommuneki" / "services" / "eiendomsskatt" / "data" / "kc_house_mapping.json"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--holdout-fraction", type=float, default=0.2)
    ap.add_argument("--interval", type=float, default=0.8)
    ap.add_argument(
        "--oracle-index",
        action="store_true",
        help="analysis only: MAPE after a perfect price index taken from the held-out prices",
    )
    args = ap.parse_args()
    t0 = time.perf_counter()
    e = evaluate(
        read_table_file(KC),
        load_mapping(MAPPING),
        holdout_fraction=args.holdout_fraction,
        level=args.interval,
    )
    info = e.info
    print(
        f"kc_house_data.csv: train {info['train_rows']} sales "
        f"{info['train_period'][0]}..{info['train_period'][1]}, "
        f"held out {info['test_rows']} sales {info['test_period'][0]}..{info['test_period'][1]}, "
        f"{len(info['rejected'])} rows excluded with a reason"
    )
    print(f"{'metric':20}{'model':>10}{'baseline':>10}")
    for k in METRIC_KEYS:
        a, b = e.model[k], e.baseline[k]
        print(f"{k:20}{a:>10.4f}{b:>10.4f}")
    print(f"MAPE ratio model/baseline: {e.model['mape'] / e.baseline['mape']:.3f}  (goal <= 0.60)")
    print(
        f"COD {e.model['cod']:.1f} (goal <= 15), PRD {e.model['prd']:.3f} (goal 0.98-1.03), "
        f"coverage {e.model['interval_coverage']:.3f} at nominal {args.interval} (goal within 0.03)"
    )
    if e.study.get("warning"):
        print(e.study["warning"])
    for g in e.study["groups"]["price_band"]:
        print(
            f"  band {g['group']:>18}: n={g['n']:5d} mape={g['mape']:.3f} "
            f"median_ratio={g['median_ratio']:.3f} "
            f"cod={g['cod']:.1f}"
        )
    print(
        f"index slope used past the last training month: {info['index_slope_per_month']:+.4f} log/month; "
        f"train {info['train_seconds']:.1f} s, total {time.perf_counter() - t0:.1f} s"
    )
    if args.oracle_index:
        oracle_index(e)


def oracle_index(e) -> None:
    """Not a model: divide each estimate by the held-out sales' own median ratio in its month (a price
    index that knows the future). Shows how much of the error time handling could remove at best."""
    import numpy as np

    t = e.test
    price, est = t["price"].to_numpy(float), t["estimate"].to_numpy(float)
    ratio = est / price
    month = t["sale_date"].dt.to_period("M").to_numpy()
    adjusted = est.copy()
    for m in np.unique(month):
        sel = month == m
        adjusted[sel] /= np.median(ratio[sel])
    mape = float(np.mean(np.abs(adjusted / price - 1)))
    print(
        f"analysis, perfect monthly index from the held-out prices: MAPE {mape:.4f} "
        f"(ratio to baseline {mape / e.baseline['mape']:.3f}; without it {e.model['mape']:.4f})"
    )


if __name__ == "__main__":
    main()
