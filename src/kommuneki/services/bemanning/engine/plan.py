"""The staffing proposal: for each unit, day and shift, the expected shortfall against the minimum
staffing and the number of extra shifts (ekstravakter) to book early so that the minimum holds with a
chosen probability — a proposal to the unit leader, never an order.

A day's absence A (negative binomial, from the forecast) is spread over the shifts in proportion to the
planned staff on each (binomial thinning: mean p·μ, variance p²·v + p(1−p)·μ). With P planned and M the
minimum on a shift, the minimum holds with k extra shifts when A_shift ≤ P + k − M. The proposal is the
smallest k with P(A_shift ≤ P + k − M) ≥ the tenant's probability. The trade-off shown: the expected
cost of booking k early (k × early cost) plus the expected shifts still missing, booked late at the late
cost — and the k that minimises it (the newsvendor rule: the quantile 1 − early/late).

This is a greedy per shift (each shift covered on its own); there is no coupling between shifts to
optimise, so it is exact for this model. Rota repair with named persons (CP-SAT) is a separate,
optional part (``engine/rota.py``).

The planned staff on a shift comes from the rota export where one is given (``planned``: the persons on
that shift that day in that unit, from :func:`rota.planned_staff`; a day the rota covers with nobody on
the shift is 0 planned), else from the minimum file's ``planned`` column, else the shift is planned at its
minimum. Each row says which (``planned_from``: ``turnus``, ``minimumsfil`` or ``minimum``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .forecast import Forecast

WEEKDAYS = {"man": 0, "tir": 1, "ons": 2, "tor": 3, "fre": 4, "lør": 5, "lor": 5, "søn": 6, "son": 6}
MAX_SUPPORT = 400


@dataclass(frozen=True)
class ShiftRule:
    unit: str
    shift: str
    minimum: int
    planned: int | None
    weekday: int | None  # 0 = Monday; None: every day


def read_minimum(data: bytes) -> list[ShiftRule]:
    """``unit,shift,minimum[,planned][,weekday]`` (comma or semicolon; weekday 1–7 or man … søn)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("Minimumsfilen er ikke UTF-8.") from exc
    lines = text.splitlines()
    if not lines:
        raise InputError("Minimumsfilen er tom.")
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=sep)
    fields = {f.strip().lower(): f for f in reader.fieldnames or []}
    aliases = {
        "unit": ("unit", "enhet"),
        "shift": ("shift", "vakt"),
        "minimum": ("minimum", "min"),
        "planned": ("planned", "planlagt"),
        "weekday": ("weekday", "ukedag"),
    }
    column = {}
    for key, names in aliases.items():
        for name in names:
            if name in fields:
                column[key] = fields[name]
                break
    missing = [k for k in ("unit", "shift", "minimum") if k not in column]
    if missing:
        raise InputError(
            f"Minimumsfilen mangler kolonnene {', '.join(missing)} (unit,shift,minimum[,planned])."
        )
    rules, errors = [], []
    for n, row in enumerate(reader, start=2):
        try:
            unit, shift = row[column["unit"]].strip(), row[column["shift"]].strip()
            minimum = int(row[column["minimum"]].strip())
            planned_raw = row.get(column.get("planned", ""), "") or ""
            planned = int(planned_raw.strip()) if planned_raw.strip() else None
            weekday_raw = (row.get(column.get("weekday", ""), "") or "").strip().lower()
            weekday = None
            if weekday_raw:
                weekday = WEEKDAYS[weekday_raw[:3]] if weekday_raw[:3] in WEEKDAYS else int(weekday_raw) - 1
                if not 0 <= weekday <= 6:
                    raise ValueError(weekday_raw)
        except (ValueError, AttributeError, KeyError):
            errors.append(f"Linje {n}: forventet enhet, vakt, minimum (heltall) og ev. planlagt og ukedag.")
            continue
        if minimum < 0 or (planned is not None and planned < 0) or not unit or not shift:
            errors.append(
                f"Linje {n}: minimum og planlagt må være 0 eller mer, og enhet og vakt må fylles ut."
            )
            continue
        rules.append(ShiftRule(unit, shift, minimum, planned, weekday))
    if errors:
        raise InputError(f"Minimumsfilen har {len(errors)} feil, ingenting er lest: " + " ".join(errors[:20]))
    if not rules:
        raise InputError("Minimumsfilen har ingen vakter.")
    return rules


def _pmf(mean: float, var: float) -> np.ndarray:
    from scipy.stats import nbinom, poisson

    k = np.arange(MAX_SUPPORT)
    mean = max(mean, 1e-9)
    if var > mean * 1.0001:
        size = mean**2 / (var - mean)
        return nbinom.pmf(k, size, size / (size + mean))
    return poisson.pmf(k, mean)


def plan(
    fc: Forecast,
    rules: list[ShiftRule],
    *,
    probability: float = 0.9,
    early_cost: float = 1.0,
    late_cost: float = 1.5,
    planned_staff: dict[tuple[str, dt.date, str], int] | None = None,
) -> list[dict]:
    """One row per unit, day and shift (units in forecast order, dates ascending, shifts as in the file).
    ``planned_staff``: (unit, day, shift in lower case) → persons planned, from a rota export."""
    if not 0.5 <= probability < 1:
        raise InputError("Sannsynligheten må være mellom 0,5 og 0,99.")
    by_unit: dict[str, list[ShiftRule]] = {}
    for rule in rules:
        by_unit.setdefault(rule.unit, []).append(rule)
    unknown = sorted(set(by_unit) - set(fc.units))
    if unknown:
        raise InputError(f"Minimumsfilen nevner enheter som ikke er i historikken: {', '.join(unknown)}.")
    rota_days: dict[str, set[dt.date]] = {}
    rota_unit: dict[str, str] = {}  # the forecast's unit name in lower case -> the rota's spelling
    for rota_name, day, _shift_name in planned_staff or {}:
        rota_days.setdefault(rota_name.strip().lower(), set()).add(day)
        rota_unit[rota_name.strip().lower()] = rota_name
    if planned_staff is not None:
        covered = {u.strip().lower() for u in by_unit} & set(rota_days)
        if not covered:
            raise InputError(
                "Turnusen har ingen vakter i enhetene i minimumsfilen (enhetsnavnene må være like)."
            )
    out = []
    for u, unit in enumerate(fc.units):
        if unit not in by_unit:
            continue
        if unit in fc.errors:
            code, message = fc.errors[unit]
            out.append({"unit": unit, "error": message, "code": code})
            continue
        for h, day in enumerate(fc.dates):
            today = [r for r in by_unit[unit] if r.weekday is None or r.weekday == day.weekday()]
            shifts: dict[str, ShiftRule] = {}
            for rule in today:  # a weekday-specific rule overrides the every-day one
                if rule.shift not in shifts or rule.weekday is not None:
                    shifts[rule.shift] = rule
            key = unit.strip().lower()
            from_rota = day in rota_days.get(key, ())
            planned_of: dict[str, tuple[int, str]] = {}
            for rule in shifts.values():
                if from_rota:
                    count = (planned_staff or {}).get((rota_unit[key], day, rule.shift.lower()), 0)
                    planned_of[rule.shift] = (count, "turnus")
                elif rule.planned is not None:
                    planned_of[rule.shift] = (rule.planned, "minimumsfil")
                else:
                    planned_of[rule.shift] = (rule.minimum, "minimum")
            planned_total = sum(n for n, _ in planned_of.values())
            mu, var = float(fc.expected[u, h]), float(fc.variance[u, h])
            for rule in shifts.values():
                planned, source = planned_of[rule.shift]
                share = planned / planned_total if planned_total else 0.0
                out.append(
                    {
                        "unit": unit,
                        "date": day.isoformat(),
                        "shift": rule.shift,
                        "minimum": rule.minimum,
                        "planned": planned,
                        "planned_from": source,
                        **_shift(
                            mu * share,
                            share**2 * var + share * (1 - share) * mu,
                            planned - rule.minimum,
                            probability,
                            early_cost,
                            late_cost,
                        ),
                    }
                )
    return out


def _shift(mean: float, var: float, slack: int, probability: float, early: float, late: float) -> dict:
    pmf = _pmf(mean, var)
    cdf = np.cumsum(pmf)
    k_values = np.arange(MAX_SUPPORT)
    # absence A; with k extra shifts the minimum holds when A <= slack + k
    needed = int(np.searchsorted(cdf, probability - 1e-12))  # the smallest a with P(A <= a) >= prob
    extra = max(0, needed - slack)
    missing = np.maximum(k_values - slack, 0)
    expected_shortfall = float((pmf * missing).sum())
    met = float(cdf[min(max(slack + extra, 0), MAX_SUPPORT - 1)]) if slack + extra >= 0 else 0.0

    def cost(k: int) -> float:
        return k * early + late * float((pmf * np.maximum(missing - k, 0)).sum())

    ratio_needed = int(np.searchsorted(cdf, 1 - early / late - 1e-12)) if late > early else 0
    cheapest = max(0, ratio_needed - slack)
    return {
        "expected_absent": round(mean, 3),
        "expected_shortfall": round(expected_shortfall, 3),
        "extra_shifts": extra,
        "p_minimum_met": round(met, 3),
        "cost_early": round(cost(extra), 3),
        "cost_if_booked_late": round(cost(0), 3),
        "cheapest_extra_shifts": cheapest,
    }
