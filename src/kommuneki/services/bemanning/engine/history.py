"""Reading the aggregated history ``date,unit,absent[,staff]`` (or an export with a column mapping).

ISO dates (also ``dd.mm.yyyy`` and Excel serial numbers); comma or semicolon separator; decimal comma
accepted; UTF-8 with or without BOM. A day missing from the file is unknown (NaN), not zero. Every bad
row is reported (in Norwegian, with its line number) and the file is then refused as a whole: nothing is
read half.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from ....core.errors import InvalidInput
from ....ingest.tabular_mapping import EXCEL_SERIAL, Schema, parse_mapping_text, resolve
from .errors import InputError
from .schemas import HISTORY

COLUMNS = HISTORY.names  # date, unit, absent, staff
REQUIRED = HISTORY.required  # date, unit, absent
EXCEL_EPOCH = dt.date(1899, 12, 30)
MAX_ERRORS_SHOWN = 20


@dataclass
class History:
    units: list[str]  # in order of first appearance
    start: dt.date
    end: dt.date  # D: the last date in the whole file
    absent: np.ndarray  # units × days, NaN where unknown
    staff: np.ndarray  # units × days, NaN where not given
    warnings: dict[str, list[str]] = field(default_factory=dict)

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.absent.shape[1])]

    def subset(self, end_index: int) -> History:
        """The history as it was known at day index ``end_index`` (inclusive): a backtest origin."""
        return History(
            self.units,
            self.start,
            self.start + dt.timedelta(days=end_index),
            self.absent[:, : end_index + 1],
            self.staff[:, : end_index + 1],
            {},
        )


def parse_mapping(data: bytes, schema: Schema = HISTORY) -> dict[str, Any]:
    """A mapping file of the shared format (``engine/schemas.py``): JSON or YAML, field → the export's
    column, optionally ``date_format`` (and ``type_values`` for the absence records)."""
    text = data.decode("utf-8-sig", errors="replace")
    try:
        return schema.validate(parse_mapping_text(text))
    except InvalidInput as exc:
        raise InputError(exc.message) from exc


@lru_cache(maxsize=65536)  # a history repeats each date once per unit
def _parse_date(raw: str, date_format: str | None = None) -> dt.date:
    raw = raw.strip()
    if re.fullmatch(EXCEL_SERIAL, raw):  # an Excel serial date (days since 1899-12-30)
        return EXCEL_EPOCH + dt.timedelta(days=int(float(raw)))
    for fmt in (
        (date_format,) if date_format else ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")
    ):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(raw)


def _parse_number(raw: str) -> float:
    value = float(raw.strip().replace("\u00a0", "").replace(" ", "").replace(",", "."))
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def read_history(data: bytes, mapping: dict[str, Any] | None = None) -> History:
    """The aggregated history; ``mapping`` (the shared format, :data:`schemas.HISTORY`) names the
    export's columns and optionally the ``date_format``; without it the usual names are found."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("Filen er ikke UTF-8. Lagre den som CSV (UTF-8).") from exc
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError("Filen er tom.")
    header_line = lines[0]
    separator = ";" if header_line.count(";") > header_line.count(",") else ","
    if "\t" in header_line and header_line.count("\t") > header_line.count(separator):
        separator = "\t"
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    header = [h.strip() for h in next(reader)]
    try:
        index, missing = resolve(HISTORY, header, mapping)
    except InvalidInput as exc:
        raise InputError(exc.message) from exc
    if missing:
        raise InputError(
            f"Filen mangler kolonnene {', '.join(missing)}. Første linje må være date,unit,absent[,staff] "
            "eller filen må ha et kolonneoppsett."
        )
    date_format = (mapping or {}).get("date_format") or None
    fast = _read_fast(text, separator, index) if date_format in (None, "%Y-%m-%d") else None
    if fast is not None:
        return fast
    errors: list[str] = []
    values: dict[tuple[str, dt.date], tuple[float, float]] = {}
    units: dict[str, None] = {}
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        cells = {c: (row[i] if i < len(row) else "") for c, i in index.items()}
        if any(index[c] >= len(row) for c in REQUIRED):
            errors.append(f"Linje {line_no}: for få kolonner.")
            continue
        unit = cells["unit"].strip()
        if not unit:
            errors.append(f"Linje {line_no}: enhet mangler.")
            continue
        try:
            day = _parse_date(cells["date"], date_format)
        except ValueError:
            errors.append(f"Linje {line_no}: «{cells['date']}» er ikke en dato (ÅÅÅÅ-MM-DD).")
            continue
        try:
            absent = _parse_number(cells["absent"])
        except ValueError:
            errors.append(f"Linje {line_no}: fravær «{cells['absent']}» er ikke et tall.")
            continue
        if absent < 0:
            errors.append(f"Linje {line_no}: fravær kan ikke være negativt ({cells['absent']}).")
            continue
        staff = math.nan
        if "staff" in cells and cells["staff"].strip():
            try:
                staff = _parse_number(cells["staff"])
            except ValueError:
                errors.append(f"Linje {line_no}: bemanning «{cells['staff']}» er ikke et tall.")
                continue
        key = (unit, day)
        if key in values and values[key][0] != absent:
            errors.append(f"Linje {line_no}: {unit} {day.isoformat()} står to ganger med ulikt fravær.")
            continue
        values[key] = (absent, staff)
        units.setdefault(unit, None)
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = f" … og {len(errors) - len(shown)} til." if len(errors) > len(shown) else ""
        raise InputError(f"Filen har {len(errors)} feil, ingenting er lest: " + " ".join(shown) + more)
    if not values:
        raise InputError("Filen har ingen rader med data.")
    start = min(day for _, day in values)
    end = max(day for _, day in values)
    n_days = (end - start).days + 1
    order = {name: i for i, name in enumerate(units)}
    absent_matrix = np.full((len(units), n_days), np.nan)
    staff_matrix = np.full((len(units), n_days), np.nan)
    for (unit, day), (absent, staff) in values.items():
        absent_matrix[order[unit], (day - start).days] = absent
        staff_matrix[order[unit], (day - start).days] = staff
    return History(list(units), start, end, absent_matrix, staff_matrix, {})


def _read_fast(text: str, separator: str, index: dict[str, int]) -> History | None:
    """The same reading, vectorised with pandas, for a clean file (ISO dates, plain numbers, no
    conflicting duplicates). None when anything is off: the row-by-row reader then names every bad row."""
    import pandas as pd

    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=separator,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            usecols=sorted(index.values()),
            header=0,
        )
    except (ValueError, pd.errors.ParserError):
        return None
    columns = list(frame.columns)
    position = sorted(index.values())
    named = {c: columns[position.index(i)] for c, i in index.items()}
    if frame.empty:
        return None
    units = frame[named["unit"]].str.strip()
    dates = pd.to_datetime(frame[named["date"]].str.strip(), format="%Y-%m-%d", errors="coerce")
    absent = pd.to_numeric(
        frame[named["absent"]].str.strip().str.replace(",", ".", regex=False), errors="coerce"
    )
    if "staff" in named:
        raw_staff = frame[named["staff"]].str.strip()
        staff = pd.to_numeric(raw_staff.str.replace(",", ".", regex=False), errors="coerce")
        if (staff.isna() & (raw_staff != "")).any():
            return None
    else:
        staff = pd.Series(np.nan, index=frame.index)
    if dates.isna().any() or absent.isna().any() or (absent < 0).any() or (units == "").any():
        return None
    if not np.isfinite(absent.to_numpy()).all():
        return None
    keys = pd.DataFrame({"u": units, "d": dates, "a": absent})
    duplicated = keys.duplicated(["u", "d"], keep=False)
    if duplicated.any():
        if keys[duplicated].groupby(["u", "d"])["a"].nunique().max() > 1:
            return None
        keep = ~keys.duplicated(["u", "d"], keep="first")
        units, dates, absent, staff = units[keep], dates[keep], absent[keep], staff[keep]
    codes, names = pd.factorize(units, sort=False)
    start, end = dates.min().date(), dates.max().date()
    day_index = ((dates - pd.Timestamp(start)).dt.days).to_numpy()
    absent_matrix = np.full((len(names), (end - start).days + 1), np.nan)
    staff_matrix = np.full_like(absent_matrix, np.nan)
    absent_matrix[codes, day_index] = absent.to_numpy(float)
    staff_matrix[codes, day_index] = staff.to_numpy(float)
    return History([str(n) for n in names], start, end, absent_matrix, staff_matrix, {})
