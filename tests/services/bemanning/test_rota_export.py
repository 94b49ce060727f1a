"""The rota export: planned staff per unit, day and shift for the staffing proposal, read through the shared
column mapping (CSV or Excel), and the same file for the rota repair."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner

from kommuneki.cli import main
from kommuneki.services.bemanning.engine import rota as rr
from kommuneki.services.bemanning.engine.errors import InputError
from kommuneki.services.bemanning.engine.forecast import forecast
from kommuneki.services.bemanning.engine.history import read_history
from kommuneki.services.bemanning.engine.plan import plan, read_minimum

UNIT = "Enhet 0005"
MINIMUM = f"unit,shift,minimum,planned\n{UNIT},dag,3,4\n{UNIT},kveld,2,3\n".encode()


def _rota(first: dt.date, days: int, *, dag: int, kveld: int, skip_kveld: dt.date | None = None) -> str:
    """A rota export in another system's column names: Ansatt;Dato;Vaktkode;Start;Slutt;Arbeidssted."""
    lines = ["Ansatt;Dato;Vaktkode;Start;Slutt;Arbeidssted"]
    for i in range(days):
        day = first + dt.timedelta(days=i)
        for k in range(dag):
            lines.append(f"A{k};{day:%d.%m.%Y};DAG;07:00;15:00;{UNIT}")
        if day != skip_kveld:
            for k in range(kveld):
                lines.append(f"K{k};{day:%d.%m.%Y};KVELD;15:00;22:30;{UNIT}")
        lines.append(f"X1;{day:%d.%m.%Y};DAG;07:00;15:00;Annen enhet")
    return "\n".join(lines) + "\n"


MAPPING = {
    "person": "Ansatt",
    "date": "Dato",
    "shift": "Vaktkode",
    "from": "Start",
    "to": "Slutt",
    "unit": "Arbeidssted",
    "date_format": "%d.%m.%Y",
}


def test_planned_staff_from_a_rota_export_through_the_mapping():
    first = dt.date(2025, 7, 1)
    rota = rr.read_rota(_rota(first, 3, dag=5, kveld=2, skip_kveld=first).encode(), MAPPING)
    staff = rr.planned_staff(rota)
    assert staff[(UNIT, first, "dag")] == 5 and (UNIT, first, "kveld") not in staff
    assert staff[(UNIT, first + dt.timedelta(days=1), "kveld")] == 2
    assert staff[("Annen enhet", first, "dag")] == 1
    # a mapping that names a column the file lacks: a Norwegian error, nothing read
    with pytest.raises(InputError, match="Kolonneoppsettet peker på «Enhet»"):
        rr.read_rota(_rota(first, 1, dag=1, kveld=1).encode(), {**MAPPING, "unit": "Enhet"})
    # without a unit column the rota repair can read it, the planned staff cannot
    plain = rr.read_rota(b"person,date,shift,from,to\nKari,2025-07-01,dag,07:00,15:00\n")
    with pytest.raises(InputError, match="ingen kolonne for enhet"):
        rr.planned_staff(plain)


def test_a_rota_export_in_excel():
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ansatt", "dato", "vakt", "fra", "til", "enhet"])
    ws.append(["Kari", dt.datetime(2025, 7, 1), "natt", dt.time(22, 0), dt.time(7, 0), UNIT])
    ws.append(["Ola", dt.datetime(2025, 7, 1), "dag", dt.time(7, 0), dt.time(15, 0), UNIT])
    buf = io.BytesIO()
    wb.save(buf)
    rota = rr.read_rota(buf.getvalue(), None, "turnus.xlsx")
    night = rota.shifts["Kari"][0]
    assert night.start == dt.datetime(2025, 7, 1, 22) and night.end == dt.datetime(2025, 7, 2, 7)
    assert rr.planned_staff(rota) == {
        (UNIT, dt.date(2025, 7, 1), "natt"): 1,
        (UNIT, dt.date(2025, 7, 1), "dag"): 1,
    }


def test_the_proposal_uses_the_planned_staff_from_the_rota(generated_csv):
    history = read_history(generated_csv)
    fc = forecast(history, 7)
    first = history.end + dt.timedelta(days=1)
    # the rota covers the first three days: five on the day shift, nobody on the evening shift on day one
    rota = rr.read_rota(_rota(first, 3, dag=5, kveld=3, skip_kveld=first).encode(), MAPPING)
    rows = plan(fc, read_minimum(MINIMUM), planned_staff=rr.planned_staff(rota))
    by = {(r["date"], r["shift"]): r for r in rows}
    day1, day4 = first.isoformat(), (first + dt.timedelta(days=3)).isoformat()
    assert by[(day1, "dag")]["planned"] == 5 and by[(day1, "dag")]["planned_from"] == "turnus"
    assert by[(day1, "kveld")]["planned"] == 0  # the rota covers the day and nobody is on the shift
    assert by[(day1, "kveld")]["extra_shifts"] >= 2  # the whole minimum must be booked
    assert by[(day4, "dag")]["planned"] == 4 and by[(day4, "dag")]["planned_from"] == "minimumsfil"
    without = {(r["date"], r["shift"]): r for r in plan(fc, read_minimum(MINIMUM))}
    assert without[(day1, "kveld")]["planned"] == 3 and without[(day1, "kveld")]["extra_shifts"] < 2
    other = rr.read_rota(b"person,date,shift,from,to,unit\nKari,2025-07-01,dag,07:00,15:00,Et sted\n")
    with pytest.raises(InputError, match="ingen vakter i enhetene"):
        plan(fc, read_minimum(MINIMUM), planned_staff=rr.planned_staff(other))


def test_cli_plan_with_a_rota_and_rota_repair_on_the_same_file(tmp_path, generated_csv):
    history = tmp_path / "h.csv"
    history.write_bytes(generated_csv)
    first = read_history(generated_csv).end + dt.timedelta(days=1)
    rota = tmp_path / "turnus.csv"
    day1, day2 = f"{first:%d.%m.%Y}", f"{first + dt.timedelta(days=1):%d.%m.%Y}"
    rota.write_text(
        _rota(first, 2, dag=6, kveld=1).replace(f"X1;{day2};DAG;07:00;15:00;Annen enhet\n", "")
        + f"F1;{day1};DAG;07:00;15:00;{UNIT}\n"
    )
    mapping = tmp_path / "turnus.json"
    mapping.write_text(json.dumps(MAPPING))
    minimum = tmp_path / "min.csv"
    minimum.write_bytes(MINIMUM)
    run = CliRunner().invoke(
        main,
        ["bemanning", "plan", "--history", str(history), "--minimum", str(minimum), "--horizon", "2"]
        + ["--rota", str(rota), "--rota-mapping", str(mapping), "--json"],
    )
    assert run.exit_code == 0, run.output
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [(r["shift"], r["planned"], r["planned_from"]) for r in rows] == [
        ("dag", 7, "turnus"),  # F1 too on day 1
        ("kveld", 1, "turnus"),
        ("dag", 6, "turnus"),
        ("kveld", 1, "turnus"),
    ]
    # the rota repair reads the same export: who in the unit may take an extra evening shift on day 2
    run = CliRunner().invoke(
        main,
        ["bemanning", "rota-repair", "--rota", str(rota), "--mapping", str(mapping), "--unit", UNIT]
        + ["--day", (first + dt.timedelta(days=1)).isoformat(), "--shift", "kveld", "--json"],
    )
    assert run.exit_code == 0, run.output
    result = json.loads(run.stdout)
    # F1 is free on day 2; the A's work the day shift before it (over 13 hours in 24), K0 is on it already;
    # X1 would be free too, but works in another unit
    assert result["eligible"] == ["F1"]
    assert result["blocked"]["opptatt"] == 1 and result["blocked"]["samlet_dogn"] == 6
    everyone = CliRunner().invoke(
        main,
        ["bemanning", "rota-repair", "--rota", str(rota), "--mapping", str(mapping)]
        + ["--day", (first + dt.timedelta(days=1)).isoformat(), "--shift", "kveld", "--json"],
    )
    assert json.loads(everyone.stdout)["eligible"] == ["X1", "F1"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**MAPPING, "unit": "Avdeling"}))
    run = CliRunner().invoke(
        main,
        ["bemanning", "plan", "--history", str(history), "--minimum", str(minimum), "--rota", str(rota)]
        + ["--rota-mapping", str(bad), "--json"],
    )
    assert run.exit_code == 2 and "Avdeling" in json.loads(run.stdout)["error"]


def test_a_bad_row_is_named_by_its_line_without_its_values():
    # a rota holds persons: the message names the line, never a value from it; nothing is read half
    data = (
        b"ansatt,dato,vakt,fra,til,enhet\n"
        b"Kari Nordmann,2025-07-01,dag,07:00,15:00,A\nOla Hansen,1. juli,dag,7,15,A\n"
    )
    with pytest.raises(InputError) as exc:
        rr.read_rota(data)
    assert "Linje 3" in exc.value.message and "Linje 2" not in exc.value.message
    assert "Ola" not in exc.value.message and "Kari" not in exc.value.message
