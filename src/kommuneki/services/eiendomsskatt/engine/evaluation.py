"""Held-out evaluation: train on the earliest sales, value the latest at their own sale dates with
only what the training sales tell (index, neighbours, area levels), and run the ratio study for the
model and the baseline side by side."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ....core.errors import InvalidInput
from . import model as model_mod
from .features import fit_price_index, month_number
from .mapping import Cleaned, Mapping, canonicalise, off_market, reject_off_market
from .ratio import ratio_metrics, ratio_study

METRIC_KEYS = (
    "mape",
    "median_ape",
    "within_10",
    "within_20",
    "median_ratio",
    "cod",
    "prd",
    "prb",
    "interval_coverage",
    "flagged_share",
)


def split_by_time(frame: pd.DataFrame, holdout_fraction: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Earliest (1 − fraction) of the sales for training, the latest fraction held out."""
    if not 0.0 < holdout_fraction < 1.0:
        raise InvalidInput("--holdout-fraction må være mellom 0 og 1.")
    frame = frame.sort_values("sale_date", kind="stable")
    n_test = int(round(len(frame) * holdout_fraction))
    if n_test < 20 or len(frame) - n_test < 200:
        raise InvalidInput(
            f"For få salg til å evaluere: {len(frame)} gyldige salg (trenger minst 200 til "
            "trening og 20 til test)."
        )
    return frame.iloc[:-n_test], frame.iloc[-n_test:]


def drop_off_market(train: Cleaned, test: pd.DataFrame) -> tuple[Cleaned, pd.DataFrame, list[dict[str, Any]]]:
    """Exclude sales far off the market, judged against the training sales only (price index and area
    levels from training): training rows become rejected rows with the reason; held-out rows are
    reported the same way (an assessor leaves non-market sales out of a ratio study)."""
    tr = train.frame
    index = fit_price_index(tr)

    def adj(df: pd.DataFrame) -> pd.Series:
        return pd.Series(
            np.log(df["price"].to_numpy(float) / df["living_area"].to_numpy(float))
            - index.log_at(month_number(df["sale_date"])),
            index=df.index,
        )

    ref = adj(tr)
    cleaned = reject_off_market(train, off_market(tr, tr, ref, ref))
    mask = off_market(test, tr, adj(test), ref)
    rejected = [
        {
            "line": int(line),
            "code": "off_market",
            "reason": "pris per m² langt unna områdets nivå (mulig salg mellom nærstående eller feil i data)",
        }
        for line in test.index[mask.to_numpy()]
    ]
    return cleaned, test[~mask.to_numpy()], rejected


@dataclass
class Evaluation:
    model: dict[str, Any]
    baseline: dict[str, Any]
    study: dict[str, Any]
    baseline_study: dict[str, Any]
    info: dict[str, Any]
    test: pd.DataFrame  # held-out sales with estimate, lower, upper, flagged


def evaluate(
    df: pd.DataFrame, mapping: Mapping, *, holdout_fraction: float = 0.2, level: float = 0.8, **train_kwargs
) -> Evaluation:
    """The whole held-out evaluation on a raw sales table."""
    t0 = time.perf_counter()
    cleaned = canonicalise(df, mapping, sales=True)
    train_frame, test = split_by_time(cleaned.frame, holdout_fraction)
    train_c = Cleaned(
        frame=train_frame,
        rejected=list(cleaned.rejected),
        features=cleaned.features,
        monotone=cleaned.monotone,
    )
    train_c, test, test_rejected = drop_off_market(train_c, test)
    valuer, _cal = model_mod.train(
        train_c.frame, cleaned.features, cleaned.monotone, level=level, **train_kwargs
    )
    t_train = time.perf_counter() - t0
    v = valuer.value(test, test["sale_date"])
    price = test["price"].to_numpy(dtype=float)
    out = test.copy()
    out["estimate"], out["lower"], out["upper"], out["flagged"] = v.estimate, v.lower, v.upper, v.flagged
    base = model_mod.HedonicBaseline().fit(train_c.frame, level=level)
    b_est, b_lo, b_hi = base.value(test, test["sale_date"])
    b_flag = np.array(
        [bool(r) for r in valuer.coverage.reasons(test, v.distances[:, valuer.neighbourhood.k - 1])]
    )
    m = ratio_metrics(v.estimate, price, lower=v.lower, upper=v.upper, flagged=v.flagged)
    b = ratio_metrics(b_est, price, lower=b_lo, upper=b_hi, flagged=b_flag)
    bdf = test.copy()
    bdf["estimate"], bdf["lower"], bdf["upper"], bdf["flagged"] = b_est, b_lo, b_hi, b_flag
    info = {
        "rows_read": int(len(df)),
        "rejected": train_c.rejected + test_rejected,
        "train_rows": int(len(train_c.frame)),
        "test_rows": int(len(test)),
        "train_period": valuer.training["period"],
        "test_period": [str(test["sale_date"].min().date()), str(test["sale_date"].max().date())],
        "index_slope_per_month": valuer.index.slope,
        "seconds": round(time.perf_counter() - t0, 2),
        "train_seconds": round(t_train, 2),
        "calibration_mape": valuer.training["calibration_mape"],
    }
    return Evaluation(
        model={k: m.get(k) for k in METRIC_KEYS},
        baseline={k: b.get(k) for k in METRIC_KEYS},
        study=ratio_study(out),
        baseline_study=ratio_study(bdf),
        info=info,
        test=out,
    )
