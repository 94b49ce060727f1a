"""`kommuneki bemanning forecast|backtest|plan|rota-repair`: batch and independent measurement, with no
database.

Only JSON on stdout with --json (one object per line); progress on stderr. Exit 1 if any unit failed,
2 if the file or the mapping is invalid.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ...cli_support import domain_errors, emit, json_option, progress
from .engine import calendar_no, ili
from .engine.backtest import backtest
from .engine.forecast import forecast
from .engine.history import parse_mapping, read_history
from .engine.plan import plan, read_minimum

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _inputs(history: Path, mapping: Path | None, school_holidays: Path | None, ili_file: Path | None):
    parsed_mapping = parse_mapping(mapping.read_bytes()) if mapping else None
    hist = read_history(history.read_bytes(), parsed_mapping)
    school = calendar_no.parse_school_holidays(school_holidays.read_bytes()) if school_holidays else None
    weekly = ili.read_weekly(ili_file) if ili_file else None
    return hist, school, weekly


def _common(fn):
    fn = click.option(
        "--ili", "ili_file", type=FILE, default=None, help="Ukentlig ILI-rate (ECDC), valgfri."
    )(fn)
    fn = click.option("--seed", default=0, show_default=True, type=int)(fn)
    fn = click.option(
        "--school-holidays", type=FILE, default=None, help="Skolerute (CSV fra,til eller ICS)."
    )(fn)
    fn = click.option("--horizon", default=28, show_default=True, type=click.IntRange(1, 56))(fn)
    fn = click.option(
        "--mapping", type=FILE, default=None, help="Kolonneoppsett (JSON/YAML) for en eksport."
    )(fn)
    fn = click.option("--history", required=True, type=FILE, help="CSV: date,unit,absent[,staff].")(fn)
    return fn


@click.group(name="bemanning", help="Bemanning: fraværsprognose per enhet og forslag til ekstravakter.")
def group() -> None:
    pass


@group.command("forecast", help="Prognose for fravær per enhet og dag (D+1 … D+horisont). Lagrer ingenting.")
@_common
@json_option
@domain_errors
def forecast_cmd(history, mapping, horizon, school_holidays, seed, ili_file, as_json) -> None:
    hist, school, weekly = _inputs(history, mapping, school_holidays, ili_file)
    progress(f"Trener på {len(hist.units)} enheter, {hist.start} – {hist.end} …")
    result = forecast(hist, horizon, ili_weekly=weekly, school=school, seed=seed)
    for row in result.rows():
        emit(row, as_json, _human(row))
    if result.errors:
        sys.exit(1)


@group.command("backtest", help="Tilbakeblikk: treffsikkerhet per enhet mot sesongnaiv og glidende snitt.")
@_common
@click.option("--origins", default=12, show_default=True, type=click.IntRange(1, 104))
@json_option
@domain_errors
def backtest_cmd(history, mapping, horizon, school_holidays, seed, ili_file, origins, as_json) -> None:
    hist, school, weekly = _inputs(history, mapping, school_holidays, ili_file)
    rows = backtest(
        hist,
        origins=origins,
        horizon=horizon,
        ili_weekly=weekly,
        school=school,
        seed=seed,
        progress=lambda f, m: progress(m),
    )
    for row in rows:
        emit(row, as_json, None)
    if any("error" in row for row in rows):
        sys.exit(1)


@group.command("plan", help="Forslag til ekstravakter per enhet, dag og vakt, så minimumsbemanningen holder.")
@_common
@click.option("--minimum", required=True, type=FILE, help="CSV: unit,shift,minimum[,planned][,weekday].")
@click.option("--probability", default=0.9, show_default=True, type=float)
@click.option(
    "--rota",
    "rota_file",
    type=FILE,
    default=None,
    help="Turnuseksport (CSV/Excel: person,date,shift,from,to,unit): planlagt bemanning per vakt.",
)
@click.option(
    "--rota-mapping", type=FILE, default=None, help="Kolonneoppsett (JSON/YAML) for turnuseksporten."
)
@click.option(
    "--early-cost", default=1.0, show_default=True, type=float, help="Kostnad per vakt bestilt tidlig."
)
@click.option(
    "--late-cost", default=1.5, show_default=True, type=float, help="Kostnad per vakt bestilt sent."
)
@json_option
@domain_errors
def plan_cmd(
    history,
    mapping,
    horizon,
    school_holidays,
    seed,
    ili_file,
    minimum,
    probability,
    rota_file,
    rota_mapping,
    early_cost,
    late_cost,
    as_json,
) -> None:
    from .engine import rota as rota_engine

    hist, school, weekly = _inputs(history, mapping, school_holidays, ili_file)
    rules = read_minimum(minimum.read_bytes())
    staff = None
    if rota_file is not None:
        parsed_mapping = rota_engine.parse_rota_mapping(rota_mapping.read_bytes()) if rota_mapping else None
        parsed = rota_engine.read_rota(rota_file.read_bytes(), parsed_mapping, rota_file.name)
        staff = rota_engine.planned_staff(parsed)
    result = forecast(hist, horizon, ili_weekly=weekly, school=school, seed=seed)
    rows = plan(
        result,
        rules,
        probability=probability,
        early_cost=early_cost,
        late_cost=late_cost,
        planned_staff=staff,
    )
    for row in rows:
        emit(row, as_json, None)
    if any("error" in row for row in rows):
        sys.exit(1)


@group.command(
    "rota-repair",
    help="Hvem kan ta en ekstravakt etter arbeidsmiljøloven, bare ut fra turnusen (ikke rangert).",
)
@click.option("--rota", required=True, type=FILE, help="CSV/Excel: person,date,shift,from,to[,unit].")
@click.option("--mapping", type=FILE, default=None, help="Kolonneoppsett (JSON/YAML) for turnuseksporten.")
@click.option("--unit", default=None, help="Bare vaktene i denne enheten (turnusens unit-kolonne).")
@click.option("--day", required=True, help="Dagen for vakten (ÅÅÅÅ-MM-DD).")
@click.option("--shift", "shift_name", required=True, help="Vaktnavnet i turnusen, f.eks. natt.")
@click.option(
    "--ordning",
    default="turnus",
    show_default=True,
    type=click.Choice(["vanlig", "turnus", "helkontinuerlig"]),
    help="Arbeidstidsordning (aml. § 10-4): 40, 38 eller 36 timer i uka.",
)
@click.option(
    "--avtale",
    default="ingen",
    show_default=True,
    type=click.Choice(["ingen", "individuell", "tillitsvalgte"]),
    help="Avtale om gjennomsnittsberegning og overtid (aml. §§ 10-5 og 10-6).",
)
@json_option
@domain_errors
def rota_repair_cmd(rota, mapping, unit, day, shift_name, ordning, avtale, as_json) -> None:
    import datetime as dt

    from .engine import rota as rota_engine
    from .engine.errors import InputError

    try:
        when = dt.date.fromisoformat(day)
    except ValueError as exc:
        raise InputError(f"«{day}» er ikke en dato (ÅÅÅÅ-MM-DD).") from exc
    parsed_mapping = rota_engine.parse_rota_mapping(mapping.read_bytes()) if mapping else None
    parsed = rota_engine.read_rota(rota.read_bytes(), parsed_mapping, rota.name)
    if unit:
        parsed = rota_engine.for_unit(parsed, unit)
    extra = rota_engine.open_shift(parsed, when, shift_name)
    result = rota_engine.eligible(parsed, extra, rota_engine.limits(ordning, avtale))
    emit(
        result,
        as_json,
        result["message"] + ("\n" + "\n".join(result["eligible"]) if result["eligible"] else ""),
    )
    if not result["eligible"]:
        sys.exit(1)


def _human(row: dict) -> str:
    if "error" in row:
        return f"{row['unit']}: FEIL: {row['error']}"
    text = f"{row['unit']} {row['date']}: {row['expected']:.1f} ({row['q10']:.0f}–{row['q90']:.0f})"
    return text + (f"  [{row['warning']}]" if "warning" in row else "")
