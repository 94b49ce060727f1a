from __future__ import annotations

import datetime as dt

import numpy as np

from kommuneki.services.bemanning.engine import generator
from kommuneki.services.bemanning.engine.forecast import forecast, seasonal_naive
from kommuneki.services.bemanning.engine.history import History, read_history


def _history(units, end_index=None):
    y = np.array([u.absent for u in units], float)
    staff = np.array([[u.staff] * y.shape[1] for u in units], float)
    end_index = y.shape[1] - 1 if end_index is None else end_index
    return History([u.name for u in units], units[0].days[0], units[0].days[end_index], y, staff).subset(
        end_index
    )


def test_output_contract_and_determinism(generated_csv):
    h = read_history(generated_csv)
    first = forecast(h, 28, seed=3)
    rows = first.rows()
    assert len(rows) == 8 * 28
    assert [r["unit"] for r in rows[::28]] == h.units
    assert rows[0]["date"] == (h.end + dt.timedelta(days=1)).isoformat()
    assert rows[27]["date"] == (h.end + dt.timedelta(days=28)).isoformat()
    for r in rows:
        assert np.isfinite([r["expected"], r["q10"], r["q50"], r["q90"]]).all()
        assert r["expected"] >= 0 and r["q10"] <= r["q50"] <= r["q90"]
    assert forecast(h, 28, seed=3).rows() == rows


def test_the_model_beats_seasonal_naive_on_generated_data(generated_units):
    # on generated data, not a real-world figure; fails if the model is no better than the baseline
    n_days = len(generated_units[0].days)
    y = np.array([u.absent for u in generated_units], float)
    model, naive = [], []
    for origin in (n_days - 29, n_days - 29 - 91):
        h = _history(generated_units, origin)
        fc = forecast(h, 28, seed=0)
        truth = y[:, origin + 1 : origin + 29]
        model.append(np.abs(fc.q50 - truth).mean())
        naive.append(np.abs(seasonal_naive(h.absent, origin, 28) - truth).mean())
    assert np.mean(model) < 0.95 * np.mean(naive)


def test_short_history_warns_and_too_little_fails():
    start = dt.date(2025, 1, 1)
    lines = ["date,unit,absent"]
    for i in range(400):
        lines.append(f"{start + dt.timedelta(days=i)},Stor,{3 + i % 3}")
    for i in range(386, 400):  # two weeks of history
        lines.append(f"{start + dt.timedelta(days=i)},Ny,{i % 2}")
    for i in range(397, 400):  # three days
        lines.append(f"{start + dt.timedelta(days=i)},Tom,1")
    for i in range(400):  # a year with no absence
        lines.append(f"{start + dt.timedelta(days=i)},Frisk,0")
    fc = forecast(read_history("\n".join(lines).encode()), 14)
    rows = fc.rows()
    assert "Kort historikk" in next(r for r in rows if r["unit"] == "Ny")["warning"]
    failed = [r for r in rows if r["unit"] == "Tom"]
    assert failed == [{"unit": "Tom", "error": failed[0]["error"], "code": "too_little_history"}]
    healthy = [r for r in rows if r["unit"] == "Frisk"]
    assert "Ikke noe fravær" in healthy[0]["warning"] and all(r["q90"] <= 1 for r in healthy)
    assert all(r["unit"] != "Stor" or "warning" not in r for r in rows)


def test_the_oracle_is_better_than_seasonal_naive(generated_units):
    # the generator's own expected value: the lower bound the benchmark reports against
    unit = generated_units[-1]
    origin = len(unit.days) - 60
    truth = unit.absent[origin + 1 : origin + 29]
    oracle = generator.oracle(unit, origin, 28)
    naive = seasonal_naive(unit.absent[None, : origin + 1].astype(float), origin, 28)[0]
    assert np.abs(oracle - truth).mean() < np.abs(naive - truth).mean()
