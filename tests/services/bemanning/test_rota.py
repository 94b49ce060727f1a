"""Rota repair under arbeidsmiljøloven: one table row per rule, each with a case that breaks it and a
neighbouring case that does not; the CP-SAT repair agrees with the direct check; the CLI contract."""

from __future__ import annotations

import datetime as dt
import json

import pytest

pytest.importorskip("ortools", reason="the rota repair needs OR-Tools: pip install -e '.[bemanning]'")

from kommuneki.services.bemanning.engine import rota as rr  # noqa: E402
from kommuneki.services.bemanning.engine.errors import InputError  # noqa: E402

MON = dt.date(2026, 3, 9)  # a Monday


def day(k: int) -> str:
    return (MON + dt.timedelta(days=k)).isoformat()


def rota_of(*rows: tuple) -> rr.Rota:
    """Rows (person, day offset, shift, from, to[, extra]); Kari is always in the rota."""
    lines = ["person,date,shift,from,to,extra"]
    for row in rows:
        person, k, name, a, b, *extra = row
        lines.append(f"{person},{day(k)},{name},{a},{b},{extra[0] if extra else ''}")
    return rr.read_rota("\n".join(lines).encode())


def extra(k: int, a: str, b: str, name: str = "ekstra") -> rr.Shift:
    start = dt.datetime.combine(MON + dt.timedelta(days=k), dt.time.fromisoformat(a))
    end = dt.datetime.combine(MON + dt.timedelta(days=k), dt.time.fromisoformat(b))
    return rr.Shift("", name, start, end if end > start else end + dt.timedelta(days=1))


# a four-hour shift every day of the week but Thursday, and on the Sundays and Mondays either side: the
# longest free stretch is Wednesday 12:00 – Friday 08:00 (44 h)
SHORT_WEEK = [("Kari", k, "kort", "08:00", "12:00") for k in (-1, 0, 1, 2, 4, 5, 6, 7)]
# 36 hours of normal work Monday–Thursday (four 9-hour days)
NINE_HOURS = [("Kari", k, "lang", "07:00", "16:00") for k in range(4)]
# four weeks of 38 h normal work; in the first three an 8-hour extra shift already booked (8 h overtime)
BOOKED = [
    row
    for w in range(-3, 0)
    for row in [("Kari", 7 * w + k, "dag", "07:00", "14:36") for k in range(5)]
    + [("Kari", 7 * w + 5, "ekstra", "08:00", "16:00", "ja")]
] + [("Kari", k, "dag", "07:00", "14:36") for k in range(5)]

CASES = [
    # (rule, rows, extra shift, limits, breaks?)
    (
        "opptatt",
        [("Kari", 0, "dag", "07:00", "15:00")],
        extra(0, "14:30", "22:00"),
        ("turnus", "ingen"),
        True,
    ),
    (
        "opptatt",
        [("Kari", 0, "dag", "07:00", "15:00")],
        extra(1, "14:30", "22:00"),
        ("turnus", "ingen"),
        False,
    ),
    (
        "daglig_hvile_for",
        [("Kari", 0, "kveld", "14:30", "22:00")],
        extra(1, "07:00", "15:00"),
        ("turnus", "ingen"),
        True,
    ),
    (
        "daglig_hvile_for",
        [("Kari", 0, "kveld", "14:30", "22:00")],
        extra(1, "09:00", "15:00"),
        ("turnus", "ingen"),
        False,
    ),
    (
        "daglig_hvile_etter",
        [("Kari", 1, "dag", "07:00", "15:00")],
        extra(0, "14:30", "22:00"),
        ("turnus", "ingen"),
        True,
    ),
    (
        "daglig_hvile_etter",
        [("Kari", 1, "dag", "09:00", "15:00")],
        extra(0, "14:30", "22:00"),
        ("turnus", "ingen"),
        False,
    ),
    ("ukentlig_hvile", SHORT_WEEK, extra(3, "08:00", "12:00"), ("turnus", "ingen"), True),
    ("ukentlig_hvile", SHORT_WEEK, extra(3, "20:00", "23:00"), ("turnus", "ingen"), True),
    ("ukentlig_hvile", SHORT_WEEK[:-1], extra(3, "08:00", "12:00"), ("turnus", "ingen"), False),
    ("samlet_dogn", [], extra(2, "07:00", "21:00"), ("turnus", "ingen"), True),  # 14 h > 13 h
    ("samlet_dogn", [], extra(2, "07:00", "21:00"), ("turnus", "tillitsvalgte"), False),  # ≤ 16 h
    ("samlet_dogn", [], extra(2, "07:00", "20:00"), ("turnus", "ingen"), False),  # 13 h
    (
        "samlet_uke",
        [("Kari", k, "natt", "21:45", "07:15") for k in range(5)],
        extra(5, "17:00", "21:00"),
        ("turnus", "tillitsvalgte"),
        True,
    ),  # 47.5 + 4 > 48
    (
        "samlet_uke",
        [("Kari", k, "natt", "21:45", "07:15") for k in range(4)],
        extra(5, "17:00", "21:00"),
        ("turnus", "tillitsvalgte"),
        False,
    ),
    ("overtid_uke", NINE_HOURS, extra(5, "08:00", "19:30"), ("helkontinuerlig", "ingen"), True),  # 11.5 > 10
    ("overtid_uke", NINE_HOURS, extra(5, "08:00", "19:30"), ("turnus", "ingen"), False),  # 47.5 − 38 = 9.5
    ("overtid_uke", NINE_HOURS, extra(5, "08:00", "19:30"), ("helkontinuerlig", "tillitsvalgte"), False),
    ("overtid_4uker", BOOKED, extra(5, "08:00", "16:00"), ("turnus", "ingen"), True),  # 3 × 8 + 8 > 25
    ("overtid_4uker", BOOKED[6:], extra(5, "08:00", "16:00"), ("turnus", "ingen"), False),  # 2 × 8 + 8
    ("overtid_4uker", BOOKED, extra(5, "08:00", "16:00"), ("turnus", "tillitsvalgte"), False),  # ≤ 50
]


@pytest.mark.parametrize(("rule", "rows", "shift", "setting", "breaks"), CASES)
def test_each_rule(rule, rows, shift, setting, breaks):
    rota = rota_of(*rows, ("Kari", 27, "dag", "07:00", "15:00"), ("Ola", 27, "dag", "07:00", "15:00"))
    broken = rr.check(rota, "Kari", shift, rr.limits(*setting))
    assert (rule in broken) is breaks, broken


@pytest.mark.parametrize(("rule", "rows", "shift", "setting", "breaks"), CASES)
def test_cp_sat_agrees_with_the_check(rule, rows, shift, setting, breaks):
    rota = rota_of(*rows, ("Kari", 27, "dag", "07:00", "15:00"), ("Ola", 27, "dag", "07:00", "15:00"))
    lim = rr.limits(*setting)
    taken = rr.repair(rota, [shift], lim, persons=["Kari"], time_limit_s=5)["assignment"]
    assert bool(taken) is (not rr.check(rota, "Kari", shift, lim))


def test_every_rule_has_a_law_reference_and_a_case():
    assert {r.id for r in rr.RULES} == {c[0] for c in CASES}
    assert all(r.law.startswith("aml. § 10-") for r in rr.RULES if r.id != "opptatt")


def test_two_open_shifts_for_one_person_keep_the_rest_between_them():
    # each alone is fine for Kari; together they leave 9 hours' rest, so one is left for someone else
    rota = rota_of(("Kari", 10, "dag", "07:00", "15:00"), ("Ola", 10, "dag", "07:00", "15:00"))
    shifts = [extra(2, "14:30", "22:00"), extra(3, "07:00", "15:00")]
    lim = rr.limits()
    assert not rr.check(rota, "Kari", shifts[0], lim) and not rr.check(rota, "Kari", shifts[1], lim)
    result = rr.repair(rota, shifts, lim, persons=["Kari"])
    assert result["status"] == "OPTIMAL" and len(result["assignment"]) == 1
    both = rr.repair(rota, shifts, lim)
    assert len(both["assignment"]) == 2 and len(set(both["assignment"].values())) == 2


def test_an_infeasible_day_is_explained_in_norwegian():
    rota = rota_of(
        ("Kari", 5, "dag", "07:00", "15:00"),
        ("Ola", 5, "dag", "07:30", "15:30"),
        ("Per", 5, "kveld", "14:30", "22:00"),
    )
    result = rr.eligible(rota, extra(5, "21:45", "07:15", "natt"), rr.limits())
    assert result["eligible"] == []
    assert result["message"].startswith("Ingen ledig med nok hviletid før nattvakt 14.3.")
    assert "aml. § 10-8 (1)" in result["message"] and "1 er allerede på vakt da" in result["message"]


def test_generated_rota_lists_eligible_persons_unranked():
    rota = rr.read_rota(rr.generate_rota(12, 2, seed=4))
    result = rr.eligible(
        rota, rr.open_shift(rota, rota.first_day + dt.timedelta(days=3), "natt"), rr.limits()
    )
    assert result["eligible"] == [p for p in rota.persons if p in result["eligible"]]  # the rota's order
    assert len(result["eligible"]) + sum(
        1
        for p in rota.persons
        if rr.check(rota, p, rr.open_shift(rota, rota.first_day + dt.timedelta(days=3), "natt"), rr.limits())
    ) == len(rota.persons)


def test_bad_rota_rows_are_named():
    with pytest.raises(InputError) as exc:
        rr.read_rota(b"person,date,shift,from,to\nKari,2026-03-09,dag,07:00,15:00\nOla,9. mars,dag,7,15\n")
    assert "Linje 3" in exc.value.message
    with pytest.raises(InputError, match="mangler kolonnen"):
        rr.read_rota(b"person,date,shift\nKari,2026-03-09,dag\n")
    rota = rr.read_rota(b"person,date,shift,from,to\nKari,2026-03-09,dag,07:00,15:00\n")
    with pytest.raises(InputError, match="finnes ikke i turnusen"):
        rr.open_shift(rota, MON, "natt")


def test_cli_rota_repair(tmp_path):
    from click.testing import CliRunner

    from kommuneki.cli import main

    path = tmp_path / "turnus.csv"
    path.write_bytes(rr.generate_rota(10, 2, seed=2, start=MON))
    runner = CliRunner()
    result = runner.invoke(
        main, ["bemanning", "rota-repair", "--rota", str(path), "--day", day(3), "--shift", "natt", "--json"]
    )
    row = json.loads(result.output.strip().splitlines()[-1])
    assert set(row) >= {"day", "shift", "start", "end", "label", "eligible", "blocked", "message"}
    assert row["day"] == day(3) and row["start"] == f"{day(3)}T21:45"
    assert result.exit_code == (0 if row["eligible"] else 1)
    bad = runner.invoke(
        main,
        ["bemanning", "rota-repair", "--rota", str(path), "--day", "i morgen", "--shift", "natt", "--json"],
    )
    assert bad.exit_code == 2 and "ikke en dato" in json.loads(bad.output)["error"]


def test_the_register_assesses_the_rota_repair_on_its_own():
    from kommuneki.services.bemanning import ROTA_REPAIR_FACTS, spec

    facts = spec().register
    assert (
        "vedlegg III nr. 4 bokstav b" in facts.summary_nb
        and "vedlegg III nr. 4 bokstav b" in facts.summary_nn
    )
    assert "no absence data" in ROTA_REPAIR_FACTS["inputs"] and "unranked" in ROTA_REPAIR_FACTS["output"]


# --- issue 12: an attacker's rota file ---------------------------------------------------------------


def test_a_rota_field_over_the_csv_limit_is_refused_in_norwegian():
    # the csv module refuses a field over 128 KB with csv.Error, which was a 500 on the page
    data = (
        b"person,date,shift,from,to\nKari,2026-03-09,dag,07:00,15:00\n"
        + b'"'
        + b"x" * 200_000
        + b'",1,2,3,4\n'
    )
    with pytest.raises(InputError) as err:
        rr.read_rota(data)
    assert "altfor lang" in err.value.message and "linje" in err.value.message


def test_a_rota_over_ten_thousand_years_is_refused_rather_than_walked_week_by_week():
    # two rows 9,999 years apart: the check walked all 521,000 weeks for every person (a hang)
    data = b"person,date,shift,from,to\n" + b"".join(
        b"P%d,0001-01-01,dag,07:00,15:00\nP%d,9999-12-30,dag,07:00,15:00\n" % (i, i) for i in range(50)
    )
    with pytest.raises(InputError) as err:
        rr.read_rota(data)
    assert "3652058 dager" in err.value.message and f"høyst {rr.MAX_ROTA_DAYS} dager" in err.value.message


def test_a_night_shift_on_the_last_day_of_the_calendar_is_a_norwegian_error_not_an_overflow():
    with pytest.raises(InputError) as err:
        rr.read_rota(b"person,date,shift,from,to\nKari,9999-12-31,natt,22:00,07:00\n")
    assert "Linje 2" in err.value.message and "år 9999" in err.value.message
    rota = rr.read_rota(b"person,date,shift,from,to\nKari,9999-12-25,natt,22:00,07:00\n")
    with pytest.raises(InputError, match="år 9999"):
        rr.open_shift(rota, dt.date.max, "natt")


def test_more_shifts_than_the_bound_are_refused():
    row = b"Kari,2026-03-09,dag,07:00,15:00\n"
    with pytest.raises(InputError, match="vakter; del den opp"):
        rr.read_rota(b"person,date,shift,from,to\n" + row * (rr.MAX_ROTA_SHIFTS + 1))
