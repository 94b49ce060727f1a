"""The column-by-column mapping editor, without the web: describe the columns of an uploaded sales
table, guess which canonical field each one holds, and turn the officer's choices back into a mapping
object (the same JSON/YAML a mapping file holds), with an error next to each choice that cannot work.

The rules of the mapping itself (known keys, area units, building types) stay in
:meth:`mapping.Mapping.from_dict`; this module only adds what an editor can check against the data
(required fields chosen, no field chosen twice, numbers where numbers are needed, readable dates, the
dwellings file has the columns the valuation needs).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ....core.errors import InvalidInput
from .mapping import BUILDING_TYPES, CANONICAL, REQUIRED_DWELLINGS, REQUIRED_SALES, Mapping, check_date_format

# Norwegian labels for the canonical fields, in the order the select lists them.
FIELD_LABELS = {
    "unit_id": "Eiendom (matrikkelenhet/seksjon)",
    "sale_date": "Salgsdato",
    "price": "Salgspris",
    "lat": "Breddegrad (lat)",
    "lon": "Lengdegrad (lon)",
    "area_code": "Område (grunnkrets/postnummer)",
    "building_type": "Bygningstype",
    "living_area": "Bruksareal (BRA)",
    "lot_area": "Tomteareal",
    "year_built": "Byggeår",
}
TYPE_LABELS = {
    "enebolig": "Enebolig",
    "tomannsbolig": "Tomannsbolig",
    "rekkehus": "Rekkehus",
    "leilighet": "Leilighet",
    "fritidsbolig": "Fritidsbolig",
    "annet": "Annet",
}
FEATURE, IGNORE = "", "ignore"  # the two choices that are not canonical fields
NUMERIC_FIELDS = ("price", "lat", "lon", "living_area", "lot_area", "year_built")
DATE_FORMATS = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%Y%m%dT%H%M%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d.%m.%y",
    "%m/%d/%Y",
    "%Y%m%d",
)
MAX_TYPE_VALUES = 30  # a column with more distinct values is not a building type column
SAMPLE_ROWS = 2000  # rows looked at for the checks against the data
MIN_READABLE = 0.8  # share of non-empty values that must parse as numbers / dates

# Column names (normalised: lower case, æøå spelt out, other characters as "_") that usually hold each
# field, best first. An exact canonical name always wins.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "unit_id": (
        "matrikkelenhet",
        "matrikkelnummer",
        "matrikkel",
        "eiendom",
        "eiendomsid",
        "eiendom_id",
        "seksjon",
        "gnr_bnr",
        "id",
        "property_id",
        "parcel_id",
        "pin",
    ),
    "sale_date": (
        "salgsdato",
        "dato",
        "solgt",
        "solgt_dato",
        "salgsdag",
        "omsetningsdato",
        "tinglyst",
        "tinglysingsdato",
        "date",
        "sold_date",
        "sale_date",
        "saledate",
        "date_sold",
    ),
    "price": (
        "pris",
        "salgspris",
        "kjopesum",
        "kjoepesum",
        "totalpris",
        "omsetningsbelop",
        "price",
        "sale_price",
        "saleprice",
        "sold_price",
    ),
    "lat": ("breddegrad", "bredde", "lat", "latitude"),
    "lon": ("lengdegrad", "lengde", "lon", "long", "lng", "longitude"),
    "area_code": (
        "grunnkrets",
        "grunnkretsnummer",
        "krets",
        "postnummer",
        "postnr",
        "omrade",
        "delomrade",
        "bydel",
        "zipcode",
        "zip",
        "zip_code",
        "postcode",
        "postal_code",
        "area",
        "neighbourhood",
    ),
    "building_type": (
        "bygningstype",
        "boligtype",
        "hustype",
        "eiendomstype",
        "bygningstypekode",
        "type",
        "property_type",
        "building_type",
        "house_type",
        "dwelling_type",
    ),
    "living_area": (
        "bra",
        "bruksareal",
        "boligareal",
        "bra_m2",
        "p_rom",
        "prom",
        "primaerrom",
        "areal",
        "kvm",
        "sqft_living",
        "living_sqft",
        "living_area",
        "floor_area",
        "sqft",
    ),
    "lot_area": (
        "tomt",
        "tomteareal",
        "tomtestorrelse",
        "tomt_m2",
        "sqft_lot",
        "lot_sqft",
        "lot_size",
        "lot",
    ),
    "year_built": (
        "byggeaar",
        "byggear",
        "bygget",
        "oppforingsaar",
        "yr_built",
        "year_built",
        "built",
        "construction_year",
    ),
}

# Source values of a building type column → canonical type. Numeric codes are the matrikkel's
# bygningstype codes (111 enebolig … 161 fritidsbolig), matched on their first two digits.
TYPE_SYNONYMS = {
    "enebolig": (
        "enebolig",
        "einebustad",
        "villa",
        "house",
        "detached",
        "single_family",
        "single_family_home",
        "detached_house",
        "enebolig_med_hybel",
        "enebolig_med_sokkelleilighet",
    ),
    "tomannsbolig": (
        "tomannsbolig",
        "tomannsbustad",
        "duplex",
        "semi_detached",
        "semidetached",
        "tomannsbolig_vertikaldelt",
        "tomannsbolig_horisontaldelt",
    ),
    "rekkehus": (
        "rekkehus",
        "kjedehus",
        "atriumhus",
        "terrassehus",
        "townhouse",
        "town_house",
        "terraced",
        "row_house",
        "rowhouse",
    ),
    "leilighet": (
        "leilighet",
        "blokkleilighet",
        "husvaere",
        "apartment",
        "flat",
        "condo",
        "condominium",
        "boligblokk",
        "blokk",
    ),
    "fritidsbolig": ("fritidsbolig", "fritidshus", "hytte", "cabin", "holiday_home", "cottage"),
}
CODE_PREFIX = {
    "11": "enebolig",
    "12": "tomannsbolig",
    "13": "rekkehus",
    "14": "leilighet",
    "16": "fritidsbolig",
}


def normalise(name: Any) -> str:
    s = str(name).strip().lower()
    for a, b in (("æ", "ae"), ("ø", "o"), ("å", "aa")):
        s = s.replace(a, b)
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def guess_fields(columns: list[str]) -> dict[str, str]:
    """Column → canonical field (or ``""``): exact canonical names first, then the synonyms in order;
    each field is given to at most one column."""
    candidates: list[tuple[int, int, str, str]] = []  # (rank, column position, column, field)
    for pos, col in enumerate(columns):
        n = normalise(col)
        for f in CANONICAL:
            if n == f:
                candidates.append((0, pos, col, f))
            elif n in SYNONYMS[f]:
                candidates.append((1 + SYNONYMS[f].index(n), pos, col, f))
    out = {c: FEATURE for c in columns}
    taken: set[str] = set()
    for _rank, _pos, col, f in sorted(candidates):
        if f not in taken and out[col] == FEATURE:
            out[col], taken = f, taken | {f}
    return out


def guess_type(value: str) -> str:
    """A source building type value → canonical type (``annet`` when nothing fits)."""
    n = normalise(value)
    for t in BUILDING_TYPES:
        if n == t:
            return t
    for t, names in TYPE_SYNONYMS.items():
        if n in names:
            return t
    code = n.removesuffix("_0")
    if code.isdigit() and len(code) == 3:
        return CODE_PREFIX.get(code[:2], "annet")
    return "annet"


def guess_date_format(values: list[str]) -> str:
    """The first known format that reads every sample value; ``""`` (automatic) when none does."""
    if not values:
        return ""
    for fmt in DATE_FORMATS:
        if pd.to_datetime(pd.Series(values), format=fmt, errors="coerce").notna().all():
            return fmt
    return ""


def _as_text(s: pd.Series) -> pd.Series:
    """Values as the cleaning step sees them for building types (``str(v)``), empty ones dropped."""
    return s.map(lambda v: None if pd.isna(v) else str(v)).dropna()


@dataclass
class Column:
    index: int
    name: str
    numeric: bool
    samples: list[str]
    in_dwellings: bool
    type_values: list[tuple[str, int]] = field(default_factory=list)  # (value, count), only if few


def describe(sales: pd.DataFrame, dwellings: pd.DataFrame | None = None) -> list[Column]:
    """One entry per sales column: up to three distinct example values, whether it is numeric, whether
    the dwellings file has it, and its distinct values when there are few (a building type column)."""
    out = []
    for i, col in enumerate(sales.columns):
        text = _as_text(sales[col])
        samples = [v if len(v) <= 40 else v[:39] + "…" for v in list(dict.fromkeys(text.head(200)))[:3]]
        counts = text.value_counts()
        values = (
            sorted(((str(v), int(n)) for v, n in counts.items()), key=lambda x: x[0])
            if 0 < len(counts) <= MAX_TYPE_VALUES
            else []
        )
        out.append(
            Column(
                index=i,
                name=str(col),
                numeric=pd.api.types.is_numeric_dtype(sales[col]),
                samples=samples,
                in_dwellings=dwellings is None or col in dwellings.columns,
                type_values=values,
            )
        )
    return out


@dataclass
class Choices:
    """What the editor shows and the officer changes: a choice per column, the options, and for each
    column with few values the building type of each value."""

    fields: dict[int, str]  # column index → canonical field, "" (feature) or "ignore"
    monotone: set[int]
    date_format: str
    area_unit: str
    type_values: dict[int, dict[str, str]]  # column index → source value → canonical type


def guess(columns: list[Column], sales: pd.DataFrame) -> Choices:
    """The editor's first proposal for a table it has not seen before."""
    fields = guess_fields([c.name for c in columns])
    by_name = {c.name: c for c in columns}
    date_col = next((c for c, f in fields.items() if f == "sale_date"), None)
    if date_col is not None:
        fmt = guess_date_format(_as_text(sales[date_col]).head(50).tolist())
    else:  # no column named like a date: the format of the first text column that reads as dates
        fmt = next(
            (
                f
                for c in columns
                if not c.numeric
                if (f := guess_date_format(_as_text(sales[c.name]).head(50).tolist()))
            ),
            "",
        )
    area_col = next((c for c, f in fields.items() if f == "living_area"), None)
    unit = "sqft" if area_col is not None and "sqft" in normalise(area_col) else "m2"
    return Choices(
        fields={by_name[c].index: f for c, f in fields.items()},
        monotone=set(),
        date_format=fmt,
        area_unit=unit,
        type_values={
            c.index: {v: guess_type(v) for v, _n in c.type_values} for c in columns if c.type_values
        },
    )


def from_mapping(columns: list[Column], sales: pd.DataFrame, mapping: Mapping) -> Choices:
    """The choices an existing mapping makes for these columns (to edit a mapping file)."""
    base = guess(columns, sales)
    by_source = {src: f for f, src in mapping.columns.items()}
    fields = {
        c.index: by_source.get(c.name, IGNORE if c.name in mapping.ignore else FEATURE) for c in columns
    }
    tv = {
        i: {v: mapping.building_type_values.get(v, g) for v, g in vals.items()}
        for i, vals in base.type_values.items()
    }
    return Choices(
        fields=fields,
        monotone={c.index for c in columns if c.name in mapping.monotone_increasing},
        date_format=mapping.date_format or "",
        area_unit=mapping.area_unit,
        type_values=tv,
    )


def from_form(columns: list[Column], form: dict[str, str]) -> Choices:
    """Read the editor's form: ``felt_<i>``, ``stigende_<i>``, ``type_<i>_<j>``, ``date_format``,
    ``area_unit``."""
    fields = {c.index: str(form.get(f"felt_{c.index}", FEATURE)) for c in columns}
    tv = {
        c.index: {v: str(form.get(f"type_{c.index}_{j}", "annet")) for j, (v, _n) in enumerate(c.type_values)}
        for c in columns
        if c.type_values
    }
    return Choices(
        fields=fields,
        monotone={c.index for c in columns if form.get(f"stigende_{c.index}")},
        date_format=str(form.get("date_format", "")).strip(),
        area_unit=str(form.get("area_unit", "m2")),
        type_values=tv,
    )


@dataclass
class Outcome:
    mapping: dict[str, Any] | None  # the mapping object, when there is no error
    errors: dict[str, str]  # form field id ("felt_3", "date_format") or "" (the whole form) → message
    missing: list[str]  # required canonical fields no column was chosen for


def _label(f: str) -> str:
    return FIELD_LABELS.get(f, f)


def build(
    columns: list[Column], choices: Choices, sales: pd.DataFrame, dwellings: pd.DataFrame | None = None
) -> Outcome:
    """The mapping object for these choices, or the errors (in Norwegian) that stop it."""
    errors: dict[str, str] = {}
    by_field: dict[str, list[Column]] = {}
    for c in columns:
        f = choices.fields.get(c.index, FEATURE)
        if f not in (FEATURE, IGNORE) and f not in CANONICAL:
            errors[f"felt_{c.index}"] = f"Ukjent valg for kolonnen «{c.name}»."
        elif f not in (FEATURE, IGNORE):
            by_field.setdefault(f, []).append(c)
    for f, cols in by_field.items():
        if len(cols) > 1:
            names = ", ".join(f"«{c.name}»" for c in cols)
            for c in cols:
                errors[f"felt_{c.index}"] = (
                    f"{_label(f)} er valgt for flere kolonner ({names}). Velg det for bare én kolonne."
                )
    missing = [f for f in REQUIRED_SALES if f not in by_field]
    sample = sales.head(SAMPLE_ROWS)
    for f, cols in by_field.items():
        if len(cols) != 1:
            continue
        c = cols[0]
        values = sample[c.name].dropna()
        if f in NUMERIC_FIELDS and len(values):
            bad = values[pd.to_numeric(values, errors="coerce").isna()]
            if len(bad) > (1 - MIN_READABLE) * len(values):
                errors.setdefault(
                    f"felt_{c.index}",
                    f"Kolonnen «{c.name}» har ikke tall (for eksempel "
                    f"«{bad.iloc[0]}»), så den kan ikke være {_label(f).lower()}.",
                )
        if f == "sale_date" and len(values):
            text = values.astype(str)
            fmt = choices.date_format or None
            if fmt:
                try:
                    check_date_format(fmt)  # "%d.%m.%Q", a trailing "%": not a format at all
                except InvalidInput as exc:
                    errors["date_format"] = exc.message
                    continue
            parsed = (
                pd.to_datetime(text, format=fmt, errors="coerce")
                if fmt
                else pd.to_datetime(text, format="mixed", errors="coerce")
            )
            if parsed.notna().mean() < MIN_READABLE:
                example = text[parsed.isna()].iloc[0]
                if fmt:
                    errors["date_format"] = (
                        f"Datoformatet «{fmt}» passer ikke til salgsdatoene i kolonnen "
                        f"«{c.name}» (for eksempel «{example}»)."
                    )
                else:
                    errors["date_format"] = (
                        f"Salgsdatoene i kolonnen «{c.name}» kunne ikke leses (for eksempel "
                        f"«{example}»). Oppgi datoformatet."
                    )
        if dwellings is not None and f in REQUIRED_DWELLINGS and c.name not in dwellings.columns:
            errors.setdefault(
                f"felt_{c.index}",
                f"Boligfilen har ikke kolonnen «{c.name}», som trengs for {_label(f).lower()}.",
            )
    raw: dict[str, Any] = {f: cols[0].name for f in CANONICAL if (cols := by_field.get(f))}
    if choices.date_format:
        raw["date_format"] = choices.date_format
    raw["area_unit"] = choices.area_unit
    bt = by_field.get("building_type")
    if bt and len(bt) == 1 and bt[0].index in choices.type_values:
        raw["building_type_values"] = dict(choices.type_values[bt[0].index])
    ignore = [c.name for c in columns if choices.fields.get(c.index) == IGNORE]
    if ignore:
        raw["ignore"] = ignore
    mono = [c.name for c in columns if c.index in choices.monotone and choices.fields.get(c.index) == FEATURE]
    if mono:
        raw["monotone_increasing"] = mono
    try:  # the engine's own rules (known keys, area unit, building types)
        Mapping.from_dict(raw)
    except InvalidInput as exc:
        errors[""] = exc.message
    if errors or missing:
        return Outcome(None, errors, missing)
    return Outcome(raw, {}, [])


def dump(mapping: dict[str, Any], fmt: str) -> str:
    """The mapping as a file for ``--mapping`` (JSON or YAML)."""
    if fmt == "json":
        return json.dumps(mapping, ensure_ascii=False, indent=2) + "\n"
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False)
    raise InvalidInput("Format må være json eller yaml.")
