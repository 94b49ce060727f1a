"""Tax per taxable unit from the tenant's settings."""

from __future__ import annotations

import io
from datetime import date

import pytest

from kommuneki.core.errors import InvalidInput
from kommuneki.services.eiendomsskatt.engine import taxlist as t


def test_tax_is_reduced_value_less_bunnfradrag_at_the_rate():
    s = t.TaxSettings.from_dict({"promille": 3, "bunnfradrag": 500_000, "valuation_date": "2025-01-01"})
    r = t.tax_for(5_000_000, s)
    assert r == {"reduced_value": 3_500_000, "tax_base": 3_000_000, "tax": 9_000}
    assert t.tax_for(600_000, s)["tax"] == 0  # below the bunnfradrag: never negative


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"promille": 4.5}, "4 promille"),  # above the ceiling for dwellings
        ({"promille": -1}, "promille"),
        ({"bunnfradrag": -1}, "negativt"),
        ({"reduction_factor": 1.2}, "Reduksjonsfaktoren"),
        ({"valuation_date": "31.12.2025"}, "Ugyldig"),
        ({"sats": 2}, "Ukjente"),
    ],
)
def test_bad_settings_are_refused(raw, message):
    with pytest.raises(InvalidInput, match=message):
        t.TaxSettings.from_dict(raw)


def test_list_is_per_unit_with_exemptions_and_exports():
    s = t.TaxSettings.from_dict(
        {
            "promille": 2,
            "bunnfradrag": 100_000,
            "valuation_date": "2025-01-01",
            "exemptions": {"9999-2/1": "Fredet bygning"},
        }
    )
    vals = [
        {"unit_id": "9999-1/1", "value": 2_000_000, "lower": 1_800_000, "upper": 2_200_000},
        {
            "unit_id": "9999-1/1",
            "value": 1_000_000,
            "lower": 900_000,
            "upper": 1_100_000,
            "flagged": True,
            "flag_reason": "uvanlig stor bolig",
        },  # two dwellings in one unit: one row
        {"unit_id": "9999-2/1", "value": 3_000_000},
    ]
    rows = t.build_tax_list(vals, s)
    assert [r["unit_id"] for r in rows] == ["9999-1/1", "9999-2/1"]
    assert rows[0]["market_value"] == 3_000_000 and rows[0]["dwellings"] == 2
    assert rows[0]["tax"] == round((3_000_000 * 0.7 - 200_000) * 0.002) and rows[0]["flagged"] == "ja"
    assert rows[1]["tax"] == 0 and rows[1]["exempt_reason"] == "Fredet bygning"
    csv = t.to_csv(rows).decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("Eiendom (matrikkelenhet/seksjon);Boenheter")
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(t.to_xlsx(rows))).active
    assert ws["A2"].value == "9999-1/1" and ws.max_row == 3
    assert s.valuation_date == date(2025, 1, 1)
