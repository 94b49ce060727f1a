"""Absence forecast per unit × day, with 10/50/90 % quantiles.

Models, each measured against the baselines in ``bench/bemanning_accuracy.py``:

* baselines: seasonal naive (same weekday, last observed week) and a 28-day moving average;
* ETS: simple exponential smoothing of the weekday-adjusted series, vectorised across units; the weekday
  profile of each unit is shrunk towards the kommune's pooled profile (small units borrow strength), and
  the smoothing weight is chosen per unit from its own multi-step errors;
* one pooled LightGBM across all units (one fit, not one per unit), direct multi-horizon: target = absence
  on D+h divided by the unit's own yearly level, features = horizon, calendar of the target day (weekday,
  public holidays, school holidays, fellesferie, Christmas, season), recent levels, the ETS forecast, the
  unit's size, and the ILI rate published by the origin (one week's lag);
* the forecast is a blend of ETS and LightGBM; quantiles come from a negative binomial around the mean,
  whose variance ``a·μ + b·μ² + c·μ²·h/56`` is fit on out-of-time residuals (the last weeks, held out).

Pure: numpy in, numpy out; no database.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import calendar_no
from .direct import Options
from .history import History
from .ili import known_at, usual_for_week

MODEL_NAME = "bemanning-prognose"
# 1: ETS with NB quantiles; 2: the direct linear model, conformal quantiles; 3: the same trained on three
# years of origins instead of two
MODEL_VERSION = "3"
MIN_DAYS = 7  # fewer observed days than this: no forecast for the unit
SHORT_DAYS = 56  # fewer than this: a forecast with a warning


@dataclass(frozen=True)
class Config:
    # "direct": the pooled direct linear model with conformal quantiles (engine/direct.py); "ets": ETS
    # (with LightGBM as ``blend`` says) and negative-binomial quantiles
    model: str = "ets"
    alphas: tuple[float, ...] = (0.01, 0.03, 0.07, 0.15, 0.3)
    weekday_prior: float = 30.0  # pseudo-observations per weekday of the pooled profile
    train_horizon: int = 56
    origin_step: int = 4
    train_days: int = 730
    horizons_per_origin: int = 8
    max_rows: int = 250_000
    holdout_days: int = 42
    min_rows_for_gbm: int = 1500
    # weight of LightGBM in the blend (the rest ETS); None: chosen per unit size on the held-out weeks
    blend: float | None = None
    residual: bool = False  # LightGBM learns the correction to ETS instead of the level
    drop_features: tuple[str, ...] = ()  # left out of the LightGBM fit (for measuring what a feature adds)
    n_estimators: int = 250
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_child_samples: int = 40
    n_jobs: int = 1  # OpenMP threads spin on a loaded machine (measured: 16× slower with 2 on 2 busy cores)
    direct: Options = Options()  # the direct model's features beyond version 2's (engine/direct.py)


# Shipped: the direct linear model (engine/direct.py) with conformal quantiles; ETS where a tenant's history
# is too short for it. On generated data (bench/bemanning_accuracy.py; tuned on seeds 101–102, reported on
# others) it beat ETS for every unit size, and ETS beat the pooled LightGBM and every blend with it for large
# units; those stay measurable with Config(), Config(blend=1.0) and Config(blend=None).
# Version 3 (chosen on seeds 101–102 only): three years of training origins instead of two (large units
# 0.820× → 0.798× seasonal naive over the bench's 3 origins, 0.810× → 0.784× over 6, on those seeds).
CONFIG = Config(model="direct", blend=0.0, train_days=1095)
ETS = Config(blend=0.0)
SIZE_EDGES = (3.0, 10.0)  # a unit's yearly mean absence (persons per day): small, middle, large
BLEND_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass
class Forecast:
    units: list[str]
    origin: dt.date  # D
    horizon: int
    expected: np.ndarray  # units × horizon
    q10: np.ndarray
    q50: np.ndarray
    q90: np.ndarray
    variance: np.ndarray  # of the day's absence, for the staffing proposal
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)  # unit -> (code, Norwegian message)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    @property
    def dates(self) -> list[dt.date]:
        return [self.origin + dt.timedelta(days=h) for h in range(1, self.horizon + 1)]

    def rows(self) -> list[dict]:
        """One dict per unit and day (units in input order, dates ascending); an error per failed unit."""
        out = []
        for u, name in enumerate(self.units):
            if name in self.errors:
                code, message = self.errors[name]
                out.append({"unit": name, "error": message, "code": code})
                continue
            warning = "; ".join(self.warnings.get(name, [])) or None
            for h, day in enumerate(self.dates):
                row = {
                    "unit": name,
                    "date": day.isoformat(),
                    "expected": round(float(self.expected[u, h]), 3),
                    "q10": float(self.q10[u, h]),
                    "q50": float(self.q50[u, h]),
                    "q90": float(self.q90[u, h]),
                }
                if warning:
                    row["warning"] = warning
                out.append(row)
        return out


# --- helpers ---------------------------------------------------------------------------------------


class Windows:
    """Means of a units × days matrix with NaNs over trailing windows, for any (unit, day) pairs."""

    def __init__(self, y: np.ndarray):
        finite = np.isfinite(y)
        self.sums = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(np.where(finite, y, 0.0), 1)], 1)
        self.counts = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(finite, 1)], 1)

    def mean(self, u: np.ndarray, end: np.ndarray, width: int) -> np.ndarray:
        start = np.maximum(end - width + 1, 0)
        s = self.sums[u, end + 1] - self.sums[u, start]
        c = self.counts[u, end + 1] - self.counts[u, start]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(c > 0, s / np.maximum(c, 1), np.nan)

    def count(self, u: np.ndarray, end: np.ndarray, width: int) -> np.ndarray:
        start = np.maximum(end - width + 1, 0)
        return self.counts[u, end + 1] - self.counts[u, start]


def seasonal_naive(y: np.ndarray, origin: int, horizon: int) -> np.ndarray:
    """Same weekday in the last observed week up to the origin (back up to 8 weeks); units × horizon."""
    out = np.full((y.shape[0], horizon), np.nan)
    for h in range(1, horizon + 1):
        back = origin + h - 7 * math.ceil(h / 7)
        for _ in range(8):
            if back < 0:
                break
            value = y[:, back]
            fill = np.isnan(out[:, h - 1]) & np.isfinite(value)
            out[fill, h - 1] = value[fill]
            back -= 7
    return out


def moving_average(y: np.ndarray, origin: int, horizon: int, width: int = 28) -> np.ndarray:
    windows = Windows(y[:, : origin + 1])
    u = np.arange(y.shape[0])
    level = windows.mean(u, np.full(len(u), origin), width)
    return np.repeat(level[:, None], horizon, axis=1)


def weekday_profile(y: np.ndarray, weekdays: np.ndarray, prior: float) -> np.ndarray:
    """Units × 7 multiplicative weekday factors from the last year, shrunk towards the pooled profile."""
    recent = y[:, -365:]
    wd = weekdays[-recent.shape[1] :]
    finite = np.isfinite(recent)
    overall = np.nanmean(np.where(finite, recent, np.nan), axis=1) if finite.any() else np.zeros(len(y))
    overall = np.nan_to_num(overall)
    sums = np.stack([np.where(finite & (wd == d), recent, 0).sum(1) for d in range(7)], 1)
    counts = np.stack([(finite & (wd == d)).sum(1) for d in range(7)], 1)
    pooled_rate = sums.sum(0) / np.maximum(counts.sum(0), 1)
    pooled = pooled_rate / max(pooled_rate.mean(), 1e-9)
    expected_sum = prior * pooled[None, :] * overall[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (sums + expected_sum) / ((counts + prior) * overall[:, None])
    ratio = np.where(np.isfinite(ratio) & (overall[:, None] > 0), ratio, 1.0)
    return ratio / ratio.mean(1, keepdims=True)


def ets_levels(z: np.ndarray, alphas: tuple[float, ...]) -> np.ndarray:
    """Simple exponential smoothing levels, alphas × units × days (float32); NaN days keep the level."""
    n_units, n_days = z.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a unit with no numbers in its first four weeks
        first = np.nanmean(z[:, : min(28, n_days)], axis=1)
        first = np.where(np.isfinite(first), first, np.nanmean(z, axis=1))
    level = np.tile(np.nan_to_num(first), (len(alphas), 1))
    a = np.array(alphas)[:, None]
    out = np.empty((len(alphas), n_units, n_days), dtype=np.float32)
    for t in range(n_days):
        value = z[:, t]
        ok = np.isfinite(value)
        level = np.where(ok[None, :], level + a * (np.where(ok, value, 0.0)[None, :] - level), level)
        out[:, :, t] = level
    return out


# --- the model -------------------------------------------------------------------------------------


@dataclass
class _Prepared:
    y: np.ndarray
    weekdays: np.ndarray  # over history + horizon
    cal: dict[str, np.ndarray]
    ili: np.ndarray  # the rate known at each day (as an origin)
    ili_season: np.ndarray  # the rate usual for each day's week, from the weeks published by the origin
    profile: np.ndarray
    levels: np.ndarray  # chosen-alpha ETS level, units × days
    windows: Windows
    staff: np.ndarray
    log_size: np.ndarray


def _prepare(history: History, horizon: int, ili_weekly, school, config: Config) -> _Prepared:
    y = history.absent
    n_days = y.shape[1]
    days = [history.start + dt.timedelta(days=i) for i in range(n_days + max(horizon, config.train_horizon))]
    cal = calendar_no.features(days, school)
    weekdays = cal["weekday"].astype(int)
    ili = known_at(ili_weekly, days) if ili_weekly else np.full(len(days), np.nan)
    ili_season = usual_for_week(ili_weekly, days, history.end) if ili_weekly else np.full(len(days), np.nan)
    profile = weekday_profile(y, weekdays[:n_days], config.weekday_prior)
    factor = profile[:, weekdays[:n_days]] if len(y) else np.ones_like(y)
    z = y / factor
    all_levels = ets_levels(z, config.alphas)
    # choose alpha per unit by its mean absolute error at horizons 1, 7, 14, 28 from weekly origins
    errors = np.zeros((len(config.alphas), y.shape[0]))
    counts = np.zeros(y.shape[0])
    for o in range(max(28, n_days - 365), n_days - 1, 7):
        for h in (1, 7, 14, 28):
            if o + h >= n_days:
                continue
            target = y[:, o + h]
            ok = np.isfinite(target)
            pred = all_levels[:, :, o] * profile[:, weekdays[o + h]][None, :]
            errors[:, ok] += np.abs(pred[:, ok] - target[None, ok])
            counts += ok
    choice = np.argmin(errors, axis=0) if counts.any() else np.full(y.shape[0], len(config.alphas) // 2)
    levels = all_levels[choice, np.arange(y.shape[0]), :].astype(float)
    staff = history.staff
    size = None
    if np.isfinite(staff).any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a unit without staff numbers
            size = np.nanmedian(staff, axis=1)
    windows = Windows(y)
    year_level = windows.mean(np.arange(len(y)), np.full(len(y), n_days - 1), 365)
    log_size = (
        np.log(np.where(np.isfinite(size), size, np.nan)) if size is not None else np.log(year_level + 0.5)
    )
    log_size = np.where(np.isfinite(log_size), log_size, np.log(np.nan_to_num(year_level) + 0.5))
    return _Prepared(y, weekdays, cal, ili, ili_season, profile, levels, windows, staff, log_size)


FEATURES = (
    "h t_weekday t_holiday t_holiday_near t_school t_fellesferie t_christmas t_doy_sin t_doy_cos o_weekday "
    "m7 m14 m28 m91 last same_wd ets log_scale log_size ili ili_change"
).split()


def _features(
    p: _Prepared, u: np.ndarray, o: np.ndarray, h: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature matrix, the per-row scale and the ETS forecast for rows (unit, origin, horizon)."""
    t = o + h
    w = p.windows
    scale = np.maximum(np.nan_to_num(w.mean(u, o, 365)), 0.25)
    ets = np.maximum(p.levels[u, o] * p.profile[u, p.weekdays[t]], 0.0)
    same = np.zeros(len(u))
    same_n = np.zeros(len(u))
    for k in range(1, 5):
        back = t - 7 * (np.ceil(h / 7).astype(int) + k - 1)
        valid = back >= 0
        value = np.where(valid, p.y[u, np.maximum(back, 0)], np.nan)
        ok = np.isfinite(value)
        same += np.where(ok, value, 0)
        same_n += ok
    with np.errstate(invalid="ignore", divide="ignore"):
        same_wd = np.where(same_n > 0, same / np.maximum(same_n, 1), np.nan)
    doy = p.cal["day_of_year"][t]
    ili_prev = p.ili[np.maximum(o - 14, 0)]
    columns = [
        h,
        p.weekdays[t],
        p.cal["holiday"][t],
        p.cal["holiday_near"][t],
        p.cal["school_holiday"][t],
        p.cal["fellesferie"][t],
        p.cal["christmas"][t],
        np.sin(2 * np.pi * doy / 365.25),
        np.cos(2 * np.pi * doy / 365.25),
        p.weekdays[o],
        w.mean(u, o, 7) / scale,
        w.mean(u, o, 14) / scale,
        w.mean(u, o, 28) / scale,
        w.mean(u, o, 91) / scale,
        p.y[u, o] / scale,
        same_wd / scale,
        ets / scale,
        np.log(scale),
        p.log_size[u],
        p.ili[o],
        p.ili[o] - ili_prev,
    ]
    return np.column_stack(columns).astype(np.float32), scale, ets


def _training_rows(p: _Prepared, ok_units: np.ndarray, config: Config, rng: np.random.Generator):
    n_days = p.y.shape[1]
    last_origin = n_days - 2
    first_origin = max(28, n_days - config.train_days)
    origins = np.arange(last_origin, first_origin - 1, -config.origin_step)
    if len(origins) == 0 or len(ok_units) == 0:
        return None
    uu, oo = np.meshgrid(ok_units, origins, indexing="ij")
    uu, oo = uu.ravel(), oo.ravel()
    k = config.horizons_per_origin
    hh = rng.integers(1, config.train_horizon + 1, size=(len(uu), k))
    uu, oo, hh = np.repeat(uu, k), np.repeat(oo, k), hh.ravel()
    keep = (oo + hh < n_days) & np.isfinite(p.y[uu, np.minimum(oo + hh, n_days - 1)])
    keep &= w_count_ok(p, uu, oo)
    uu, oo, hh = uu[keep], oo[keep], hh[keep]
    if len(uu) > config.max_rows:
        pick = np.sort(rng.choice(len(uu), config.max_rows, replace=False))
        uu, oo, hh = uu[pick], oo[pick], hh[pick]
    return uu, oo, hh


def w_count_ok(p: _Prepared, u: np.ndarray, o: np.ndarray) -> np.ndarray:
    return p.windows.count(u, o, 28) >= 7


def _fit_variance(mu: np.ndarray, resid: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Non-negative (a, b, c) of var = a·μ + b·μ² + c·μ²·h/56, fit to squared residuals."""
    from scipy.optimize import nnls

    design = np.column_stack([mu, mu**2, mu**2 * h / 56.0])
    weight = 1.0 / np.maximum(mu, 0.5)  # keep large units from drowning the small
    coef, _ = nnls(design * weight[:, None], resid**2 * weight)
    if coef[0] < 1.0:  # never tighter than Poisson
        coef[0] = 1.0
    return coef


def quantiles(mu: np.ndarray, var: np.ndarray, probs=(0.1, 0.5, 0.9)) -> list[np.ndarray]:
    """Negative-binomial (Poisson where the variance is not above the mean) quantiles, in persons."""
    from scipy.stats import nbinom, poisson

    mu = np.maximum(mu, 1e-6)
    over = var > mu * 1.0001
    size = np.where(over, mu**2 / np.maximum(var - mu, 1e-9), 1.0)
    prob = np.where(over, size / (size + mu), 0.5)
    out = []
    for q in probs:
        value = np.where(over, nbinom.ppf(q, size, prob), poisson.ppf(q, mu))
        out.append(np.nan_to_num(value))
    return out


def forecast(
    history: History,
    horizon: int = 28,
    *,
    ili_weekly: dict | None = None,
    school: frozenset[dt.date] | None = None,
    seed: int = 0,
    config: Config = CONFIG,
    min_group: int = 5,
) -> Forecast:
    """Train on the history given and forecast days D+1 … D+horizon for every unit."""
    if not 1 <= horizon <= 56:
        from .errors import InputError

        raise InputError("Horisonten må være mellom 1 og 56 dager.")
    rng = np.random.default_rng(seed)
    y = history.absent
    n_units, n_days = y.shape
    observed = np.isfinite(y).sum(1)
    errors: dict[str, tuple[str, str]] = {}
    warnings: dict[str, list[str]] = {}
    for i, name in enumerate(history.units):
        if observed[i] < MIN_DAYS:
            errors[name] = (
                "too_little_history",
                f"For lite historikk: {int(observed[i])} dager med tall (minst {MIN_DAYS} trengs).",
            )
            continue
        notes = []
        if observed[i] < SHORT_DAYS:
            notes.append(f"Kort historikk ({int(observed[i])} dager): prognosen er usikker.")
        last_year = y[i, -365:]
        if np.nansum(last_year) == 0:
            notes.append("Ikke noe fravær registrert siste år: sjekk om tall mangler.")
        if not np.isfinite(y[i, -1]):
            gap = n_days - 1 - int(np.flatnonzero(np.isfinite(y[i]))[-1])
            notes.append(f"Ingen tall de siste {gap} dagene før prognosestart.")
        staff = history.staff[i]
        if np.isfinite(staff).any() and np.nanmedian(staff) < min_group:
            notes.append(
                f"Enheten har færre enn {min_group} ansatte (minste gruppestørrelse): vis bare samlet "
                "eller med forsiktighet."
            )
        if notes:
            warnings[name] = notes
    ok_units = np.array([i for i, name in enumerate(history.units) if name not in errors], dtype=int)
    p = _prepare(history, horizon, ili_weekly, school, config)
    origin = n_days - 1
    uu = np.repeat(ok_units, horizon)
    oo = np.full(len(uu), origin)
    hh = np.tile(np.arange(1, horizon + 1), len(ok_units))
    X_future, scale_future, ets_future = _features(p, uu, oo, hh)
    if config.model == "direct":
        from .direct import fit_direct

        def ets(u, o, t):
            return np.maximum(p.levels[u, o] * p.profile[u, p.weekdays[t]], 0.0)

        fit = fit_direct(
            p.y,
            p.windows,
            p.cal,
            p.ili,
            ok_units,
            horizon,
            train_days=config.train_days,
            opts=config.direct,
            ili_season=p.ili_season,
            ets=ets,
        )
        if fit is not None:
            shape = (n_units, horizon)
            matrices = [np.zeros(shape) for _ in range(5)]
            for target_m, values in zip(
                matrices, (fit.mean, fit.q10, fit.q50, fit.q90, fit.variance), strict=True
            ):
                target_m[ok_units] = values
            info = {"model": "direct-linear", "rows": fit.rows, "quantiles": "conformal"}
            return Forecast(list(history.units), history.end, horizon, *matrices, errors, warnings, info)
    info: dict = {"model": "ets"}
    rows = _training_rows(p, ok_units, config, rng)
    mean_future = ets_future.copy()
    holdout = None
    if (
        rows is not None
        and len(rows[0]) >= config.min_rows_for_gbm
        and (config.blend is None or config.blend > 0)
    ):
        import lightgbm as lgb

        ru, ro, rh = rows
        X, scale, ets = _features(p, ru, ro, rh)
        target = p.y[ru, ro + rh]
        cut = n_days - 1 - config.holdout_days
        fit = ro + rh <= cut
        held = (ro + rh > cut) & (ro <= cut)
        model = lgb.LGBMRegressor(
            n_estimators=config.n_estimators,
            learning_rate=config.learning_rate,
            num_leaves=config.num_leaves,
            min_child_samples=config.min_child_samples,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.9,
            random_state=seed,
            n_jobs=config.n_jobs,
            verbose=-1,
        )
        if fit.sum() >= config.min_rows_for_gbm:
            offset, offset_future = (ets, ets_future) if config.residual else (0.0 * ets, 0.0 * ets_future)
            keep = [i for i, name in enumerate(FEATURES) if name not in config.drop_features]
            X, X_future = X[:, keep], X_future[:, keep]
            model.fit(X[fit], (target[fit] - offset[fit]) / scale[fit])

            def gbm(rows, row_scale, row_offset):
                return np.maximum(model.predict(rows) * row_scale + row_offset, 0)

            gbm_future = gbm(X_future, scale_future, offset_future)
            gbm_held = gbm(X[held], scale[held], offset[held]) if held.any() else np.zeros(0)
            weight_future = np.full(len(uu), config.blend if config.blend is not None else 0.5)
            weight_held = np.full(int(held.sum()), weight_future[0] if len(weight_future) else 0.5)
            chosen = {}
            if config.blend is None and held.sum() >= 50:
                # the blend weight per unit size, chosen on the held-out weeks of this tenant's own history
                bins_held = np.digitize(scale[held], SIZE_EDGES)
                bins_future = np.digitize(scale_future, SIZE_EDGES)
                for b in range(len(SIZE_EDGES) + 1):
                    in_bin = bins_held == b
                    if in_bin.sum() < 30:
                        continue
                    truth, e, g = target[held][in_bin], ets[held][in_bin], gbm_held[in_bin]
                    bin_errors = [np.abs(w * g + (1 - w) * e - truth).mean() for w in BLEND_GRID]
                    chosen[b] = BLEND_GRID[int(np.argmin(bin_errors))]
                    weight_future[bins_future == b] = chosen[b]
                    weight_held[in_bin] = chosen[b]
            mean_future = weight_future * gbm_future + (1 - weight_future) * ets_future
            if held.sum() >= 50:
                mu_held = weight_held * gbm_held + (1 - weight_held) * ets[held]
                holdout = (mu_held, target[held] - mu_held, rh[held])
            info = {
                "model": "ets+lightgbm",
                "rows": int(fit.sum()),
                "holdout_rows": int(held.sum()),
                "blend_by_size": {int(k): v for k, v in chosen.items()},
            }
    if holdout is None and rows is not None and len(rows[0]) >= 20:
        ru, ro, rh = rows
        _, _, ets = _features(p, ru, ro, rh)
        holdout = (ets, p.y[ru, ro + rh] - ets, rh)
    coef = _fit_variance(*holdout) if holdout is not None else np.array([1.0, 0.05, 0.05])
    info["variance"] = [round(float(c), 4) for c in coef]
    mean_future = np.maximum(mean_future, 0.0)
    var_future = coef[0] * mean_future + coef[1] * mean_future**2 + coef[2] * mean_future**2 * hh / 56.0
    q10, q50, q90 = quantiles(mean_future, var_future)
    shape = (n_units, horizon)
    expected_m, q10_m, q50_m, q90_m, var_m = (np.zeros(shape) for _ in range(5))
    pairs = ((expected_m, mean_future), (q10_m, q10), (q50_m, q50), (q90_m, q90), (var_m, var_future))
    for target_m, values in pairs:
        target_m[uu, hh - 1] = values
    return Forecast(
        list(history.units),
        history.end,
        horizon,
        expected_m,
        q10_m,
        q50_m,
        q90_m,
        var_m,
        errors,
        warnings,
        info,
    )
