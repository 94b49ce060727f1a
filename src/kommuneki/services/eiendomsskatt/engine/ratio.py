"""The assessor's ratio study (IAAO Standard on Ratio Studies), on ratio = estimate / sale price.

COD is in per cent; PRD = mean ratio / weighted mean ratio; PRB is the IAAO coefficient of
(ratio − median) / median regressed on log2 of the value proxy ½·(estimate / median ratio) + ½·price.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

PRD_RANGE = (0.98, 1.03)
PRB_LIMIT = 0.05
COD_LIMIT = 15.0


def ratio_metrics(
    estimate: np.ndarray,
    price: np.ndarray,
    *,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    flagged: np.ndarray | None = None,
) -> dict[str, Any]:
    """All measures for one group. Fractions for shares and errors, per cent for COD."""
    est = np.asarray(estimate, dtype=float)
    p = np.asarray(price, dtype=float)
    n = len(p)
    if n == 0:
        return {"n": 0}
    r = est / p
    ape = np.abs(r - 1.0)
    med = float(np.median(r))
    out: dict[str, Any] = {
        "n": int(n),
        "mape": float(ape.mean()),
        "median_ape": float(np.median(ape)),
        "within_10": float((ape <= 0.10 + 1e-9).mean()),
        "within_20": float((ape <= 0.20 + 1e-9).mean()),
        "median_ratio": med,
        "cod": float(100.0 * np.mean(np.abs(r - med)) / med),
        "prd": float(r.mean() / (est.sum() / p.sum())),
        "prb": prb(est, p) if n >= 10 else None,
    }
    if lower is not None and upper is not None:
        out["interval_coverage"] = float(((p >= lower) & (p <= upper)).mean())
    if flagged is not None:
        out["flagged_share"] = float(np.asarray(flagged, dtype=bool).mean())
    return out


def prb(est: np.ndarray, price: np.ndarray) -> float:
    r = est / price
    med = np.median(r)
    proxy = 0.5 * est / med + 0.5 * price
    x = np.log(proxy) / np.log(2.0)
    y = (r - med) / med
    x = x - x.mean()
    return float((x * (y - y.mean())).sum() / (x * x).sum())


def regressivity_warning(m: dict[str, Any]) -> str | None:
    """A plain Norwegian warning when PRD or PRB show regressive or progressive valuation."""
    prd, prb_ = m.get("prd"), m.get("prb")
    if prd is None:
        return None
    regressive = prd > PRD_RANGE[1] or (prb_ is not None and prb_ < -PRB_LIMIT)
    progressive = prd < PRD_RANGE[0] or (prb_ is not None and prb_ > PRB_LIMIT)
    figures = f"PRD {prd:.3f}" + (f", PRB {prb_:+.3f}" if prb_ is not None else "")
    if regressive:
        return (
            f"Advarsel: verdsettingen er regressiv ({figures}). Rimelige boliger får relativt for høy "
            "verdi og dyre boliger relativt for lav, så eiere av rimelige boliger betaler for mye skatt "
            "i forhold til eiere av dyre. Anbefalt: PRD mellom 0,98 og 1,03 og PRB mellom −0,05 og 0,05."
        )
    if progressive:
        return (
            f"Advarsel: verdsettingen er progressiv ({figures}). Dyre boliger får relativt for høy verdi "
            "og rimelige boliger relativt for lav. Anbefalt: PRD mellom 0,98 og 1,03 og PRB mellom "
            "−0,05 og 0,05."
        )
    return None


def price_bands(price: np.ndarray, edges: np.ndarray | None = None) -> tuple[np.ndarray, list[str]]:
    """Quartile bands of sale price with Norwegian labels."""
    p = np.asarray(price, dtype=float)
    if edges is None:
        edges = np.quantile(p, [0.25, 0.5, 0.75])
    band = np.searchsorted(edges, p, side="right")

    def kr(v: float) -> str:
        return f"{v / 1e6:.1f}".replace(".", ",") + " mill."

    labels = (
        [f"under {kr(edges[0])}"]
        + [f"{kr(a)}–{kr(b)}" for a, b in zip(edges[:-1], edges[1:], strict=False)]
        + [f"over {kr(edges[-1])}"]
    )
    return band, labels


def ratio_study(frame: pd.DataFrame, *, min_group: int = 20) -> dict[str, Any]:
    """Overall and grouped measures. ``frame`` has estimate, price and optionally lower, upper, flagged,
    building_type, area_code. Groups with fewer than ``min_group`` sales are left out of the groups (and
    counted as such)."""

    def metrics(df: pd.DataFrame) -> dict[str, Any]:
        return ratio_metrics(
            df["estimate"].to_numpy(),
            df["price"].to_numpy(),
            lower=df["lower"].to_numpy() if "lower" in df else None,
            upper=df["upper"].to_numpy() if "upper" in df else None,
            flagged=df["flagged"].to_numpy() if "flagged" in df else None,
        )

    overall = metrics(frame)
    band, labels = price_bands(frame["price"].to_numpy())
    groups: dict[str, list[dict[str, Any]]] = {}
    for key, col in (
        ("building_type", frame.get("building_type")),
        ("area_code", frame.get("area_code")),
        ("price_band", pd.Series([labels[b] for b in band], index=frame.index)),
    ):
        if col is None:
            continue
        rows = []
        order = labels if key == "price_band" else sorted(col.unique())
        for value in order:
            sub = frame[col.to_numpy() == value]
            if len(sub) >= min_group:
                rows.append({"group": str(value), **metrics(sub)})
        groups[key] = rows
    return {"overall": overall, "groups": groups, "warning": regressivity_warning(overall)}
