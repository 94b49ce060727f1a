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


@dataclass(frozen=True)
class Options:
    """What the direct model may use beyond version 2's features, all off in the shipped model. Each was
    measured on the development seeds 101–102 (bench/bemanning_accuracy.py's generator): ``kommune``
    helped large units over 6 origins (Nov–Apr: 0.810× → 0.796× seasonal naive) but hurt them over the
    bench's 3 origins (Feb–Apr: 0.820× → 0.845×), so it did not earn its place; the others did nothing or
    worse (below). Kept so that they stay measurable."""

    # the kommune's recent level against its yearly level, over the windows of days back below (all the
    # tenant's units pooled: the shock they share, an influenza wave or the season, seen without the
    # ILI series' reporting lag); the features are also times 1/√(level+1) like the unit's own
    kommune: bool = False
    kommune_windows: tuple[tuple[int, int], ...] = ((0, 6), (7, 13), (14, 27))  # wider (0–2, 28–55): worse
    loading: bool = False  # the kommune's shock times the unit's own slope on it: worse (0.796 → 0.799×)
    minima: bool = False  # the fewest absent in the last 7 and 14 days (spells under way): no change
    ili_season: bool = False  # the ILI rate usual for the target week, published weeks only: worse
    ets: bool = False  # the ETS forecast for the target day, in the unit's scale: no change
    size_squared: bool = False  # the features also times 1/(level+1): no change
    harmonics: int = 1  # of the target day's season; 2 or 3: no change or worse
    ridge: float = 1.0  # 10: no change


V2 = Options()  # version 2's features; version 3 (shipped) has the same, on three years of origins


@dataclass
class DirectFit:
    mean: np.ndarray  # ok units × horizon
    q10: np.ndarray
    q50: np.ndarray
    q90: np.ndarray
    variance: np.ndarray  # from the residuals' 10–90 % spread, never below the mean (Poisson)
    rows: int  # training rows at h = 1


def _origin_features(y, windows, u, o, ili, ili_median, opts: Options = V2, extra=None):
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
    if opts.minima:
        for width in (7, 14):
            stack = np.stack(
                [np.where(o - k >= 0, y[u, np.maximum(o - k, 0)], np.nan) for k in range(width)], 1
            )
            low = np.nanmin(np.where(np.isfinite(stack), stack, np.inf), 1)
            cols.append(np.where(np.isfinite(low), low, m28) / level)
    if opts.kommune and extra is not None:
        for series in extra["kommune"]:
            cols.append(series[o])
        if opts.loading:
            for series in extra["kommune"]:
                cols.append(series[o] * extra["loading"][u])
    x = np.column_stack(cols)
    parts = [x, x * (1.0 / np.sqrt(level + 1.0))[:, None]]
    if opts.size_squared:
        parts.append(x * (1.0 / (level + 1.0))[:, None])
    x = np.column_stack(parts)
    known, before = ili[o], ili[np.maximum(o - 14, 0)]
    rel = np.where(np.isfinite(known), known / ili_median - 1, 0.0)
    change = np.where(np.isfinite(known) & np.isfinite(before), (known - before) / ili_median, 0.0)
    return np.column_stack([x, rel, change]), level


def kommune_ratios(y: np.ndarray, windows, units: np.ndarray, spans) -> list[np.ndarray]:
    """Per day: the kommune's absence over the trailing windows against its usual level — the sum over
    the units of their mean absence in the window over the sum of their yearly levels, minus one (the
    shock all units share now: an influenza wave, the season). Days before any number: 0."""
    n_days = y.shape[1]
    if len(units) == 0:
        return [np.zeros(n_days) for _ in spans]
    days = np.arange(n_days)
    uu = np.repeat(units, n_days)
    dd = np.tile(days, len(units))
    level = np.nan_to_num(windows.mean(uu, dd, 365)).reshape(len(units), n_days)
    out = []
    for a, b in spans:
        end = np.maximum(dd - a, 0)
        m = windows.mean(uu, end, b - a + 1).reshape(len(units), n_days)
        ok = np.isfinite(m) & (dd.reshape(len(units), n_days) - a >= 0)
        normal = np.where(ok, level, 0.0).sum(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(normal > 0, np.where(ok, m, 0.0).sum(0) / np.maximum(normal, 1e-9) - 1, 0.0)
        out.append(ratio)
    return out


def _target_features(cal, t, extra=None, u=None, o=None, level=None, opts: Options = V2):
    doy = cal["day_of_year"][t]
    cols = [
        cal["holiday"][t],
        cal["holiday_near"][t],
        cal["fellesferie"][t],
        cal["christmas"][t],
        cal["school_holiday"][t],
        np.sin(2 * np.pi * doy / 365.25),
        np.cos(2 * np.pi * doy / 365.25),
    ]
    for k in range(2, opts.harmonics + 1):
        cols += [np.sin(2 * np.pi * k * doy / 365.25), np.cos(2 * np.pi * k * doy / 365.25)]
    if opts.ili_season and extra is not None:
        season = extra["ili_season"]
        cols.append(season[t])
        cols.append(extra["ili_excess"][o] * (1 + season[t]))
    if opts.ets and extra is not None:
        cols.append(extra["ets"](u, o, t) / level)
    return np.column_stack(cols)


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
    min_rows: int = 200,
    opts: Options = V2,
    ili_season: np.ndarray | None = None,
    ets=None,
) -> DirectFit | None:
    n_days = y.shape[1]
    origin = n_days - 1
    finite_ili = ili[:n_days][np.isfinite(ili[:n_days])]
    ili_median = float(np.median(finite_ili)) if len(finite_ili) else 1.0
    ili_median = ili_median if ili_median > 0 else 1.0
    origins = np.arange(origin - 7, max(origin - train_days, 27), -7)
    if len(origins) == 0 or len(ok_units) == 0:
        return None
    extra = _extra(y, windows, ili, ili_median, ok_units, opts, ili_season, ets)
    uu, oo = (a.ravel() for a in np.meshgrid(ok_units, origins, indexing="ij"))
    keep = windows.count(uu, oo, 28) >= 7  # a unit with no numbers around the origin teaches nothing
    uu, oo = uu[keep], oo[keep]
    x_origin, level = _origin_features(y, windows, uu, oo, ili, ili_median, opts, extra)
    now = np.full(len(ok_units), origin)
    x_now, level_now = _origin_features(y, windows, ok_units, now, ili, ili_median, opts, extra)
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
        x = np.column_stack(
            [x_origin[ok], _target_features(cal, t[ok], extra, uu[ok], oo[ok], level[ok], opts)]
        )
        target = y[uu[ok], t[ok]] / level[ok]
        weighted = x * level[ok][:, None]
        gram = x.T @ weighted + opts.ridge * np.eye(x.shape[1])
        gram[0, 0] -= opts.ridge  # the intercept is not shrunk
        beta = np.linalg.solve(gram, weighted.T @ target)
        future = np.column_stack(
            [x_now, _target_features(cal, now + h, extra, ok_units, now, level_now, opts)]
        )
        mean[:, h - 1] = np.maximum(future @ beta * level_now, 0.0)
        fitted.append(np.maximum(x @ beta * level[ok], 0.0))
        actual.append(y[uu[ok], t[ok]])
        hs.append(np.full(n, h))
    q10, q50, q90, var = conformal(np.concatenate(fitted), np.concatenate(actual), np.concatenate(hs), mean)
    return DirectFit(mean, q10, q50, q90, var, rows_h1)


def loadings(y: np.ndarray, windows, units: np.ndarray, shrink: float = 0.5) -> np.ndarray:
    """Per unit (indexed by unit row): how strongly its 28-day level moves with the kommune's, the slope of
    its ratio on the kommune's over weekly points of the last two years, shrunk towards 1."""
    n_days = y.shape[1]
    out = np.ones(y.shape[0])
    points = np.arange(n_days - 1, max(n_days - 730, 364), -7)
    if len(units) == 0 or len(points) < 8:
        return out
    k = kommune_ratios(y, windows, units, ((0, 27),))[0][points]
    uu = np.repeat(units, len(points))
    pp = np.tile(points, len(units))
    level = np.nan_to_num(windows.mean(uu, pp, 365))
    m = windows.mean(uu, pp, 28)
    r = np.where(np.isfinite(m) & (level > 0), m / np.maximum(level, 1e-9) - 1, 0.0).reshape(len(units), -1)
    kk = float((k**2).sum())
    if kk <= 0:
        return out
    out[units] = ((r * k[None, :]).sum(1) + shrink * kk) / ((1 + shrink) * kk)
    return out


def _extra(y, windows, ili, ili_median, ok_units, opts: Options, ili_season, ets) -> dict:
    extra: dict = {}
    if opts.kommune:
        extra["kommune"] = kommune_ratios(y, windows, ok_units, opts.kommune_windows)
        if opts.loading:
            extra["loading"] = loadings(y, windows, ok_units)
    if opts.ili_season:
        n = len(ili)
        season = ili_season[:n] if ili_season is not None else np.full(n, np.nan)
        rel = np.where(np.isfinite(season), season / ili_median - 1, 0.0)
        extra["ili_season"] = rel
        # the excess of the latest published week over what is usual for that week (one week's lag: the
        # rate known at o is that of the week 8–14 days back)
        back = np.maximum(np.arange(n) - 11, 0)
        usual = season[back]
        ok = np.isfinite(ili) & np.isfinite(usual) & (usual > 0)
        extra["ili_excess"] = np.where(ok, ili / np.where(ok, usual, 1.0) - 1, 0.0)
    if opts.ets and ets is not None:
        extra["ets"] = ets
    elif opts.ets:
        raise ValueError("Options.ets needs the ETS forecast")
    return extra


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
