"""The column-by-column mapping editor for the sales and dwellings tables: eiendomsskatt's target schema
for the shared editor (:mod:`kommuneki.ingest.tabular_mapping`), plus what only this service checks
against the data (the dwellings file has the columns the valuation needs) and its own options (area
unit, monotone features, ignored columns).

The rules of the mapping itself (known keys, area units, building types) stay in
:meth:`mapping.Mapping.from_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ....core.errors import InvalidInput
from ....ingest import tabular_mapping as tm
from ....ingest.tabular import DATE_FORMATS as DATE_FORMATS
from ....ingest.tabular import guess_date_format as guess_date_format
from ....ingest.tabular import normalise as normalise
from ....ingest.tabular_mapping import FEATURE as FEATURE
from ....ingest.tabular_mapping import IGNORE as IGNORE
from ....ingest.tabular_mapping import MIN_READABLE as MIN_READABLE
from ....ingest.tabular_mapping import SAMPLE_ROWS as SAMPLE_ROWS
from ....ingest.tabular_mapping import Outcome as Outcome
from ....ingest.tabular_mapping import dump as dump
from .mapping import BUILDING_TYPES, CANONICAL, REQUIRED_DWELLINGS, REQUIRED_SALES, Mapping

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
NUMERIC_FIELDS = ("price", "lat", "lon", "living_area", "lot_area", "year_built")
MAX_TYPE_VALUES = 30  # a column with more distinct values is not a building type column

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


def _code_type(value: str) -> str:
    """A matrikkel bygningstype code (111, "121.0") → canonical type, else ``annet``."""
    code = normalise(value).removesuffix("_0")
    if code.isdigit() and len(code) == 3:
        return CODE_PREFIX.get(code[:2], "annet")
    return "annet"


_KINDS = {"sale_date": "date", "building_type": "category", **{f: "number" for f in NUMERIC_FIELDS}}
SCHEMA = tm.Schema(
    name="eiendomsskatt.sales",
    fields=tuple(
        tm.Field(
            name,
            FIELD_LABELS[name],
            kind=_KINDS.get(name, "text"),
            required=name in REQUIRED_SALES,
            synonyms=SYNONYMS[name],
            plural="salgsdatoene" if name == "sale_date" else "",
            categories=(
                tuple(tm.Category(t, TYPE_LABELS[t], TYPE_SYNONYMS.get(t, ())) for t in BUILDING_TYPES)
                if name == "building_type"
                else ()
            ),
            fallback="annet" if name == "building_type" else "",
            guess_value=_code_type if name == "building_type" else None,
        )
        for name in CANONICAL
    ),
    options=("area_unit", "ignore", "monotone_increasing"),
)
BUILDING_TYPE = SCHEMA.field("building_type")


def guess_fields(columns: list[str]) -> dict[str, str]:
    """Column → canonical field (or ``""``): exact canonical names first, then the synonyms in order;
    each field is given to at most one column."""
    return tm.guess_fields(SCHEMA, columns)


def guess_type(value: str) -> str:
    """A source building type value → canonical type (``annet`` when nothing fits)."""
    return BUILDING_TYPE.guess(value)


@dataclass
class Column(tm.Column):
    """A sales column; ``present`` says whether the dwellings file has it."""

    @property
    def in_dwellings(self) -> bool:
        return self.present

    @property
    def type_values(self) -> list[tuple[str, int]]:
        return self.values


def describe(sales: pd.DataFrame, dwellings: pd.DataFrame | None = None) -> list[Column]:
    """One entry per sales column: up to three distinct example values, whether it is numeric, whether
    the dwellings file has it, and its distinct values when there are few (a building type column)."""
    return [Column(**vars(c)) for c in tm.describe(sales, other=dwellings)]


@dataclass
class Choices(tm.Choices):
    """The shared choices plus this service's options: monotone feature columns and the area unit."""

    monotone: set[int] = field(default_factory=set)
    area_unit: str = "m2"

    @property
    def type_values(self) -> dict[int, dict[str, str]]:
        """Column index → source value → canonical building type."""
        return self.value_maps


def guess(columns: list[Column], sales: pd.DataFrame) -> Choices:
    """The editor's first proposal for a table it has not seen before."""
    base = tm.guess(SCHEMA, columns, sales)
    area_col = next((c.name for c in columns if base.fields.get(c.index) == "living_area"), None)
    unit = "sqft" if area_col is not None and "sqft" in normalise(area_col) else "m2"
    return Choices(base.fields, base.date_format, base.value_maps, monotone=set(), area_unit=unit)


def from_mapping(columns: list[Column], sales: pd.DataFrame, mapping: Mapping) -> Choices:
    """The choices an existing mapping makes for these columns (to edit a mapping file)."""
    base = tm.from_mapping(SCHEMA, columns, sales, mapping.to_dict())
    return Choices(
        base.fields,
        base.date_format,
        base.value_maps,
        monotone={c.index for c in columns if c.name in mapping.monotone_increasing},
        area_unit=mapping.area_unit,
    )


def from_form(columns: list[Column], form: dict[str, str]) -> Choices:
    """Read the editor's form: ``felt_<i>``, ``stigende_<i>``, ``type_<i>_<j>``, ``date_format``,
    ``area_unit``."""
    base = tm.from_form(SCHEMA, columns, form)
    return Choices(
        base.fields,
        base.date_format,
        base.value_maps,
        monotone={c.index for c in columns if form.get(f"stigende_{c.index}")},
        area_unit=str(form.get("area_unit", "m2")),
    )


def build(
    columns: list[Column], choices: Choices, sales: pd.DataFrame, dwellings: pd.DataFrame | None = None
) -> Outcome:
    """The mapping object for these choices, or the errors (in Norwegian) that stop it."""

    def dwellings_have(schema_field: tm.Field, column: tm.Column, errors: dict[str, str]) -> None:
        if (
            dwellings is not None
            and schema_field.name in REQUIRED_DWELLINGS
            and column.name not in dwellings.columns
        ):
            errors.setdefault(
                f"felt_{column.index}",
                f"Boligfilen har ikke kolonnen «{column.name}», som trengs for {schema_field.label.lower()}.",
            )

    chosen, errors, missing = tm.check(SCHEMA, columns, choices, sales, extra=dwellings_have)
    raw: dict[str, Any] = {f: chosen[f] for f in CANONICAL if f in chosen}
    if choices.date_format:
        raw["date_format"] = choices.date_format
    raw["area_unit"] = choices.area_unit
    if BUILDING_TYPE.mapping_key in chosen:
        raw[BUILDING_TYPE.mapping_key] = chosen[BUILDING_TYPE.mapping_key]
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


def editor_context(columns: list[Column], choices: Choices, outcome: Outcome | None = None) -> dict[str, Any]:
    """What the shared ``column_mapping`` macro needs for the sales table."""
    return tm.editor_context(
        SCHEMA,
        columns,
        choices,
        outcome,
        what="salgsfilen",
        present_header="Finnes i boligfilen",
        unmapped_numeric="Egenskap i modellen",
        unmapped_text="Ikke brukt",
        offer_ignore=True,
        flag={
            "name": "stigende",
            "header": "Høyere tall gir aldri lavere verdi (egenskaper)",
            "label": "Høyere «{name}» gir aldri lavere verdi",
            "checked": choices.monotone,
        },
        value_legend="Bygningstyper i kolonnen «{name}»",
        value_hint=(
            "Brukes når kolonnen er valgt som bygningstype: velg hvilken bygningstype hver verdi i filen er."
        ),
        value_label="Bygningstype for «{value}»",
        date_label="Datoformat for salgsdatoen",
    )
