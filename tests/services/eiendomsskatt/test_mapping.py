"""Column mapping and cleaning: every excluded row comes back with its reason."""

from __future__ import annotations

import pandas as pd
import pytest
from tests.conftest import SHARED, require

from kommuneki.core.errors import InvalidInput
from kommuneki.services.eiendomsskatt.engine import mapping as m

KC = SHARED / "data" / "housing" / "kc_house_data.csv"
KC_MAPPING = m.Path(m.__file__).parents[1] / "data" / "kc_house_mapping.json"


def _sales(rows):
    cols = ["id", "dato", "pris", "lat", "lon", "bra", "byggeaar", "krets"]
    return pd.DataFrame(rows, columns=cols)


MAP = m.Mapping.from_dict(
    {
        "unit_id": "id",
        "sale_date": "dato",
        "price": "pris",
        "living_area": "bra",
        "year_built": "byggeaar",
        "area_code": "krets",
    }
)


@pytest.mark.parametrize(
    "row, code",
    [
        # the reference: a clean row is kept
        (["a", "2024-03-01", 3_000_000, 63.4, 10.4, 80, 1990, "1"], None),
        # missing price
        (["a", "2024-03-01", None, 63.4, 10.4, 80, 1990, "1"], "missing_price"),
        # zero area
        (["a", "2024-03-01", 3_000_000, 63.4, 10.4, 0, 1990, "1"], "zero_area"),
        # a year no house can have been built
        (["a", "2024-03-01", 3_000_000, 63.4, 10.4, 80, 2190, "1"], "impossible_year"),
        (["a", "2024-03-01", 3_000_000, 63.4, 10.4, 80, 1200, "1"], "impossible_year"),
        # an unreadable date
        (["a", "ikke en dato", 3_000_000, 63.4, 10.4, 80, 1990, "1"], "bad_date"),
    ],
)
def test_bad_rows_are_reported_with_reason(row, code):
    c = m.canonicalise(_sales([row]), MAP, sales=True)
    if code is None:
        assert len(c.frame) == 1 and c.rejected == []
    else:
        assert len(c.frame) == 0
        assert c.rejected[0]["code"] == code and c.rejected[0]["line"] == 2 and c.rejected[0]["reason"]


def test_identical_duplicate_is_rejected_but_a_repeat_sale_is_kept():
    rows = [
        ["a", "2024-03-01", 3_000_000, 63.4, 10.4, 80, 1990, "1"],
        ["a", "2024-03-01", 3_000_000, 63.4, 10.4, 80, 1990, "1"],  # identical: duplicate of line 2
        ["a", "2025-05-01", 3_300_000, 63.4, 10.4, 80, 1990, "1"],
    ]  # the same home sold again later
    c = m.canonicalise(_sales(rows), MAP, sales=True)
    assert list(c.frame.index) == [2, 4]
    assert c.rejected == [{"line": 3, "code": "duplicate", "reason": "identisk med linje 2"}]


def test_off_market_sale_is_rejected_with_reason():
    base = [["u%d" % i, "2024-03-01", 3_000_000 + 1000 * i, 63.4, 10.4, 80, 1990, "1"] for i in range(10)]
    base.append(["rel", "2024-03-01", 600_000, 63.4, 10.4, 80, 1990, "1"])  # a fifth of the market
    c = m.canonicalise(_sales(base), MAP, sales=True)
    out = m.reject_off_market(c, m.off_market(c.frame, c.frame))
    assert len(out.frame) == 10
    assert out.rejected[-1]["line"] == 12 and out.rejected[-1]["code"] == "off_market"
    assert "nærstående" in out.rejected[-1]["reason"]


def test_sqft_and_building_types_are_converted():
    mp = m.Mapping.from_dict(
        {
            "living_area": "sqft",
            "area_unit": "sqft",
            "building_type": "t",
            "building_type_values": {"SFR": "enebolig", "Condo": "leilighet"},
        }
    )
    df = pd.DataFrame(
        {"sqft": [1000.0, 500.0, 800.0], "t": ["SFR", "Condo", "Barn"], "lat": [1, 1, 1], "lon": [1, 1, 1]}
    )
    c = m.canonicalise(df, mp, sales=False)
    assert c.frame["living_area"].round(2).tolist() == [92.9, 46.45, 74.32]
    assert c.frame["building_type"].tolist() == ["enebolig", "leilighet", "annet"]


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"pris": "price"}, "Ukjente felt"),  # a typo in a canonical name
        ({"price": 3}, "kolonnenavn"),  # not a column name
        ({"area_unit": "ft"}, "area_unit"),
        ({"building_type_values": {"x": "slott"}}, "Ukjente bygningstyper"),
    ],
)
def test_bad_mapping_is_refused(raw, message):
    with pytest.raises(InvalidInput, match=message):
        m.Mapping.from_dict(raw)


def test_missing_required_column_is_named():
    with pytest.raises(InvalidInput, match="price"):
        m.canonicalise(
            pd.DataFrame({"lat": [1], "lon": [1], "living_area": [1], "sale_date": ["2024-01-01"]}),
            m.Mapping(),
            sales=True,
        )


def test_yaml_and_identity_mappings():
    assert m.parse_mapping("", "x.yaml") == m.Mapping()
    assert m.parse_mapping("{}", "x.json") == m.Mapping()
    assert m.parse_mapping("price: pris\narea_unit: m2\n", "x.yaml").source("price") == "pris"


def test_kc_house_mapping_reads_the_shared_sales():
    require(KC.exists(), "kc_house_data.csv", "put the shared data under ../shared/data/housing")
    df = pd.read_csv(KC, nrows=2000)
    c = m.canonicalise(df, m.load_mapping(KC_MAPPING), sales=True)
    assert len(c.frame) + len(c.rejected) == 2000
    assert c.frame["living_area"].between(20, 1300).all()  # converted from sqft
    assert "x_grade" in c.features and "x_grade" in c.monotone and "x_month" not in c.features
