"""Rolling-origin backtest on a tenant's own history: the model's track record per unit.

Origins every 7 days back from the last date that leaves a full horizon; at each origin the model is
trained on the history up to the origin only (refit) and compared with what happened, next to the two
baselines measured on the same days. A day missing from the history is left out of every score.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np

from .errors import InputError
from .forecast import CONFIG, Config, forecast, moving_average, seasonal_naive
from .history import History


def backtest(
    history: History,
    *,
    origins: int = 12,
    horizon: int = 28,
    ili_weekly: dict | None = None,
    school: frozenset[dt.date] | None = None,
    seed: int = 0,
    config: Config = CONFIG,
    progress: Callable[[float, str], None] | None = None,
) -> list[dict]:
    n_units, n_days = history.absent.shape
    last = n_days - 1 - horizon
    points = [last - 7 * k for k in range(origins) if last - 7 * k >= 28]
    if not points:
        raise InputError(f"For kort historikk for et tilbakeblikk: trenger minst {28 + horizon + 1} dager.")
    sums = {key: np.zeros(n_units) for key in ("model", "sn", "ma", "cover", "within1", "n")}
    failed: dict[str, tuple[str, str]] = {}
    for step, origin in enumerate(sorted(points)):
        if progress:
            progress(step / len(points), f"Tilbakeblikk: startpunkt {step + 1} av {len(points)}")
        known = history.subset(origin)
        fc = forecast(known, horizon, ili_weekly=ili_weekly, school=school, seed=seed, config=config)
        failed.update(fc.errors)
        truth = history.absent[:, origin + 1 : origin + 1 + horizon]
        sn = seasonal_naive(known.absent, origin, horizon)
        ma = moving_average(known.absent, origin, horizon)
        ok = np.isfinite(truth) & np.isfinite(sn) & np.isfinite(ma)
        ok &= np.array([name not in fc.errors for name in history.units])[:, None]
        t = np.where(ok, truth, 0.0)
        sums["model"] += np.where(ok, np.abs(fc.q50 - t), 0).sum(1)
        sums["sn"] += np.where(ok, np.abs(np.nan_to_num(sn) - t), 0).sum(1)
        sums["ma"] += np.where(ok, np.abs(np.nan_to_num(ma) - t), 0).sum(1)
        sums["cover"] += (ok & (t >= fc.q10) & (t <= fc.q90)).sum(1)
        sums["within1"] += (ok & (np.abs(fc.q50 - t) <= 1)).sum(1)
        sums["n"] += ok.sum(1)
    rows = []
    for u, name in enumerate(history.units):
        n = sums["n"][u]
        if n == 0:
            code, message = failed.get(name, ("no_scores", "Ingen dager å måle på for enheten."))
            rows.append({"unit": name, "error": message, "code": code})
            continue
        mae, mae_sn, mae_ma = (float(sums[k][u] / n) for k in ("model", "sn", "ma"))
        rows.append(
            {
                "unit": name,
                "origins": len(points),
                "horizon": horizon,
                "mae_model": round(mae, 3),
                "mae_seasonal_naive": round(mae_sn, 3),
                "mae_moving_average": round(mae_ma, 3),
                "ratio": round(mae / mae_sn, 3) if mae_sn > 0 else None,
                "coverage80": round(float(sums["cover"][u] / n), 3),
                "within1": round(float(sums["within1"][u] / n), 3),
            }
        )
    if progress:
        progress(1.0, "Tilbakeblikket er ferdig.")
    return rows
