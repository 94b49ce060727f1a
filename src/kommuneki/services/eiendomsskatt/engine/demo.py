"""A generated demo kommune: grunnkretser, dwellings of the usual Norwegian building types, and sales
over three years with a rising price index, plus the bad rows a real export holds (missing price, zero
area, impossible year, identical duplicates, transfers between relatives). Made up; no real persons or
properties. Column names are Norwegian, as in a matrikkel extract, and ``DEMO_MAPPING`` maps them."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

DEMO_MAPPING = {
    "unit_id": "matrikkelenhet",
    "sale_date": "salgsdato",
    "date_format": "%Y-%m-%d",
    "price": "pris",
    "lat": "breddegrad",
    "lon": "lengdegrad",
    "area_code": "grunnkrets",
    "building_type": "bygningstype",
    "living_area": "bra",
    "lot_area": "tomt",
    "year_built": "byggeaar",
    "area_unit": "m2",
    "building_type_values": {
        "Enebolig": "enebolig",
        "Tomannsbolig": "tomannsbolig",
        "Rekkehus": "rekkehus",
        "Leilighet": "leilighet",
    },
    "monotone_increasing": ["standard"],
}
TYPES = ["Enebolig", "Tomannsbolig", "Rekkehus", "Leilighet"]
TYPE_FACTOR = {"Enebolig": 1.0, "Tomannsbolig": 0.95, "Rekkehus": 0.97, "Leilighet": 1.08}
AREA_RANGE = {
    "Enebolig": (100, 260),
    "Tomannsbolig": (85, 170),
    "Rekkehus": (75, 150),
    "Leilighet": (35, 120),
}
KOMMUNENUMMER = "9999"


def _grunnkretser(rng: np.random.Generator, n: int) -> pd.DataFrame:
    centre = np.array([63.43, 10.40])
    ring = rng.uniform(0, 1, n) ** 0.7
    angle = rng.uniform(0, 2 * np.pi, n)
    lat = centre[0] + 0.09 * ring * np.sin(angle)
    lon = centre[1] + 0.20 * ring * np.cos(angle)
    level = 62_000 * np.exp(-0.7 * ring) * rng.lognormal(0, 0.10, n)  # kr per m², dearer near the centre
    flat_share = np.clip(0.8 - ring, 0.05, 0.85)
    return pd.DataFrame(
        {
            "grunnkrets": [f"{KOMMUNENUMMER}{i + 101:04d}" for i in range(n)],
            "lat": lat,
            "lon": lon,
            "level": level,
            "flat_share": flat_share,
            "ring": ring,
        }
    )


def generate(
    n_dwellings: int = 3000,
    n_sales: int = 2000,
    *,
    seed: int = 1,
    n_kretser: int = 24,
    start: date = date(2022, 1, 1),
    end: date = date(2024, 12, 31),
    bad_rows: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (sales, dwellings) as raw tables with Norwegian column names."""
    rng = np.random.default_rng(seed)
    kr = _grunnkretser(rng, n_kretser)
    k = rng.integers(0, n_kretser, n_dwellings)
    g = kr.iloc[k].reset_index(drop=True)
    is_flat = rng.uniform(size=n_dwellings) < g["flat_share"].to_numpy()
    other = rng.choice(TYPES[:3], size=n_dwellings, p=[0.6, 0.15, 0.25])
    btype = np.where(is_flat, "Leilighet", other)
    lo = np.array([AREA_RANGE[t][0] for t in btype])
    hi = np.array([AREA_RANGE[t][1] for t in btype])
    bra = np.round(lo + (hi - lo) * rng.beta(2, 3, n_dwellings))
    tomt = np.where(
        btype == "Leilighet",
        0,
        np.round(
            rng.uniform(250, 1400, n_dwellings) * (btype == "Enebolig")
            + rng.uniform(150, 500, n_dwellings) * (btype != "Enebolig")
        ),
    )
    year = np.clip(np.round(2025 - rng.gamma(2.0, 22, n_dwellings)), 1880, 2024).astype(int)
    standard = np.clip(np.round(rng.normal(3, 1, n_dwellings)), 1, 5).astype(int)
    lat = g["lat"].to_numpy() + rng.normal(0, 0.006, n_dwellings)
    lon = g["lon"].to_numpy() + rng.normal(0, 0.012, n_dwellings)
    gnr = rng.integers(1, 400, n_dwellings)
    unit = [
        f"{KOMMUNENUMMER}-{a}/{i + 1}" + (f"/{(i % 9) + 1}" if t == "Leilighet" else "")
        for i, (a, t) in enumerate(zip(gnr, btype, strict=False))
    ]
    dwellings = pd.DataFrame(
        {
            "matrikkelenhet": unit,
            "grunnkrets": g["grunnkrets"],
            "bygningstype": btype,
            "bra": bra,
            "tomt": tomt,
            "byggeaar": year,
            "standard": standard,
            "breddegrad": lat.round(6),
            "lengdegrad": lon.round(6),
        }
    )
    # market value per dwelling (at the start date)
    age = 2025 - year
    value = (
        g["level"].to_numpy()
        * bra**0.88
        * 1.8
        * np.array([TYPE_FACTOR[t] for t in btype])
        * np.exp(-0.004 * np.minimum(age, 60))
        * (1 + 0.06 * (standard - 3))
        * (1 + 0.00008 * np.minimum(tomt, 1500))
    )
    # sales: dwellings drawn with replacement (repeat sales happen), dates uniform over the period
    who = rng.integers(0, n_dwellings, n_sales)
    days = (end - start).days
    when = pd.to_datetime(start) + pd.to_timedelta(np.sort(rng.integers(0, days + 1, n_sales)), unit="D")
    t_years = ((when - pd.Timestamp(start)).days / 365.25).to_numpy()
    index = np.exp(0.045 * t_years + 0.025 * np.sin(2 * np.pi * (t_years - 0.2)))
    price = np.round(value[who] * index * rng.lognormal(0, 0.09, n_sales), -3)
    sales = dwellings.iloc[who].reset_index(drop=True).copy()
    sales.insert(1, "salgsdato", when.strftime("%Y-%m-%d"))
    sales.insert(2, "pris", price.astype(float))
    if bad_rows:
        m = len(sales)
        pick = rng.choice(m, 25, replace=False)
        sales.loc[pick[:5], "pris"] = np.nan  # missing price
        sales.loc[pick[5:9], "bra"] = 0  # zero area
        sales.loc[pick[9:12], "byggeaar"] = 2090  # impossible year
        sales.loc[pick[12:20], "pris"] = np.round(sales.loc[pick[12:20], "pris"] * 0.3, -3)  # relatives
        dup = sales.iloc[pick[20:25]]
        sales = pd.concat([sales, dup], ignore_index=True)  # identical duplicates
    return sales, dwellings


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8")
