"""Value every dwelling at the valuation date: train on all clean sales, then estimate, interval, flags,
contributions in kroner and comparable sales, in chunks (pure functions over frames, so the batch can
move to a distributed engine unchanged)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from . import explain
from . import model as model_mod
from .features import fit_price_index, month_number
from .mapping import Cleaned, Mapping, canonicalise, off_market, reject_off_market
from .ratio import ratio_study


@dataclass
class Run:
    model: model_mod.ValuationModel
    sales: Cleaned
    dwellings: Cleaned
    valuation_date: date
    valuation: model_mod.Valuation
    contributions: explain.Contributions
    calibration_study: dict[str, Any]
    seconds: dict[str, float]

    def explanation(self, i: int, comps: list[dict[str, Any]]) -> dict[str, Any]:
        return explain.explanation(i, self.valuation, self.contributions, comps)


def clean_sales(df: pd.DataFrame, mapping: Mapping) -> Cleaned:
    """Canonical, checked sales with sales far off the market moved to the rejected list."""
    c = canonicalise(df, mapping, sales=True)
    if len(c.frame) < 200:
        from ....core.errors import InvalidInput

        raise InvalidInput(f"For få gyldige salg til å lage en modell: {len(c.frame)} (trenger minst 200).")
    index = fit_price_index(c.frame)
    adj = pd.Series(
        np.log(c.frame["price"] / c.frame["living_area"]).to_numpy()
        - index.log_at(month_number(c.frame["sale_date"])),
        index=c.frame.index,
    )
    return reject_off_market(c, off_market(c.frame, c.frame, adj, adj))


def train_model(sales: Cleaned, *, level: float = 0.8) -> tuple[model_mod.ValuationModel, dict[str, Any]]:
    """Fit on all clean sales. The calibration slice (latest sales, valued by a model that never saw
    them) gives the held-out ratio study for the model card."""
    m, cal = model_mod.train(sales.frame, sales.features, sales.monotone, level=level)
    late = cal["late"].copy()
    late["estimate"], late["lower"], late["upper"], late["flagged"] = (
        cal["estimate"],
        cal["lower"],
        cal["upper"],
        cal["flagged"],
    )
    study = ratio_study(late)
    step = max(1, len(late) // 2000)
    study["points"] = [
        [round(float(a)), round(float(b))]
        for a, b in zip(late["price"].to_numpy()[::step], late["estimate"].to_numpy()[::step], strict=False)
    ]
    return m, study


def value_dwellings(
    m: model_mod.ValuationModel, dwellings: pd.DataFrame, valuation_date: date, *, chunk: int = 25_000
) -> tuple[model_mod.Valuation, explain.Contributions]:
    """Estimates, intervals, flags and kroner contributions for every dwelling, chunk by chunk."""
    dates = np.full(len(dwellings), np.datetime64(valuation_date, "D"))
    vals, contribs = [], []
    for s in range(0, len(dwellings), chunk):
        part = dwellings.iloc[s : s + chunk]
        v = m.value(part, dates[s : s + chunk])
        vals.append(v)
        contribs.append(explain.contributions(m, v))
    v = model_mod.Valuation(
        estimate=np.concatenate([x.estimate for x in vals]),
        lower=np.concatenate([x.lower for x in vals]),
        upper=np.concatenate([x.upper for x in vals]),
        flagged=np.concatenate([x.flagged for x in vals]),
        reasons=[r for x in vals for r in x.reasons],
        log_index=np.concatenate([x.log_index for x in vals]),
        X=pd.concat([x.X for x in vals]),
        neighbours=np.concatenate([x.neighbours for x in vals]),
        distances=np.concatenate([x.distances for x in vals]),
        leaves=np.concatenate([x.leaves for x in vals]),
    )
    c = explain.Contributions(
        base=np.concatenate([x.base for x in contribs]),
        groups=contribs[0].groups,
        kroner=np.concatenate([x.kroner for x in contribs]),
    )
    return v, c


def run(
    sales_df: pd.DataFrame,
    dwellings_df: pd.DataFrame,
    mapping: Mapping,
    *,
    valuation_date: date,
    level: float = 0.8,
    progress: Callable[[float, str], None] | None = None,
) -> Run:
    """The whole batch: clean, train, value. Dwellings failing the checks are rejected with the reason.
    ``progress(fraction, message)``, if given, hears each step (fractions 0.05–0.35 of a whole run)."""
    say = progress or (lambda _f, _m: None)
    t0 = time.perf_counter()
    say(0.05, "Leser og renser salgene …")
    sales = clean_sales(sales_df, mapping)
    dwellings = canonicalise(dwellings_df, mapping, sales=False)
    t1 = time.perf_counter()
    say(0.1, f"Trener modellen på {nb_count(len(sales.frame))} salg …")
    m, study = train_model(sales, level=level)
    t2 = time.perf_counter()
    say(0.3, f"Verdsetter {nb_count(len(dwellings.frame))} boliger …")
    v, c = value_dwellings(m, dwellings.frame, valuation_date)
    t3 = time.perf_counter()
    return Run(
        model=m,
        sales=sales,
        dwellings=dwellings,
        valuation_date=valuation_date,
        valuation=v,
        contributions=c,
        calibration_study=study,
        seconds={"clean": t1 - t0, "train": t2 - t1, "value": t3 - t2},
    )


def nb_count(count: int) -> str:
    """A count the Norwegian way (25 000)."""
    return f"{count:,}".replace(",", "\u00a0")
