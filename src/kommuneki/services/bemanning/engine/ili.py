"""The weekly influenza-like-illness (ILI) rate for Norway as a daily series, known only after its lag.

Source: ECDC ERVISS, ``ILIARIRates-norway.csv`` (EUPL-1.2), found at ``../shared/data/ili`` in a
developer checkout; an installation points at its own copy. The file has gaps (summer weeks, the
2023/24 season) and ends at its last published week. A forecast made at origin D may use only weeks
published by D: we assume one week's reporting lag, so week W is known from the Monday after W ends.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

REPORTING_LAG_DAYS = (
    7  # week W (Mon–Sun) is published the Monday after it ends: known 8 days after its Monday
)


def read_weekly(path: str | Path, age: str = "total") -> dict[dt.date, float]:
    """{Monday of ISO week: rate per 100,000 consultations} for one age group."""
    rates: dict[dt.date, float] = {}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("age") != age or row.get("indicator") != "ILIconsultationrate":
                continue
            year, week = row["yearweek"].split("-W")
            try:
                rates[dt.date.fromisocalendar(int(year), int(week), 1)] = float(row["value"])
            except ValueError:
                continue
    return rates


def default_path() -> Path | None:
    """The shared copy in a developer checkout (``../shared/data/ili``), if present."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent.parent / "shared" / "data" / "ili" / "ILIARIRates-norway.csv"
        if candidate.exists():
            return candidate
    return None


def daily_filled(weekly: dict[dt.date, float], start: dt.date, end: dt.date) -> np.ndarray:
    """The true weekly rate on each day ``start`` … ``end`` (for the generator: what happened, no lag).
    Missing weeks are filled with the mean of the same ISO week in the other years, then the overall
    median."""
    by_week: dict[int, list[float]] = {}
    for monday, rate in weekly.items():
        by_week.setdefault(monday.isocalendar()[1], []).append(rate)
    overall = float(np.median(list(weekly.values()))) if weekly else 10.0
    days = (end - start).days + 1
    out = np.empty(days)
    for i in range(days):
        day = start + dt.timedelta(days=i)
        monday = day - dt.timedelta(days=day.weekday())
        if monday in weekly:
            out[i] = weekly[monday]
        else:
            same = by_week.get(monday.isocalendar()[1])
            out[i] = float(np.mean(same)) if same else overall
    return out


def known_at(weekly: dict[dt.date, float], days: list[dt.date]) -> np.ndarray:
    """For each day, the latest weekly rate published by that day (one week's lag); NaN before the first
    and where the latest published week is more than four weeks old (a gap: unknown, not zero)."""
    mondays = sorted(weekly)
    if not mondays:
        return np.full(len(days), np.nan)
    published = np.array([(m + dt.timedelta(days=7 + REPORTING_LAG_DAYS)).toordinal() for m in mondays])
    values = np.array([weekly[m] for m in mondays])
    ordinals = np.array([d.toordinal() for d in days])
    idx = np.searchsorted(published, ordinals, side="right") - 1
    out = np.where(idx >= 0, values[np.clip(idx, 0, None)], np.nan)
    stale = (idx >= 0) & (ordinals - published[np.clip(idx, 0, None)] > 28)
    out[stale] = np.nan
    return out


def synthetic_daily(start: dt.date, end: dt.date) -> np.ndarray:
    """A plain winter wave (peak in ISO week 6, 15 → 90 per 100,000) for when no ILI file is at hand."""
    days = (end - start).days + 1
    out = np.empty(days)
    for i in range(days):
        week = (start + dt.timedelta(days=i)).isocalendar()[1]
        distance = min(abs(week - 6), 52 - abs(week - 6))
        out[i] = 15 + 75 * np.exp(-((distance / 5.0) ** 2))
    return out


def usual_for_week(weekly: dict[dt.date, float], days: list[dt.date], by: dt.date) -> np.ndarray:
    """For each day, the mean rate of its ISO week in the other seasons, from the weeks published by
    ``by`` (the forecast origin; one week's lag) — what is usual for the time of year, known at the
    origin. NaN where no such week was published."""
    published_by: dict[int, list[float]] = {}
    for monday, rate in weekly.items():
        if monday + dt.timedelta(days=7 + REPORTING_LAG_DAYS) <= by:
            published_by.setdefault(monday.isocalendar()[1], []).append(rate)
    means = {week: float(np.mean(rates)) for week, rates in published_by.items()}
    return np.array([means.get(d.isocalendar()[1], np.nan) for d in days])
