"""A generator of realistic daily unplanned absence per unit, for demos, tests and benchmarks.

FROZEN: this file is not tuned to the models. Its commit is recorded in docs/services/bemanning.md; any
change gets a new ``GENERATOR_VERSION`` and the benchmarks say which version they ran on. Figures
measured on its output are figures on generated data, not real-world accuracy.

What it models, per unit of N staff (8–300), day by day:

* Spell starts ~ Poisson(N × hazard): a unit-level rate drawn around a level giving about 9–11 % of
  contracted days lost to sickness (NAV/SSB sykefraværsstatistikk: helse- og sosialtjenester about
  9–10 % in 2022–2024; kommunal pleie og omsorg higher), times a weekday profile (most short spells start
  on Monday), fewer new spells on public holidays, in fellesferie (most staff away on planned holiday)
  and at Christmas, a slow seasonal swing (winter high), a unit trend, a slow random drift, and
  influenza waves driven by the real weekly ILI rate for Norway (ECDC ERVISS) with a unit-specific
  sensitivity.
* Spell lengths: 70 % short (egenmeldt, sykt barn: 1–3 days, mostly 1–2), 30 % legemeldt (log-normal,
  median 12 days, capped at 365), so long spells carry over and the recent level matters.
* ``absent`` on a day is the number of spells running that day (persons, calendar days).

The oracle (:func:`oracle`) is the generator's own conditional expected value at a forecast origin: the
spells under way at the origin that are still expected to run (by the true length distribution) plus the
expected new spells from the true hazard — the best any model can do in expectation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from . import calendar_no
from .ili import synthetic_daily

GENERATOR_VERSION = "1"
SHORT_SHARE = 0.70
SHORT_PMF = np.array([0.55, 0.30, 0.15])  # 1, 2, 3 days
LONG_MEDIAN, LONG_SIGMA, LONG_CAP = 12.0, 1.0, 365
WEEKDAY_START = np.array([1.9, 1.0, 0.9, 0.85, 0.8, 0.45, 0.45])  # Mon … Sun, relative
TARGET_RATE = 0.10  # share of staff absent on an average day
BURN_IN = 365


@dataclass
class GeneratedUnit:
    name: str
    staff: int
    days: list[dt.date]
    absent: np.ndarray  # int per day
    hazard: np.ndarray  # expected new spells per day (the truth)
    starts: np.ndarray  # day index of each spell start
    lengths: np.ndarray  # length in days of each spell


def _length_pmf() -> np.ndarray:
    """P(length = d) for d = 1 … LONG_CAP (index d-1)."""
    d = np.arange(1, LONG_CAP + 1)
    from math import erf, log, sqrt

    cdf = np.array([0.5 * (1 + erf((log(x + 0.5) - log(LONG_MEDIAN)) / (LONG_SIGMA * sqrt(2)))) for x in d])
    long_pmf = np.diff(np.concatenate([[0.0], cdf]))
    long_pmf[-1] += 1 - long_pmf.sum()
    pmf = (1 - SHORT_SHARE) * long_pmf
    pmf[:3] += SHORT_SHARE * SHORT_PMF
    return pmf / pmf.sum()


LENGTH_PMF = _length_pmf()
SURVIVAL = 1 - np.concatenate([[0.0], np.cumsum(LENGTH_PMF)])  # SURVIVAL[k] = P(length > k)
MEAN_LENGTH = float((np.arange(1, LONG_CAP + 1) * LENGTH_PMF).sum())


def generate(
    n_units: int,
    start: dt.date,
    end: dt.date,
    *,
    seed: int = 0,
    ili_daily: np.ndarray | None = None,
    sizes: tuple[int, int] = (8, 300),
    staff: list[int] | None = None,
) -> list[GeneratedUnit]:
    """``n_units`` units with daily absence from ``start`` to ``end``. ``ili_daily`` is the true ILI rate
    per day (``ili.daily_filled``); without it a plain synthetic winter wave is used."""
    rng = np.random.default_rng(seed)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    n_days = len(days)
    cal = calendar_no.features(days)
    if ili_daily is None:
        ili_daily = synthetic_daily(start, end)
    ili_rel = np.asarray(ili_daily, float) / np.median(ili_daily)
    weekday = WEEKDAY_START[cal["weekday"].astype(int)]
    season = 1 + 0.12 * np.cos(2 * np.pi * (cal["day_of_year"] - 20) / 365.25)
    calendar_factor = (
        np.where(cal["holiday"] > 0, 0.35, 1.0)
        * np.where(cal["fellesferie"] > 0, 0.55, 1.0)
        * np.where(cal["christmas"] > 0, 0.7, 1.0)
    )
    base_shape = weekday * season * calendar_factor
    base_shape = base_shape / base_shape.mean()
    t = np.arange(n_days) / 365.25
    if staff is None:
        log_lo, log_hi = np.log(sizes[0]), np.log(sizes[1])
        staff = [int(round(np.exp(rng.uniform(log_lo, log_hi)))) for _ in range(n_units)]
    units = []
    for u in range(n_units):
        n = int(staff[u])
        level = TARGET_RATE * rng.lognormal(0.0, 0.25) / MEAN_LENGTH
        flu_sensitivity = rng.uniform(0.04, 0.16)
        trend = rng.normal(0.0, 0.06)
        wobble = np.exp(np.cumsum(rng.normal(0, 0.01, n_days)))  # slow unit-specific drift
        wobble /= wobble.mean()
        hazard = n * level * base_shape * (1 + flu_sensitivity * (ili_rel - 1)) * (1 + trend * t) * wobble
        hazard = np.clip(hazard, 0.0, None)
        # a burn-in year (the first year's hazard again) so that long spells are under way on day one
        warm = min(BURN_IN, n_days)
        counts = rng.poisson(np.concatenate([hazard[:warm], hazard]))
        starts = np.repeat(np.arange(-warm, n_days), counts)
        lengths = rng.choice(np.arange(1, LONG_CAP + 1), size=len(starts), p=LENGTH_PMF)
        diff = np.zeros(warm + n_days + LONG_CAP + 2, dtype=np.int64)
        np.add.at(diff, starts + warm, 1)
        np.add.at(diff, starts + warm + lengths, -1)
        absent = np.minimum(np.cumsum(diff)[warm : warm + n_days], n)
        units.append(GeneratedUnit(f"Enhet {u + 1:04d}", n, days, absent, hazard, starts, lengths))
    return units


def oracle(unit: GeneratedUnit, origin: int, horizon: int) -> np.ndarray:
    """E[absent on origin+1 … origin+horizon | spells under way at origin, true hazard]."""
    h = np.arange(1, horizon + 1)
    running = (unit.starts <= origin) & (unit.starts + unit.lengths > origin)
    age = origin - unit.starts[running]  # days run before the origin day ends: survived > age
    surv_now = SURVIVAL[np.minimum(age, LONG_CAP)]
    carried = np.zeros(horizon)
    if running.any():
        ahead = np.minimum(age[:, None] + h[None, :], LONG_CAP)
        carried = (SURVIVAL[ahead] / np.maximum(surv_now[:, None], 1e-12)).sum(axis=0)
    new = np.zeros(horizon)
    for k in range(horizon):
        day = origin + 1 + k
        if day >= len(unit.hazard):
            break
        s = np.arange(origin + 1, day + 1)
        new[k] = (unit.hazard[s] * SURVIVAL[np.minimum(day - s, LONG_CAP)]).sum()
    return carried + new


def to_csv(units: list[GeneratedUnit], *, with_staff: bool = True) -> str:
    """The aggregated form ``date,unit,absent[,staff]``."""
    lines = ["date,unit,absent,staff" if with_staff else "date,unit,absent"]
    for i, day in enumerate(units[0].days):
        iso = day.isoformat()
        for unit in units:
            row = f"{iso},{unit.name},{int(unit.absent[i])}"
            lines.append(row + f",{unit.staff}" if with_staff else row)
    return "\n".join(lines) + "\n"
