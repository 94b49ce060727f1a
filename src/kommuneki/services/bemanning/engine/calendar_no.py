"""Norwegian calendar features: public holidays (the ``holidays`` package, NO), school holidays and
fellesferie. The ``holidays`` package has no school holidays, so a tenant may give its skolerute (CSV of
``from,to`` dates or an ICS file); without one the documented default pattern below is used:

* vinterferie: ISO week 8 · påskeferie: Monday of Holy Week to Easter Monday · høstferie: ISO week 40
* juleferie: 21 December – 1 January · sommerferie: 20 June – 17 August
* fellesferie (most staff on holiday, planned absence): ISO weeks 28–30
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

import holidays
import numpy as np
from dateutil.easter import easter

from .errors import InputError


@cache
def _public(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("NO", years=year, include_sundays=False).keys())


def is_public_holiday(day: dt.date) -> bool:
    return day in _public(day.year)


def _easter(year: int) -> dt.date:
    return easter(year)


@cache
def _default_school(year: int) -> frozenset[dt.date]:
    days: set[dt.date] = set()

    def span(a: dt.date, b: dt.date) -> None:
        while a <= b:
            days.add(a)
            a += dt.timedelta(days=1)

    span(dt.date.fromisocalendar(year, 8, 1), dt.date.fromisocalendar(year, 8, 7))
    span(dt.date.fromisocalendar(year, 40, 1), dt.date.fromisocalendar(year, 40, 7))
    sunday = _easter(year)
    span(sunday - dt.timedelta(days=6), sunday + dt.timedelta(days=1))
    span(dt.date(year, 12, 21), dt.date(year, 12, 31))
    span(dt.date(year, 1, 1), dt.date(year, 1, 1))
    span(dt.date(year, 6, 20), dt.date(year, 8, 17))
    return frozenset(days)


def is_fellesferie(day: dt.date) -> bool:
    return 28 <= day.isocalendar()[1] <= 30


def parse_school_holidays(data: bytes) -> frozenset[dt.date]:
    """A skolerute as CSV (``from,to`` per line, ISO dates, header optional) or ICS (DTSTART/DTEND of
    all-day events; DTEND exclusive)."""
    text = data.decode("utf-8-sig", errors="replace")
    days: set[dt.date] = set()
    if "BEGIN:VCALENDAR" in text:
        for block in text.split("BEGIN:VEVENT")[1:]:
            start = re.search(r"DTSTART[^:]*:(\d{8})", block)
            end = re.search(r"DTEND[^:]*:(\d{8})", block)
            if not start:
                continue
            a = dt.datetime.strptime(start.group(1), "%Y%m%d").date()
            b = dt.datetime.strptime(end.group(1), "%Y%m%d").date() - dt.timedelta(days=1) if end else a
            while a <= b:
                days.add(a)
                a += dt.timedelta(days=1)
        return frozenset(days)
    for n, line in enumerate(text.splitlines(), 1):
        parts = [p.strip() for p in re.split(r"[;,]", line) if p.strip()]
        if not parts or parts[0].lower() in {"from", "fra", "start"}:
            continue
        try:
            a = dt.date.fromisoformat(parts[0])
            b = dt.date.fromisoformat(parts[1]) if len(parts) > 1 else a
        except ValueError as exc:
            raise InputError(f"Skoleruten, linje {n}: «{line}» er ikke to datoer (ÅÅÅÅ-MM-DD).") from exc
        while a <= b:
            days.add(a)
            a += dt.timedelta(days=1)
    return frozenset(days)


def features(days: list[dt.date], school: frozenset[dt.date] | None = None) -> dict[str, np.ndarray]:
    """Calendar columns for the given days (vectorised per day; the caller repeats them over units)."""

    def school_day(d: dt.date) -> bool:
        return d in school if school is not None else d in _default_school(d.year)

    holiday = np.array([is_public_holiday(d) for d in days], dtype=float)
    return {
        "weekday": np.array([d.weekday() for d in days], dtype=float),
        "holiday": holiday,
        "holiday_near": np.array(
            [
                is_public_holiday(d - dt.timedelta(days=1)) or is_public_holiday(d + dt.timedelta(days=1))
                for d in days
            ],
            dtype=float,
        ),
        "school_holiday": np.array([school_day(d) for d in days], dtype=float),
        "fellesferie": np.array([is_fellesferie(d) for d in days], dtype=float),
        "christmas": np.array(
            [(d.month == 12 and d.day >= 20) or (d.month == 1 and d.day <= 3) for d in days], dtype=float
        ),
        "day_of_year": np.array([d.timetuple().tm_yday for d in days], dtype=float),
    }
