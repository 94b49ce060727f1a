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
import secrets
from dataclasses import dataclass

from .errors import InputError
from .history import _parse_date

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
FIELDS = {
    "person": ("person", "ansatt", "ansattnr", "ansattnummer", "navn"),
    "unit": ("unit", "enhet", "avdeling"),
    "from": ("from", "fra", "fra dato", "fom"),
    "to": ("to", "til", "til dato", "tom"),
    "type": ("type", "fraværstype", "fravaerstype", "årsak"),
}


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


def import_records(data: bytes, mapping: dict[str, str] | None = None) -> Counts:
    key = secrets.token_bytes(32)  # in memory only; dropped when this function returns
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("Fraværsfilen er ikke UTF-8.") from exc
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise InputError("Fraværsfilen er tom.")
    sep = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    header = [h.strip().lower() for h in next(reader)]
    index = {}
    for field, aliases in FIELDS.items():
        wanted = (mapping or {}).get(field)
        if wanted is not None:
            if wanted.strip().lower() not in header:
                raise InputError(
                    f"Kolonneoppsettet peker på «{wanted}» for {field}, men filen har ingen slik kolonne."
                )
            index[field] = header.index(wanted.strip().lower())
            continue
        for alias in aliases:
            if alias in header:
                index[field] = header.index(alias)
                break
    missing = [f for f in FIELDS if f not in index]
    if missing:
        raise InputError(
            f"Fraværsfilen mangler kolonnene {', '.join(missing)} (person, unit, from, to, type)."
        )
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
        kind = row[index["type"]].strip().lower()
        if kind in PLANNED:
            planned += 1
            continue
        if kind not in UNPLANNED:
            errors.append(f"Linje {n}: ukjent fraværstype «{row[index['type']].strip()}».")
            continue
        try:
            start, end = _parse_date(row[index["from"]]), _parse_date(row[index["to"]] or row[index["from"]])
        except ValueError:
            errors.append(f"Linje {n}: fra- og til-dato må være datoer (ÅÅÅÅ-MM-DD).")
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


def _csv_cell(value: str) -> str:
    if any(c in value for c in ',;"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value
