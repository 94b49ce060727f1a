from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from kommuneki.cli import main
from kommuneki.services.bemanning.engine.errors import InputError
from kommuneki.services.bemanning.engine.forecast import forecast
from kommuneki.services.bemanning.engine.history import read_history
from kommuneki.services.bemanning.engine.plan import _shift, plan, read_minimum

MINIMUM = (
    b"unit,shift,minimum,planned,weekday\nEnhet 0005,dag,8,10,\nEnhet 0005,kveld,6,7,\nEnhet 0005,dag,5,6,7\n"
)


def test_extra_shifts_reach_the_probability_and_grow_with_it():
    low, high = _shift(4.0, 8.0, 1, 0.8, 1.0, 1.5), _shift(4.0, 8.0, 1, 0.95, 1.0, 1.5)
    assert low["p_minimum_met"] >= 0.8 and high["p_minimum_met"] >= 0.95
    assert high["extra_shifts"] > low["extra_shifts"] > 0
    assert _shift(0.0, 0.0, 2, 0.9, 1.0, 1.5)["extra_shifts"] == 0  # no absence: nothing to book
    assert _shift(3.0, 6.0, -2, 0.9, 1.0, 1.5)["extra_shifts"] >= 2  # planned below the minimum


def test_plan_per_unit_day_and_shift(generated_csv):
    fc = forecast(read_history(generated_csv), 14)
    rows = plan(fc, read_minimum(MINIMUM), probability=0.9)
    assert {r["unit"] for r in rows} == {"Enhet 0005"}
    sundays = [r for r in rows if r["shift"] == "dag" and r["minimum"] == 5]
    assert sundays and all(r["planned"] == 6 for r in sundays)  # the weekday row overrides
    assert len(rows) == 14 * 2
    for r in rows:
        assert r["p_minimum_met"] >= 0.9 and r["extra_shifts"] >= 0 and r["expected_shortfall"] >= 0
    shares = {r["shift"]: r["expected_absent"] for r in rows[:2]}
    assert shares["dag"] > shares["kveld"]  # absence spread by planned staff


def test_minimum_file_errors():
    with pytest.raises(InputError, match="Linje 2"):
        read_minimum(b"unit,shift,minimum\nA,dag,mange\n")
    with pytest.raises(InputError, match="mangler kolonnene minimum"):
        read_minimum(b"unit,shift\nA,dag\n")


def _run(args):
    return CliRunner().invoke(main, ["bemanning", *args])


def test_cli_forecast_plan_and_exit_codes(tmp_path, generated_csv):
    history = tmp_path / "h.csv"
    history.write_bytes(generated_csv + b"2025-06-29,Ny,1\n2025-06-30,Ny,2\n")
    result = _run(["forecast", "--history", str(history), "--horizon", "7", "--json"])
    assert result.exit_code == 1  # the unit "Ny" has two days only
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 8 * 7 + 1 and lines[-1]["code"] == "too_little_history"
    assert all(line["q10"] <= line["q50"] <= line["q90"] for line in lines[:-1])
    minimum = tmp_path / "min.csv"
    minimum.write_bytes(MINIMUM)
    result = _run(["plan", "--history", str(history), "--minimum", str(minimum), "--horizon", "3", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 6 and {"expected_shortfall", "extra_shifts", "p_minimum_met"} <= set(rows[0])
    bad = tmp_path / "bad.csv"
    bad.write_text("date,unit,absent\n2025-01-01,A,x\n")
    result = _run(["forecast", "--history", str(bad), "--json"])
    assert result.exit_code == 2 and "ingenting er lest" in json.loads(result.stdout)["error"]


def test_cli_backtest(tmp_path, generated_csv):
    history = tmp_path / "h.csv"
    history.write_bytes(generated_csv)
    result = _run(["backtest", "--history", str(history), "--origins", "2", "--horizon", "14", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 8 and rows[0]["origins"] == 2
    for r in rows:
        assert 0 <= r["coverage80"] <= 1 and np.isfinite(r["mae_model"]) and r["ratio"] > 0
