"""The shipped forecast: a pooled direct linear model per horizon, with conformal quantiles.

For a forecast from origin D, every training origin is a past day with D's weekday (D−7, D−14, … back
``train_days``), so that the weekday of the target day D+h is fixed per horizon h and the per-horizon
intercept carries the weekday pattern. One ridge regression per horizon h = 1 … H, pooled across the
tenant's units (small units borrow strength from the kommune):

* target: absence on o+h divided by the unit's yearly level at o (mean of the 365 days up to o);
* features at the origin o, in the same scale: the last 7 days one by one, then the means of days
  7–13, 14–20, 21–27, 28–55, 56–90 and 91–181 back (long spells under way carry over; the regression
  learns how fast the level reverts), each also times 1/√(level+1) (a small unit's recent days are
  noisier, so it should lean more on its long-run level); the influenza-like-illness rate published by
  o (one week's reporting lag) relative to its median, and its change over two weeks;
* calendar of the target day: public holiday, the day before or after one, fellesferie, Christmas,
  school holiday, season (sine and cosine of the day of the year);
* rows weighted by the unit's level (the error that counts is in persons).

Quantiles: the standardised in-sample residuals ``(y − μ)/√(μ+1)`` of the per-horizon fits, grouped by
the level of the prediction (μ under 0.5, 0.5–1.5, 1.5–3, 3–6, 6–12, 12–25, over 25 persons) and the
horizon week, give the 10/50/90 % points (split-free conformal); the median is rounded to whole persons.

Measured on generated data in ``bench/bemanning_accuracy.py`` (tuned on seeds 101–102, reported on
others): see docs/services/bemanning.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLOCKS = ((7, 13), (14, 20), (21, 27), (28, 55), (56, 90), (91, 181))
DAILY = 7
MU_EDGES = np.array([0.5, 1.5, 3.0, 6.0, 12.0, 25.0])
MIN_BIN = 200  # residuals needed in a (level, horizon week) group; fewer: the pooled residuals


@dataclass
class DirectFit:
    mean: np.ndarray  # ok units × horizon
    q10: np.ndarray
    q50: np.ndarray
    q90: np.ndarray
    variance: np.ndarray  # from the residuals' 10–90 % spread, never below the mean (Poisson)
    rows: int  # training rows at h = 1


def _origin_features(y, windows, u, o, ili, ili_median):
    level = np.maximum(np.nan_to_num(windows.mean(u, o, 365)), 0.25)
    m28 = windows.mean(u, o, 28)
    m28 = np.where(np.isfinite(m28), m28, level)
    cols = [np.ones(len(u))]
    for k in range(DAILY):
        v = np.where(o - k >= 0, y[u, np.maximum(o - k, 0)], np.nan)
        cols.append(np.where(np.isfinite(v), v, m28) / level)
    for a, b in BLOCKS:
        end = o - a
        m = windows.mean(u, np.maximum(end, 0), b - a + 1)
        cols.append(np.where((end >= 0) & np.isfinite(m), m, level) / level)
    x = np.column_stack(cols)
    x = np.column_stack([x, x * (1.0 / np.sqrt(level + 1.0))[:, None]])
    known, before = ili[o], ili[np.maximum(o - 14, 0)]
    rel = np.where(np.isfinite(known), known / ili_median - 1, 0.0)
    change = np.where(np.isfinite(known) & np.isfinite(before), (known - before) / ili_median, 0.0)
    return np.column_stack([x, rel, change]), level


def _target_features(cal, t):
    doy = cal["day_of_year"][t]
    return np.column_stack(
        [
            cal["holiday"][t],
            cal["holiday_near"][t],
            cal["fellesferie"][t],
            cal["christmas"][t],
            cal["school_holiday"][t],
            np.sin(2 * np.pi * doy / 365.25),
            np.cos(2 * np.pi * doy / 365.25),
        ]
    )


def fit_direct(*args, **kwargs) -> DirectFit | None:
    """Fit the per-horizon models on the history ``y`` (units × days) and forecast from its last day; None
    when there are too few training rows (the caller falls back to ETS). BLAS on one thread: its worker
    threads spin on a busy machine (measured on the 2-core machine: 300 units took 23.8 CPU seconds with
    them and 2.5 without)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _fit_direct(*args, **kwargs)


def _fit_direct(
    y: np.ndarray,
    windows,
    cal: dict[str, np.ndarray],
    ili: np.ndarray,
    ok_units: np.ndarray,
    horizon: int,
    *,
    train_days: int = 730,
    ridge: float = 1.0,
    min_rows: int = 200,
) -> DirectFit | None:
    n_days = y.shape[1]
    origin = n_days - 1
    finite_ili = ili[:n_days][np.isfinite(ili[:n_days])]
    ili_median = float(np.median(finite_ili)) if len(finite_ili) else 1.0
    ili_median = ili_median if ili_median > 0 else 1.0
    origins = np.arange(origin - 7, max(origin - train_days, 27), -7)
    if len(origins) == 0 or len(ok_units) == 0:
        return None
    uu, oo = (a.ravel() for a in np.meshgrid(ok_units, origins, indexing="ij"))
    keep = windows.count(uu, oo, 28) >= 7  # a unit with no numbers around the origin teaches nothing
    uu, oo = uu[keep], oo[keep]
    x_origin, level = _origin_features(y, windows, uu, oo, ili, ili_median)
    x_now, level_now = _origin_features(y, windows, ok_units, np.full(len(ok_units), origin), ili, ili_median)
    mean = np.zeros((len(ok_units), horizon))
    fitted, actual, hs = [], [], []
    rows_h1 = 0
    for h in range(1, horizon + 1):
        t = oo + h
        ok = t < n_days
        ok[ok] = np.isfinite(y[uu[ok], t[ok]])
        n = int(ok.sum())
        if h == 1:
            rows_h1 = n
        if n < min_rows:
            return None
        x = np.column_stack([x_origin[ok], _target_features(cal, t[ok])])
        target = y[uu[ok], t[ok]] / level[ok]
        weighted = x * level[ok][:, None]
        gram = x.T @ weighted + ridge * np.eye(x.shape[1])
        gram[0, 0] -= ridge  # the intercept is not shrunk
        beta = np.linalg.solve(gram, weighted.T @ target)
        future = np.column_stack(
            [x_now, np.repeat(_target_features(cal, np.array([origin + h])), len(ok_units), 0)]
        )
        mean[:, h - 1] = np.maximum(future @ beta * level_now, 0.0)
        fitted.append(np.maximum(x @ beta * level[ok], 0.0))
        actual.append(y[uu[ok], t[ok]])
        hs.append(np.full(n, h))
    q10, q50, q90, var = conformal(np.concatenate(fitted), np.concatenate(actual), np.concatenate(hs), mean)
    return DirectFit(mean, q10, q50, q90, var, rows_h1)


def conformal(fitted, actual, h, mean, probs=(0.1, 0.5, 0.9)):
    """10/50/90 % points from the standardised residuals per (level of the prediction, horizon week);
    the median rounded to whole persons; q10 ≤ q50 ≤ q90. Also a variance for the staffing proposal:
    the residuals' 10–90 % spread as a normal one, never below the mean."""
    z = (actual - fitted) / np.sqrt(fitted + 1.0)
    bins, week = np.digitize(fitted, MU_EDGES), (h - 1) // 7
    n_units, horizon = mean.shape
    future_bins = np.digitize(mean, MU_EDGES)
    future_week = np.broadcast_to(np.arange(horizon) // 7, mean.shape)
    pooled = np.quantile(z, probs)
    out = [np.zeros_like(mean) for _ in probs]
    var = np.zeros_like(mean)
    for b in np.unique(future_bins):
        for w in np.unique(future_week):
            chosen = (bins == b) & (week == w)
            zq = np.quantile(z[chosen], probs) if chosen.sum() >= MIN_BIN else pooled
            m = (future_bins == b) & (future_week == w)
            for i in range(len(probs)):
                out[i][m] = np.maximum(mean[m] + zq[i] * np.sqrt(mean[m] + 1.0), 0.0)
            var[m] = ((zq[-1] - zq[0]) / 2.5631) ** 2 * (mean[m] + 1.0)
    q10, q50, q90 = out
    q50 = np.round(q50)
    return np.minimum(q10, q50), q50, np.maximum(q90, q50), np.maximum(var, mean)
