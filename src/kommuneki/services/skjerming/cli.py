"""`kommuneki skjerming scan|redact`: work with no database; record suggestions with --tenant."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import click

from ...cli_support import FileRunner, json_option, progress, tenant_option
from ...config import ConfigError, load_settings
from ...core.errors import PayloadTooLarge
from ...ingest import extract
from . import engine, service
from .redact import redact

SUFFIXES = {".txt", ".md", ".csv", ".pdf", ".docx", ".eml", ".msg", ".mbox"}
STDIN = "-"


def _max_bytes() -> int:
    try:
        return load_settings().max_upload_bytes
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _docx_max_unpacked() -> int:
    try:
        return load_settings().docx_max_unpacked_bytes
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def expand(paths: tuple[str, ...]) -> list[str]:
    """Files as given; folders walked (supported suffixes, sorted); ``-`` for stdin."""
    out: list[str] = []
    for p in paths:
        if p == STDIN:
            out.append(STDIN)
            continue
        path = Path(p)
        if path.is_dir():
            out.extend(
                str(f) for f in sorted(path.rglob("*")) if f.is_file() and f.suffix.lower() in SUFFIXES
            )
        else:
            out.append(p)
    return out


def read_input(p: str, limit: int) -> tuple[bytes, str | None]:
    if p == STDIN:
        data = sys.stdin.buffer.read(limit + 1)
        name = None
    else:
        size = os.stat(p).st_size
        if size > limit:
            raise PayloadTooLarge(
                f"Filen er for stor ({size // (1024 * 1024)} MB; grensen er {limit // (1024 * 1024)} MB)."
            )
        data = Path(p).read_bytes()
        name = Path(p).name
    if len(data) > limit:
        raise PayloadTooLarge(f"Inndata er for store (grensen er {limit // (1024 * 1024)} MB).")
    return data, name


def _human(r: dict) -> str:
    n = sum(1 for f in r["findings"] if f["withhold"])
    return (
        f"{r['path']}: innsyn {engine.DECISION_LABELS[r['decision']]}, internett "
        f"{engine.INTERNET_LABELS[r['internet']]} ({len(r['findings'])} funn, {n} foreslått skjermet)"
    )


@click.group(name="skjerming", help="Skjerming: finn personopplysninger og taushetsbelagte opplysninger.")
def group() -> None:
    pass


@group.command(
    "scan",
    help="Finn opplysninger som bør skjermes. PATH er en fil, en mappe eller - (tekst "
    "på standard inn). Uten --tenant lagres ingenting.",
)
@click.argument("paths", nargs=-1, required=True)
@json_option
@click.option("--with-text", is_flag=True, help="Ta med den uttrukne teksten i hvert JSON-objekt.")
@click.option("--title", default=None, help="Journaltittel: foreslå offentlig tittel (bare med --tenant).")
@tenant_option
@click.pass_context
def scan(
    ctx: click.Context,
    paths: tuple[str, ...],
    as_json: bool,
    with_text: bool,
    title: str | None,
    tenant: str | None,
) -> None:
    runner = FileRunner(ctx, as_json=as_json)
    limit, unpacked = _max_bytes(), _docx_max_unpacked()
    pending_done: list[int] = []  # documents an interrupted run left received: screened first, once

    def analyse(p: str) -> dict:
        data, name = read_input(p, limit)
        if tenant is None:
            text = extract(data, name, max_bytes=limit, docx_max_unpacked=unpacked).text
            return engine.scan_record(p, text, service.analyse_text(text), with_text=with_text)
        platform, tenant_id = runner.platform_and_tenant(tenant)
        if not pending_done:
            pending_done.append(service.screen_pending(platform, tenant_id, actor="cli"))
        r = service.screen_document(
            platform,
            tenant_id,
            data,
            filename=name,
            actor="cli",
            source="cli",
            title=title,
            dedupe_content=True,  # a re-run (after kill -9 or not) records nothing twice
        )
        r["path"] = p
        if not with_text:
            r.pop("text", None)
        return {**r, "recorded": True}

    runner.run(expand(paths), analyse, _human)


def _write_atomic(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".skjerming-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    target = folder / name
    os.replace(tmp, target)
    return target


def _redacted_line(r: dict) -> str:
    verified = ", verifisert fjernet" if r["redaction"].get("verified") else ""
    return f"{r['path']} → {r['output']} ({len(r['withheld'])} skjermet{verified})"


@group.command(
    "redact",
    help="Lag skjermede versjoner etter forslaget og skriv en rapport (skjerming-rapport.json) i --out.",
)
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Mappe for de skjermede filene og rapporten.",
)
@click.option(
    "--scope",
    type=click.Choice(["innsyn", "internett"]),
    default="innsyn",
    show_default=True,
    help="Skjerming ved innsyn eller for publisering på internett.",
)
@click.option("--no-text-layer", is_flag=True, help="PDF uten tekstlag (raskere; uten Tesseract).")
@json_option
@tenant_option
@click.pass_context
def redact_cmd(
    ctx: click.Context,
    paths: tuple[str, ...],
    out_dir: Path,
    scope: str,
    no_text_layer: bool,
    as_json: bool,
    tenant: str | None,
) -> None:
    runner = FileRunner(ctx, as_json=as_json)
    limit, unpacked = _max_bytes(), _docx_max_unpacked()
    report: list[dict] = []

    def one(p: str) -> dict:
        data, name = read_input(p, limit)
        text = extract(data, name, max_bytes=limit, docx_max_unpacked=unpacked).text
        assessment = service.analyse_text(text)
        recorded = None
        if tenant is not None:
            platform, tenant_id = runner.platform_and_tenant(tenant)
            recorded = service.screen_document(
                platform, tenant_id, data, filename=name, actor="cli", source="cli", dedupe_content=True
            )["item_id"]
        chosen = assessment.withheld(scope)
        spans = [(a.finding.start, a.finding.end) for _i, a in chosen]
        result = redact(
            data, name or "stdin.txt", text, spans, text_layer=not no_text_layer, max_unpacked=unpacked
        )
        target = out_dir / result.filename
        result.save_as(target)
        # the report sits beside the redacted files: types, offsets and hjemler only, never the text
        rec = {
            "path": p,
            "output": str(target),
            "decision": assessment.decision,
            "internet": assessment.internet,
            "scope": scope,
            "withheld": [
                {
                    "type": a.finding.type,
                    "start": a.finding.start,
                    "end": a.finding.end,
                    "hjemmel": (a.innsyn if scope == "innsyn" else a.internett).label,
                }
                for _i, a in chosen
            ],
            "redaction": result.report,
            "item_id": recorded,
        }
        report.append(rec)
        return rec

    try:
        runner.run(expand(paths), one, _redacted_line)
    finally:
        if report:
            _write_atomic(
                out_dir,
                "skjerming-rapport.json",
                json.dumps(report, ensure_ascii=False, indent=2).encode("utf-8"),
            )
            progress(f"Rapport: {out_dir / 'skjerming-rapport.json'}")
