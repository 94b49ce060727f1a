"""The absence-record import: HR or rota exports with one row per absence spell (person, unit, from,
to, type[, shift]) become daily counts per unit — and nothing about any person survives the import.

Privacy by construction (a documented exception to "raw input stored first", ADR 0009):

* each person is replaced at once by a keyed HMAC-SHA-256 pseudonym; the key is random per import, held
  in memory only (never in the database, a file or a log), so pseudonyms cannot be linked across imports
  or reversed, and are gone with the key when the import ends;
* overlapping and adjacent spells of the same pseudonym in the same unit are merged, so a person counts
  once per day;
* only unplanned absence is counted (egenmeldt, legemeldt, sykt barn); ferie and permisjon are planned and
  belong to the plan; an unknown type is an error for its row;
* the result is counts per unit and day, and the number of distinct persons per unit (for the minimum
  group size); the raw bytes, the rows and the pseudonyms are not returned and not stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import re
import secrets
from dataclasses import dataclass
from typing import Any

from ....core.errors import InvalidInput
from ....ingest.tabular import excel_as_csv, is_excel
from ....ingest.tabular_mapping import EXCEL_SERIAL, resolve
from .errors import InputError
from .history import _parse_date
from .schemas import PLANNED as PLANNED_TYPE
from .schemas import RECORDS, TYPE_FIELD

UNPLANNED = {
    "egenmeldt": "egenmeldt",
    "egenmelding": "egenmeldt",
    "legemeldt": "legemeldt",
    "sykmelding": "legemeldt",
    "sykemelding": "legemeldt",
    "sykmeldt": "legemeldt",
    "sykt barn": "sykt_barn",
    "syk barn": "sykt_barn",
    "barns sykdom": "sykt_barn",
}
PLANNED = {"ferie", "permisjon", "avspasering", "kurs", "foreldrepermisjon"}


@dataclass
class Counts:
    """What the import keeps: counts per unit and day, no person."""

    csv: bytes  # date,unit,absent for every day of the export's period
    units: dict[str, int]  # unit -> distinct persons with unplanned absence (for the minimum group size)
    rows: int
    counted_rows: int
    planned_rows: int
    merged_spells: int
    start: dt.date
    end: dt.date


def import_records(
    data: bytes, mapping: dict[str, Any] | None = None, *, filename: str | None = None
) -> Counts:
    """Count an export's unplanned absence per unit and day. ``mapping`` is a column mapping of the
    records schema (``engine/schemas.py``: field → column, ``date_format``, ``type_values``); without
    one, the usual column names are found. CSV, or Excel when ``filename`` ends in .xlsx (converted in
    memory). Every bad row is named and then nothing is imported."""
    key = secrets.token_bytes(32)  # in memory only; dropped when this function returns
    mapping = mapping or {}
    if is_excel(filename):
        try:
            data = excel_as_csv(data, filename or "")
        except InvalidInput as exc:
            raise InputError(exc.message) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("Fraværsfilen er ikke UTF-8.") from exc
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise InputError("Fraværsfilen er tom.")
    sep = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    header = [h.strip() for h in next(reader)]
    try:
        index, missing = resolve(RECORDS, header, mapping)
    except InvalidInput as exc:
        raise InputError(exc.message) from exc
    if missing:
        raise InputError(
            f"Fraværsfilen mangler kolonnene {', '.join(missing)} (person, unit, from, to, type)."
        )
    type_values = {str(k).strip(): v for k, v in (mapping.get(TYPE_FIELD.mapping_key) or {}).items()}
    date_format = mapping.get("date_format") or None
    spells: dict[tuple[str, bytes], list[tuple[dt.date, dt.date]]] = {}
    errors: list[str] = []
    rows = planned = 0
    for n, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        rows += 1
        if max(index.values()) >= len(row):
            errors.append(f"Linje {n}: for få kolonner.")
            continue
        kind = _absence_type(row[index["type"]], type_values)
        if kind == PLANNED_TYPE:
            planned += 1
            continue
        if kind is None:
            errors.append(f"Linje {n}: ukjent fraværstype «{row[index['type']].strip()}».")
            continue
        try:
            start = _date(row[index["from"]], date_format)
            end = _date(row[index["to"]] or row[index["from"]], date_format)
        except ValueError:
            errors.append(f"Linje {n}: fra- og til-dato må være datoer ({_date_hint(date_format)}).")
            continue
        if end < start:
            errors.append(f"Linje {n}: til-dato er før fra-dato.")
            continue
        unit = row[index["unit"]].strip()
        person = row[index["person"]].strip()
        if not unit or not person:
            errors.append(f"Linje {n}: enhet og person må fylles ut.")
            continue
        pseudonym = hmac.new(key, person.encode(), hashlib.sha256).digest()
        spells.setdefault((unit, pseudonym), []).append((start, end))
    del key
    if errors:
        raise InputError(f"Fraværsfilen har {len(errors)} feil, ingenting er lest: " + " ".join(errors[:20]))
    if not spells:
        raise InputError("Fraværsfilen har ingen rader med uplanlagt fravær.")
    merged_away = 0
    per_day: dict[tuple[str, dt.date], int] = {}
    persons: dict[str, int] = {}
    for (unit, _pseudonym), intervals in spells.items():
        intervals.sort()
        merged = [list(intervals[0])]
        for a, b in intervals[1:]:
            if a <= merged[-1][1] + dt.timedelta(days=1):
                merged[-1][1] = max(merged[-1][1], b)
                merged_away += 1
            else:
                merged.append([a, b])
        persons[unit] = persons.get(unit, 0) + 1
        for a, b in merged:
            day = a
            while day <= b:
                per_day[(unit, day)] = per_day.get((unit, day), 0) + 1
                day += dt.timedelta(days=1)
    spells.clear()
    units = list(dict.fromkeys(unit for unit, _ in per_day))
    first_day = min(day for _, day in per_day)
    last_day = max(day for _, day in per_day)
    lines = ["date,unit,absent"]
    day = first_day
    while day <= last_day:
        for unit in units:
            lines.append(f"{day.isoformat()},{_csv_cell(unit)},{per_day.get((unit, day), 0)}")
        day += dt.timedelta(days=1)
    return Counts(
        ("\n".join(lines) + "\n").encode(),
        {u: persons[u] for u in units},
        rows,
        rows - planned,
        planned,
        merged_away,
        first_day,
        last_day,
    )


def _absence_type(raw: str, type_values: dict[str, str]) -> str | None:
    """Our type for a row's value: the mapping's ``type_values`` first, then the usual names."""
    value = raw.strip()
    if value in type_values:
        return type_values[value] if type_values[value] in TYPE_FIELD.values else None
    kind = value.lower()
    if kind in PLANNED:
        return PLANNED_TYPE
    return UNPLANNED.get(kind)


def _date(raw: str, date_format: str | None) -> dt.date:
    if date_format and not re.fullmatch(EXCEL_SERIAL, raw.strip()):
        return dt.datetime.strptime(raw.strip(), date_format).date()
    return _parse_date(raw)


def _date_hint(date_format: str | None) -> str:
    return f"formatet {date_format}" if date_format else "ÅÅÅÅ-MM-DD"


def _csv_cell(value: str) -> str:
    if any(c in value for c in ',;"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value
