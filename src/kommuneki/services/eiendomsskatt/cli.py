"""`kommuneki eiendomsskatt evaluate|value|skatteliste`. evaluate and value work with no database;
value records the run for a tenant only with --tenant."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from ...cli_support import (
    domain_errors,
    emit,
    get_platform,
    json_option,
    progress,
    resolve_tenant_id,
    tenant_option,
)
from ...core import exports
from ...core.errors import InvalidInput

LABELS = [
    ("mape", "MAPE", True),
    ("median_ape", "median APE", True),
    ("within_10", "innen ±10 %", True),
    ("within_20", "innen ±20 %", True),
    ("median_ratio", "median ratio", False),
    ("cod", "COD", False),
    ("prd", "PRD", False),
    ("prb", "PRB", False),
    ("interval_coverage", "intervalldekning", True),
    ("flagged_share", "andel flagget", True),
]


@click.group(name="eiendomsskatt", help="Eiendomsskatt: verdsetting av boliger ut fra salg.")
def group() -> None:
    pass


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"Kunne ikke lese {path}: {exc.strerror or exc}") from exc


def _fmt(v, frac: bool) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if not frac else f"{v:.3f}"


@group.command("evaluate", help="Tren på de eldste salgene og mål på de siste (salgsforholdsstudie).")
@click.option(
    "--sales", "sales", required=True, type=click.Path(path_type=Path), help="Salg (CSV eller Excel)."
)
@click.option(
    "--mapping", "mapping", type=click.Path(path_type=Path), default=None, help="Kolonneoppsett (JSON/YAML)."
)
@click.option(
    "--holdout-fraction", default=0.2, show_default=True, type=float, help="Andel siste salg holdt ute."
)
@click.option(
    "--interval", "level", default=0.8, show_default=True, type=float, help="Nominell intervalldekning."
)
@json_option
@domain_errors
def evaluate_cmd(
    sales: Path, mapping: Path | None, holdout_fraction: float, level: float, as_json: bool
) -> None:
    from .engine.evaluation import evaluate
    from .engine.mapping import parse_mapping, read_table

    mp = parse_mapping(_read(mapping).decode("utf-8"), mapping.name) if mapping else parse_mapping("")
    if not 0 < level < 1:
        raise InvalidInput("--interval må være mellom 0 og 1.")
    progress("Leser salg og trener modellen …")
    e = evaluate(read_table(_read(sales), sales.name), mp, holdout_fraction=holdout_fraction, level=level)
    info = {k: v for k, v in e.info.items() if k != "rejected"}
    info["rejected_rows"] = len(e.info["rejected"])
    if as_json:
        emit(
            {"model": e.model, "baseline": e.baseline, "info": info, "warning": e.study.get("warning")}, True
        )
        return
    click.echo(
        f"Trening: {info['train_rows']} salg {info['train_period'][0]}–{info['train_period'][1]}; "
        f"test: {info['test_rows']} salg {info['test_period'][0]}–{info['test_period'][1]}; "
        f"{info['rejected_rows']} rader utelatt med grunn."
    )
    click.echo(f"{'':22}{'modell':>10}{'grunnlinje':>12}")
    for key, label, frac in LABELS:
        click.echo(f"{label:22}{_fmt(e.model[key], frac):>10}{_fmt(e.baseline[key], frac):>12}")
    if e.study.get("warning"):
        click.echo(e.study["warning"])


def _progress_to_stderr(fraction: float, message: str) -> None:
    """The steps of a run on stderr (the same steps the web's job page shows); stdout keeps the result."""
    click.echo(f"{round(fraction * 100):3d} % {message}", err=True)


@group.command(
    "value", help="Verdsett boliger. Uten --tenant skrives bare filen; med --tenant lagres kjøringen."
)
@click.option("--sales", "sales", required=True, type=click.Path(path_type=Path))
@click.option("--dwellings", "dwellings", required=True, type=click.Path(path_type=Path))
@click.option("--mapping", "mapping", type=click.Path(path_type=Path), default=None)
@click.option(
    "--out", "out", type=click.Path(path_type=Path), default=None, help="Resultatfil (.csv eller .xlsx)."
)
@click.option("--valuation-date", default=None, help="Verdsettelsesdato (ÅÅÅÅ-MM-DD).")
@click.option("--interval", "level", default=0.8, show_default=True, type=float)
@json_option
@tenant_option
@click.pass_context
@domain_errors
def value_cmd(
    ctx: click.Context,
    sales: Path,
    dwellings: Path,
    mapping: Path | None,
    out: Path | None,
    valuation_date: str | None,
    level: float,
    as_json: bool,
    tenant: str | None,
) -> None:
    from .engine.mapping import parse_mapping, read_table

    try:
        vdate = date.fromisoformat(valuation_date) if valuation_date else None
    except ValueError as exc:
        raise InvalidInput("--valuation-date må være en dato (ÅÅÅÅ-MM-DD).") from exc
    mtext = _read(mapping).decode("utf-8") if mapping else ""
    if tenant is not None:
        from . import service

        platform = get_platform(ctx)
        tid = resolve_tenant_id(ctx, tenant)
        res = service.value_from_files(
            platform,
            tid,
            sales=_read(sales),
            sales_name=sales.name,
            dwellings=_read(dwellings),
            dwellings_name=dwellings.name,
            mapping_text=mtext,
            mapping_name=mapping.name if mapping else "",
            actor="cli",
            source="cli",
            valuation_date=vdate,
            level=level,
            progress=_progress_to_stderr,
        )
        emit(
            res,
            as_json,
            f"Kjøring {res['run_id']}: {res['dwellings']} boliger verdsatt, {res['flagged']} til kontroll.",
        )
        return
    if out is None:
        raise InvalidInput("Oppgi --out (eller --tenant for å lagre kjøringen).")
    from .engine.valuation import run

    mp = parse_mapping(mtext, mapping.name if mapping else "")
    r = run(
        read_table(_read(sales), sales.name),
        read_table(_read(dwellings), dwellings.name),
        mp,
        valuation_date=vdate or date.today(),
        level=level,
    )
    frame = r.dwellings.frame
    import pandas as pd

    table = pd.DataFrame(
        {
            "unit_id": frame["unit_id"].to_numpy(),
            "market_value": r.valuation.estimate.round(),
            "lower": r.valuation.lower.round(),
            "upper": r.valuation.upper.round(),
            "flagged": r.valuation.flagged,
            "flag_reason": ["; ".join(x) for x in r.valuation.reasons],
            "base_value": r.contributions.base.round(),
        }
    )
    for j, g in enumerate(r.contributions.groups):
        table[f"kr: {g}"] = r.contributions.kroner[:, j].round()
    header, values = list(table.columns), table.astype(object).where(table.notna(), None).values.tolist()
    if out.suffix.lower() == ".xlsx":  # through core.exports: no unit id can become a live formula
        out.write_bytes(exports.xlsx_bytes(header, values, sheet="Verdier"))
    else:
        out.write_text(exports.csv_text(header, values), encoding="utf-8")
    res = {
        "out": str(out),
        "dwellings": int(len(frame)),
        "flagged": int(r.valuation.flagged.sum()),
        "sales_rejected": len(r.sales.rejected),
        "dwellings_rejected": len(r.dwellings.rejected),
        "rejected": r.sales.rejected[:50],
        "seconds": {k: round(v, 2) for k, v in r.seconds.items()},
    }
    emit(
        res,
        as_json,
        f"{res['dwellings']} boliger verdsatt til {out}; {res['flagged']} flagget for kontroll; "
        f"{res['sales_rejected']} salg utelatt med grunn.",
    )


@group.command(
    "godkjenn",
    help="Godkjenn en verdsetting (et utkast): skattelisten lages fra den. Uten RUN_ID: den nyeste.",
)
@click.argument("run_id", type=int, required=False)
@tenant_option
@json_option
@click.pass_context
@domain_errors
def approve_cmd(ctx: click.Context, run_id: int | None, tenant: str | None, as_json: bool) -> None:
    import getpass

    from . import service

    platform, tenant_id = get_platform(ctx), resolve_tenant_id(ctx, tenant)
    if run_id is None:
        run_id = service.run_summary(platform, tenant_id)["run_id"]
    res = service.approve_run(platform, tenant_id, run_id, actor=f"cli:{getpass.getuser()}"[:80])
    text = "allerede godkjent" if res["done"] == "already" else "godkjent; skattelisten lages nå fra den"
    emit(res, as_json, f"Verdsetting {run_id} er {text}.")


@group.command("skatteliste", help="Skriv skattelisten for den godkjente verdsettingen (CSV eller Excel).")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path))
@tenant_option
@json_option
@click.pass_context
@domain_errors
def taxlist_cmd(ctx: click.Context, out: Path, tenant: str | None, as_json: bool) -> None:
    from . import service

    fmt = "xlsx" if out.suffix.lower() == ".xlsx" else "csv"
    data = service.export_tax_list(get_platform(ctx), resolve_tenant_id(ctx, tenant), fmt, actor="cli")
    out.write_bytes(data)
    emit({"out": str(out), "bytes": len(data)}, as_json, f"Skattelisten er skrevet til {out}.")
