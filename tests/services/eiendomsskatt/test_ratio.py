"""Ratio-study measures against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from kommuneki.services.eiendomsskatt.engine.ratio import ratio_metrics, ratio_study, regressivity_warning


def test_measures_by_hand():
    price = np.array([100.0, 200.0, 400.0, 800.0])
    est = np.array([110.0, 200.0, 380.0, 720.0])  # ratios 1.1, 1.0, 0.95, 0.9
    m = ratio_metrics(est, price, lower=est * 0.9, upper=est * 1.1, flagged=np.array([1, 0, 0, 0]))
    assert m["mape"] == pytest.approx((0.1 + 0 + 0.05 + 0.1) / 4)
    assert m["median_ratio"] == pytest.approx(0.975)
    assert m["cod"] == pytest.approx(100 * np.mean(np.abs(np.array([1.1, 1.0, 0.95, 0.9]) - 0.975)) / 0.975)
    assert m["prd"] == pytest.approx(0.9875 / (1410 / 1500))
    assert m["within_10"] == 1.0 and m["within_20"] == 1.0
    assert m["interval_coverage"] == pytest.approx(0.75)  # 720*1.1 < 800
    assert m["flagged_share"] == 0.25


def test_regressive_valuation_is_warned_in_plain_norwegian():
    rng = np.random.default_rng(0)
    price = rng.lognormal(15, 0.5, 500)
    est = price**0.85 * np.exp(15 * 0.15)  # cheap over-valued, dear under-valued
    m = ratio_metrics(est, price)
    assert m["prd"] > 1.03 and m["prb"] < -0.05
    assert "regressiv" in regressivity_warning(m) and "Rimelige boliger" in regressivity_warning(m)
    fair = ratio_metrics(price * rng.lognormal(0, 0.05, 500), price)
    assert regressivity_warning(fair) is None


def test_study_groups_by_price_band_type_and_area():
    import pandas as pd

    rng = np.random.default_rng(1)
    n = 400
    df = pd.DataFrame(
        {
            "price": rng.lognormal(15, 0.4, n),
            "building_type": rng.choice(["enebolig", "leilighet"], n),
            "area_code": rng.choice(["A", "B", "C"], n),
        }
    )
    df["estimate"] = df["price"] * rng.lognormal(0, 0.1, n)
    s = ratio_study(df)
    assert len(s["groups"]["price_band"]) == 4 and sum(g["n"] for g in s["groups"]["price_band"]) == n
    assert {g["group"] for g in s["groups"]["building_type"]} == {"enebolig", "leilighet"}
    assert len(s["groups"]["area_code"]) == 3
