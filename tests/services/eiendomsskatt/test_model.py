"""The valuer on the generated demo kommune: no leakage, monotone area, contributions that add up,
intervals, flags with reasons, comparables."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from kommuneki.services.eiendomsskatt.engine import explain, mapping
from kommuneki.services.eiendomsskatt.engine.valuation import value_dwellings


@pytest.fixture(scope="module")
def valued(trained, demo_tables, demo_mapping):
    _sales, model, _study = trained
    dw = mapping.canonicalise(demo_tables[1].iloc[:300], demo_mapping, sales=False).frame
    v, c = value_dwellings(model, dw, date(2025, 1, 1))
    return model, dw, v, c


def test_contributions_add_up_to_the_estimate_in_kroner(valued):
    _m, _dw, v, c = valued
    np.testing.assert_allclose(c.base + c.kroner.sum(axis=1), v.estimate, rtol=1e-9)
    assert "Priser på lignende salg i nærheten" in c.groups
    e = explain.explanation(0, v, c, [])
    assert e["base_value"] + sum(x["kroner"] for x in e["evidence"]) == e["estimate"]  # exact after rounding


def test_more_living_area_never_lowers_the_value(valued):
    model, dw, _v, _c = valued
    rows = dw.iloc[:40]
    dates = np.full(len(rows), np.datetime64("2025-01-01"))
    prev = model.value(rows, dates).estimate
    for factor in (1.1, 1.25, 1.5):
        bigger = rows.copy()
        bigger["living_area"] = rows["living_area"] * factor
        now = model.value(bigger, dates).estimate
        assert (now >= prev - 1e-6).all()
        prev = now


def test_valuing_a_sale_never_looks_at_its_price(trained):
    sales, model, _ = trained
    late = sales.frame.sort_values("sale_date").iloc[-50:]
    a = model.value(late, late["sale_date"]).estimate
    hidden = late.copy()
    hidden["price"] = np.nan
    b = model.value(hidden, hidden["sale_date"]).estimate
    np.testing.assert_array_equal(a, b)


def test_training_rows_do_not_see_their_own_sale(trained):
    sales, model, _ = trained
    frame = sales.frame.sort_values("sale_date")
    idx, _dist = model.neighbourhood.query(frame, exclude_self=True)
    assert not (idx == np.arange(len(frame))[:, None]).any()


def test_interval_contains_estimate_and_held_out_coverage_is_reported(valued, trained):
    _m, _dw, v, _c = valued
    assert (v.lower < v.estimate).all() and (v.estimate < v.upper).all()
    study = trained[2]
    assert 0.0 <= study["overall"]["interval_coverage"] <= 1.0 and study["overall"]["n"] > 50


def test_unusual_dwelling_is_flagged_with_the_reason(trained, demo_tables, demo_mapping):
    _s, model, _ = trained
    dw = mapping.canonicalise(demo_tables[1].iloc[:3], demo_mapping, sales=False).frame.copy()
    dw.iloc[0, dw.columns.get_loc("living_area")] = 900.0
    dw.iloc[1, dw.columns.get_loc("lat")] = 64.5  # far from every sale
    v = model.value(dw, np.full(3, np.datetime64("2025-01-01")))
    assert v.flagged[0] and any("uvanlig stor" in r for r in v.reasons[0])
    assert v.flagged[1] and any("langt til nærmeste salg" in r for r in v.reasons[1])


def test_comparables_are_near_similar_sales_with_prices(valued):
    model, dw, v, _c = valued
    comps = explain.comparables(model, dw.iloc[:5], np.full(5, np.datetime64("2025-01-01")), v)
    assert all(3 <= len(c) <= 5 for c in comps)
    first = comps[0][0]
    assert first["price"] > 0 and first["adjusted_price"] > 0 and first["distance_m"] >= 0


def test_model_round_trips_as_bytes(valued):
    model, dw, v, _c = valued
    from kommuneki.services.eiendomsskatt.engine.model import ValuationModel

    again = ValuationModel.from_bytes(model.to_bytes())
    np.testing.assert_allclose(
        again.value(dw.iloc[:20], np.full(20, np.datetime64("2025-01-01"))).estimate, v.estimate[:20]
    )


def test_path_and_shap_contributions_both_add_up_and_agree_in_sign(valued):
    model, _dw, v, path = valued
    sub = type(v)(
        **{**v.__dict__, "X": v.X.iloc[:60], "log_index": v.log_index[:60], "estimate": v.estimate[:60]}
    )
    shap = explain.contributions(model, sub, method="shap")
    np.testing.assert_allclose(shap.base + shap.kroner.sum(axis=1), v.estimate[:60], rtol=1e-9)
    assert shap.groups == path.groups
    # the two attributions differ in detail but point the same way for the big effects
    big = np.abs(shap.kroner) > 0.05 * v.estimate[:60, None]
    assert (np.sign(shap.kroner[big]) == np.sign(path.kroner[:60][big])).mean() > 0.8


def _sales_with_trend(per_month: int, months: int, monthly_rise: float, seed: int = 5):
    """Sales of similar homes, ``per_month`` a month, prices rising ``monthly_rise`` (log) a month."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = []
    for m in range(months):
        for _ in range(per_month):
            area = rng.uniform(50, 150)
            day = (
                pd.Timestamp(2022, 1, 1)
                + pd.DateOffset(months=m)
                + pd.Timedelta(days=int(rng.integers(0, 28)))
            )
            price = 40_000 * area * np.exp(monthly_rise * m + rng.normal(0, 0.05))
            rows.append(
                {
                    "sale_date": day,
                    "price": price,
                    "living_area": area,
                    "lot_area": 400.0,
                    "area_code": "A" if rng.random() < 0.5 else "B",
                    "building_type": "enebolig",
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "per_month", [40, 11, 3], ids=["busy months", "thin months (a small kommune)", "very thin months"]
)
def test_price_index_follows_the_trend_also_when_months_are_thin(per_month):
    from kommuneki.services.eiendomsskatt.engine.features import fit_price_index

    frame = _sales_with_trend(per_month, 36, 0.01)
    index = fit_price_index(frame)
    assert len(index.months) >= 2, "thin months are pooled, not all merged into one flat level"
    rise = index.log_at(np.array([index.months[-1]]))[0] - index.log_at(np.array([index.months[0]]))[0]
    span = index.months[-1] - index.months[0]
    assert rise == pytest.approx(0.01 * span, rel=0.25)
    assert index.slope == pytest.approx(0.01, rel=0.35)
