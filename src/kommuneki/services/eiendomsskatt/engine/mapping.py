"""Column mapping and cleaning of sales and dwellings.

A mapping file (JSON or YAML) is an object whose keys are canonical field names and whose values are the
source column names. Optional keys: ``date_format`` (strftime pattern, else ISO-like parsing),
``area_unit`` (``m2`` or ``sqft``: areas are converted to m²), ``building_type_values`` (source value →
canonical type), ``ignore`` (source columns that are not features), ``monotone_increasing`` (extra
feature columns whose increase must never lower the value, e.g. a quality grade). Every source column
that is neither mapped, ignored nor textual becomes a model feature.

Cleaning never drops a row silently: every excluded row is returned with its line number and reason.

Reading the file (CSV/Excel, decimal comma) and the mapping file's text are the shared tabular ingest
(``kommuneki.ingest.tabular`` and ``tabular_mapping``); the rules of *this* mapping stay here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ....core.errors import InvalidInput
from ....ingest.tabular import check_date_format, parse_dates
from ....ingest.tabular import read_table as read_table  # the shared readers, where they were before
from ....ingest.tabular import read_table_file as read_table_file
from ....ingest.tabular_mapping import parse_mapping_text

CANONICAL = (
    "unit_id",
    "sale_date",
    "price",
    "lat",
    "lon",
    "area_code",
    "building_type",
    "living_area",
    "lot_area",
    "year_built",
)
REQUIRED_SALES = ("sale_date", "price", "lat", "lon", "living_area")
REQUIRED_DWELLINGS = ("lat", "lon", "living_area")
BUILDING_TYPES = ("enebolig", "tomannsbolig", "rekkehus", "leilighet", "fritidsbolig", "annet")
OPTION_KEYS = ("date_format", "area_unit", "building_type_values", "ignore", "monotone_increasing")
SQFT_TO_M2 = 0.09290304
# Price per m² more than this factor away from the area's typical level (either way) is not a market
# sale (transfers between relatives, partial shares, data errors).
OFF_MARKET_FACTOR = 2.5


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> source
    date_format: str | None = None
    area_unit: str = "m2"
    building_type_values: dict[str, str] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    monotone_increasing: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Mapping:
        """Validate a mapping object. Refuses unknown keys, non-string columns and bad units."""
        if not isinstance(raw, dict):
            raise InvalidInput("Kolonneoppsettet må være et objekt (feltnavn → kolonnenavn).")
        unknown = [k for k in raw if k not in CANONICAL and k not in OPTION_KEYS]
        if unknown:
            raise InvalidInput(
                f"Ukjente felt i kolonneoppsettet: {', '.join(sorted(unknown))}. "
                f"Gyldige felt: {', '.join(CANONICAL + OPTION_KEYS)}."
            )
        columns = {k: v for k, v in raw.items() if k in CANONICAL}
        for k, v in columns.items():
            if not isinstance(v, str) or not v:
                raise InvalidInput(f"Feltet {k} må peke på et kolonnenavn (tekst).")
        unit = raw.get("area_unit", "m2")
        if unit not in ("m2", "sqft"):
            raise InvalidInput("area_unit må være m2 eller sqft.")
        btv = raw.get("building_type_values") or {}
        bad = sorted({str(v) for v in btv.values()} - set(BUILDING_TYPES))
        if bad:
            raise InvalidInput(
                f"Ukjente bygningstyper: {', '.join(bad)}. Gyldige: {', '.join(BUILDING_TYPES)}."
            )
        fmt = raw.get("date_format")
        if fmt is not None:
            check_date_format(fmt)
        return cls(
            columns=columns,
            date_format=fmt,
            area_unit=unit,
            building_type_values={str(k): str(v) for k, v in btv.items()},
            ignore=tuple(raw.get("ignore") or ()),
            monotone_increasing=tuple(raw.get("monotone_increasing") or ()),
        )

    def to_dict(self) -> dict[str, Any]:
        """The mapping object again (what :meth:`from_dict` reads), for a file or a run's record."""
        out: dict[str, Any] = {c: self.columns[c] for c in CANONICAL if c in self.columns}
        if self.date_format:
            out["date_format"] = self.date_format
        out["area_unit"] = self.area_unit
        for key in ("building_type_values", "ignore", "monotone_increasing"):
            value = getattr(self, key)
            if value:
                out[key] = dict(value) if isinstance(value, dict) else list(value)
        return out

    def source(self, canonical: str) -> str:
        return self.columns.get(canonical, canonical)


def load_mapping(path: Path | str | None) -> Mapping:
    """Read a mapping file (JSON or YAML). ``None`` means the identity mapping."""
    if path is None:
        return Mapping()
    text = Path(path).read_text(encoding="utf-8")
    return parse_mapping(text, str(path))


def parse_mapping(text: str, name: str = "") -> Mapping:
    """A mapping file's text (JSON or YAML) as a checked :class:`Mapping`."""
    return Mapping.from_dict(parse_mapping_text(text, name) or {})


@dataclass
class Cleaned:
    frame: pd.DataFrame  # canonical columns + features, index = source line number
    rejected: list[dict[str, Any]]  # {"line": n, "reason": "..."}
    features: list[str]  # extra feature columns (beyond the canonical ones)
    monotone: list[str]

    def rejected_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.rejected:
            out[r["code"]] = out.get(r["code"], 0) + 1
        return out


def canonicalise(df: pd.DataFrame, mapping: Mapping, *, sales: bool) -> Cleaned:
    """Rename, convert units and check each row. Returns the kept rows and the rejected ones, each with
    a Norwegian reason. Refuses a table that lacks a required column."""
    required = REQUIRED_SALES if sales else REQUIRED_DWELLINGS
    missing = [
        f"{c} (kolonne «{mapping.source(c)}»)" for c in required if mapping.source(c) not in df.columns
    ]
    if missing:
        raise InvalidInput("Tabellen mangler påkrevde kolonner: " + ", ".join(missing) + ".")
    lines = np.arange(len(df)) + 2  # line 1 is the header
    out = pd.DataFrame(index=lines)
    for c in CANONICAL:
        src = mapping.source(c)
        out[c] = df[src].to_numpy() if src in df.columns else np.nan
    used = {mapping.source(c) for c in CANONICAL} | set(mapping.ignore)
    features = [c for c in df.columns if c not in used and pd.api.types.is_numeric_dtype(df[c])]
    for c in features:
        out[f"x_{c}"] = pd.to_numeric(df[c], errors="coerce").to_numpy()
    if sales:
        out["sale_date"] = parse_dates(out["sale_date"], mapping.date_format).to_numpy()
        out["price"] = pd.to_numeric(out["price"], errors="coerce")
    factor = SQFT_TO_M2 if mapping.area_unit == "sqft" else 1.0
    for c in ("living_area", "lot_area", "lat", "lon", "year_built"):
        out[c] = pd.to_numeric(out[c], errors="coerce")
    out["living_area"] *= factor
    out["lot_area"] *= factor
    out["area_code"] = out["area_code"].map(lambda v: "" if pd.isna(v) else str(v).removesuffix(".0"))
    bt = out["building_type"].map(lambda v: None if pd.isna(v) else str(v))
    if mapping.building_type_values:
        bt = bt.map(lambda v: mapping.building_type_values.get(v, v) if v is not None else None)
    out["building_type"] = bt.map(lambda v: v if v in BUILDING_TYPES else ("annet" if v else "ukjent"))
    if out["unit_id"].isna().all():
        out["unit_id"] = [f"rad-{n}" for n in lines]
    else:
        out["unit_id"] = out["unit_id"].map(lambda v: "" if pd.isna(v) else str(v).removesuffix(".0"))

    reasons: dict[int, tuple[str, str]] = {}

    def reject(mask: pd.Series, code: str, reason: str) -> None:
        for line in out.index[mask.to_numpy()]:
            reasons.setdefault(int(line), (code, reason))

    this_year = date.today().year
    if sales:
        reject(out["price"].isna() | (out["price"] <= 0), "missing_price", "mangler pris eller pris er null")
        reject(out["sale_date"].isna(), "bad_date", "mangler eller ugyldig salgsdato")
    reject(
        out["living_area"].isna() | (out["living_area"] <= 0), "zero_area", "boligareal mangler eller er null"
    )
    reject(
        out["lat"].isna() | out["lon"].isna() | (out["lat"].abs() > 90) | (out["lon"].abs() > 180),
        "bad_position",
        "mangler eller ugyldig posisjon (lat/lon)",
    )
    yb = out["year_built"]
    reject(
        yb.notna() & ((yb < 1600) | (yb > this_year + 2)),
        "impossible_year",
        f"umulig byggeår (før 1600 eller etter {this_year + 2})",
    )
    if sales:
        built_after = yb.notna() & out["sale_date"].notna() & (yb > out["sale_date"].dt.year + 2)
        reject(built_after, "impossible_year", "byggeåret ligger mer enn to år etter salgsdatoen")
    # identical rows: every source column equal (a repeat sale at another date differs in the date)
    dup = df.duplicated(keep="first").to_numpy()
    if dup.any():
        first = {}
        for line, key in zip(lines, map(tuple, df.astype(str).to_numpy()), strict=False):
            first.setdefault(key, line)
        for line, key, d in zip(lines, map(tuple, df.astype(str).to_numpy()), dup, strict=False):
            if d:
                reasons.setdefault(int(line), ("duplicate", f"identisk med linje {first[key]}"))
    keep = ~out.index.isin(list(reasons))
    rejected = [
        {"line": line, "code": code, "reason": reason} for line, (code, reason) in sorted(reasons.items())
    ]
    monotone = [f"x_{c}" for c in mapping.monotone_increasing if f"x_{c}" in out.columns]
    return Cleaned(
        frame=out[keep].copy(), rejected=rejected, features=[f"x_{c}" for c in features], monotone=monotone
    )


def off_market(
    frame: pd.DataFrame,
    reference: pd.DataFrame,
    adjusted_log_ppm2: pd.Series | None = None,
    reference_adjusted: pd.Series | None = None,
    factor: float = OFF_MARKET_FACTOR,
) -> pd.Series:
    """Boolean mask of sales whose (time-adjusted) price per m² is more than ``factor`` times away from
    the typical level of its area in ``reference`` (area median, or the overall median for an area with
    fewer than five reference sales). Pass adjusted log price per m² to compare across dates."""

    def lppm(df: pd.DataFrame) -> pd.Series:
        return np.log(df["price"] / df["living_area"])

    own = adjusted_log_ppm2 if adjusted_log_ppm2 is not None else lppm(frame)
    ref = reference_adjusted if reference_adjusted is not None else lppm(reference)
    g = pd.DataFrame({"a": reference["area_code"].to_numpy(), "v": ref.to_numpy()}).groupby("a")["v"]
    med, cnt = g.median(), g.size()
    overall = float(np.median(ref))
    typical = frame["area_code"].map(lambda a: med[a] if a in med.index and cnt[a] >= 5 else overall)
    return (own - typical.astype(float)).abs() > np.log(factor)


def reject_off_market(cleaned: Cleaned, mask: pd.Series) -> Cleaned:
    """Move rows in ``mask`` from the frame to the rejected list, with the reason."""
    lines = cleaned.frame.index[mask.to_numpy()]
    extra = [
        {
            "line": int(line),
            "code": "off_market",
            "reason": f"pris per m² mer enn {str(OFF_MARKET_FACTOR).replace('.', ',')} ganger unna områdets "
            f"nivå "
            "(mulig salg mellom nærstående eller feil i data)",
        }
        for line in lines
    ]
    return Cleaned(
        frame=cleaned.frame[~mask.to_numpy()].copy(),
        rejected=sorted(cleaned.rejected + extra, key=lambda r: r["line"]),
        features=cleaned.features,
        monotone=cleaned.monotone,
    )
