"""`kommuneki postmottak …`: triage (works with no database), import, train, evaluate, watch, cases,
settings, arkivmelding, generate (the demo corpus)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import click

from ...cli_support import (
    FileRunner,
    domain_errors,
    emit,
    get_platform,
    json_option,
    progress,
    resolve_tenant_id,
    tenant_option,
)
from ...core.errors import InvalidInput
from ...ingest.email import parse_message, split_mbox
from . import engine

MESSAGE_SUFFIXES = (".eml", ".msg", ".mbox")
SUBMIT = click.option(
    "--submit",
    is_flag=True,
    help="Kjør arbeidet på arbeiderne (køen) i stedet for i denne prosessen; skriver jobbens nummer "
    "(fremdrift på /jobber/<nummer>).",
)
WAIT = click.option("--wait", "wait", is_flag=True, help="Med --submit: vent til jobben er ferdig.")


@click.group(name="postmottak", help="Postmottak: journalføres, videresendes eller slettes.")
def group() -> None:
    pass


def expand(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given; folders walked for .eml/.msg/.mbox files (sorted)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in MESSAGE_SUFFIXES)
        else:
            out.append(p)
    return out


def _messages(path: Path) -> list[tuple[str, bytes]]:
    data = path.read_bytes()
    if path.suffix.lower() == ".mbox":
        return [(f"{path}#{i}", m) for i, m in enumerate(split_mbox(data), 1)]
    return [(str(path), data)]


@group.command(
    "triage",
    help="Foreslå handling, enhet, dokumenttype og innsynsfrister for meldinger "
    "(.eml, .msg, .mbox eller mapper). Lagrer ingenting.",
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@json_option
@tenant_option
@click.option(
    "--innsyn-dager",
    "innsyn_days",
    type=click.IntRange(1, 3),
    default=None,
    help="Arbeidsdager til innsynsfristen (1–3; standard 3 eller organisasjonens innstilling).",
)
@click.pass_context
def triage_cmd(
    ctx: click.Context, paths: tuple[Path, ...], as_json: bool, tenant: str | None, innsyn_days: int | None
) -> None:
    runner = FileRunner(ctx, as_json=as_json)
    model, days = None, innsyn_days or 3
    if tenant is not None:
        from . import service

        platform, tenant_id = runner.platform_and_tenant(tenant)
        with platform.db.tenant_session(tenant_id) as session:
            model = service.current_model(session, tenant_id)
            days = innsyn_days or int(service.tenant_settings(session, tenant_id).get("innsyn_days", 3))
    model = model or engine.default_model()

    def one(path: Path) -> list[dict]:
        out = []
        for name, raw in _messages(path):
            t = engine.triage(parse_message(raw, name), model, innsyn_days=days)
            out.append({"path": name, **t.as_json()})
        return out

    def human(r: dict) -> str:
        a, u, i = r["action"], r["unit"], r["innsyn"]
        line = f"{r['path']}: {a['value']} ({a['confidence']:.2f})"
        if u["value"]:
            line += f" → {u['value']} ({u['confidence']:.2f})"
        if r["dokumenttype"]["value"]:
            line += f", {r['dokumenttype']['value']}"
        if i["detected"]:
            line += f", INNSYNSKRAV frist {i['deadline']}"
        return line

    files = expand(paths)
    if not files:
        raise click.UsageError("Fant ingen .eml-, .msg- eller .mbox-filer.")

    def run_one(path: Path) -> dict:
        # FileRunner prints one line per input; the further messages of an mbox get their own lines
        results = one(path)
        if not results:
            raise InvalidInput("Ingen meldinger i filen.")
        for extra in results[:-1]:
            emit(extra, as_json, human(extra))
        return results[-1]

    runner.run(files, run_one, human)


@group.command(
    "import",
    help="Ta inn meldinger (.eml, .msg, .mbox eller mapper) i organisasjonens postmottak "
    "og lagre forslagene.",
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@json_option
@tenant_option
@SUBMIT
@WAIT
@click.pass_context
def import_cmd(
    ctx: click.Context, paths: tuple[Path, ...], as_json: bool, tenant: str | None, submit: bool, wait: bool
) -> None:
    from . import service

    if submit:
        _submit_import(ctx, paths, as_json, tenant, wait)
        return
    runner = FileRunner(ctx, as_json=as_json)
    platform, tenant_id = runner.platform_and_tenant(tenant)
    # messages an earlier run stored but did not get to process (killed, crashed) go first
    pending = service.process_pending(platform, tenant_id, actor="cli")
    if pending:
        progress(f"{pending} melding(er) fra en avbrutt kjøring behandlet.")

    def one(path: Path) -> dict:
        results = [
            service.take_in(
                platform,
                tenant_id,
                raw,
                source="cli",
                actor="cli",
                filename=Path(name).name,
                dedupe_content=True,  # a re-run (after kill -9 or not) takes nothing in twice
            )
            for name, raw in _messages(path)
        ]
        return {
            "path": str(path),
            "messages": [
                {
                    "id": r["id"],
                    "state": r["state"],
                    "error": r.get("error"),
                    "action": (r.get("triage") or {}).get("action"),
                    "already_taken_in": r.get("already_taken_in", False),
                }
                for r in results
            ],
        }

    runner.run(expand(paths), one, lambda r: f"{r['path']}: {len(r['messages'])} melding(er) tatt inn")


def _job_out(
    ctx: click.Context, platform, tenant_id: int, job_id: int, as_json: bool, wait: bool, extra: dict
):
    """Print a submitted job (and with ``wait``, or without a queue, wait for its end: a job in a
    thread of this process would die with it)."""
    from ...core import jobs, queue

    if wait or not queue.uses_queue(platform.settings):
        job = jobs.wait(platform, tenant_id, job_id, timeout=24 * 3600)
        emit(
            {**extra, "job": jobs.public_dict(job), "result": job.get("result")},
            as_json,
            f"Jobb {job_id}: {job['state']}. {job.get('message') or ''} {job.get('error') or ''}".strip(),
        )
        if job["state"] != "done":
            ctx.exit(1)
        return
    emit(
        {**extra, "job_id": job_id, "job_url": f"/jobber/{job_id}"},
        as_json,
        f"Jobb {job_id} er lagt i køen: se /jobber/{job_id}",
    )


def _submit_import(
    ctx: click.Context, paths: tuple[Path, ...], as_json: bool, tenant: str | None, wait: bool
):
    from . import service

    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    files = expand(paths)
    if not files:
        raise click.UsageError("Fant ingen .eml-, .msg- eller .mbox-filer.")
    pm_ids = service.store_messages(
        platform, tenant_id, [(str(f), f.read_bytes()) for f in files], source="cli", actor="cli"
    )
    progress(f"{len(pm_ids)} melding(er) lagret; sorteringen kjøres på arbeiderne.")
    job_id = service.submit_import(platform, tenant_id, pm_ids, actor="cli")
    _job_out(ctx, platform, tenant_id, job_id, as_json, wait, {"messages": pm_ids})


HISTORY_HELP = (
    "Historikk: en mappe (<handling>/<enhet>/[<dokumenttype>/]fil), en CSV-fil (action;unit;"
    "dokumenttype;file eller subject/from/body) eller et Noark 5-arkivuttrekk (arkivstruktur.xml); "
    "flere kan gis samtidig."
)


def _history(platform, tenant_id: int | None, sources: tuple[Path, ...]):
    """The history from every source, unit names mapped to the tenant's unit codes; what was left out is
    reported on stderr (and returned in the summary)."""
    from sqlalchemy import select

    from ...core.models import Unit
    from .history import load_all, map_units

    hist = load_all(sources)
    if platform is not None and tenant_id is not None:
        with platform.db.tenant_session(tenant_id) as session:
            units = [(u.code, u.name) for u in session.scalars(select(Unit))]
        map_units(hist, units)
    for line in hist.problems:
        progress(f"Utelatt: {line}")
    for line in hist.notes:
        progress(line)
    if hist.problems:
        progress(f"Utelatt i alt: {len(hist.problems)}; {len(hist.raws)} meldinger brukes.")
    return hist


@group.command(
    "train",
    help="Tren modellen. --demo: standardmodellen på demokorpuset. Ellers på "
    "organisasjonens behandlede e-post. " + HISTORY_HELP,
)
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path, exists=True))
@click.option("--demo", is_flag=True, help="Tren standardmodellen på demokorpuset.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Mappe for --demo-modellen.")
@json_option
@tenant_option
@SUBMIT
@WAIT
@click.pass_context
@domain_errors
def train_cmd(
    ctx: click.Context,
    sources: tuple[Path, ...],
    demo: bool,
    out: Path | None,
    as_json: bool,
    tenant: str | None,
    submit: bool,
    wait: bool,
) -> None:
    if demo:
        from .training import train_demo

        card = train_demo(out or engine.DATA_DIR)
        emit(
            card,
            as_json,
            f"Trent {card['name']} {card['version']}: {json.dumps(card['metrics']['accuracy'])}",
        )
        return
    if not sources:
        raise click.UsageError(
            "Oppgi historikk (en mappe, en CSV-fil eller et Noark 5-uttrekk), eller --demo."
        )
    from . import service

    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    if submit:  # the sources travel to the worker as stored items (a folder as a .zip)
        from .history import pack

        service.require_training_basis(platform, tenant_id)
        files = [(f"{p.name}.zip", pack(p)) if p.is_dir() else (p.name, p.read_bytes()) for p in sources]
        item_ids = service.store_history(platform, tenant_id, files, source="cli", actor="cli")
        job_id = service.submit_training(platform, tenant_id, item_ids, actor="cli")
        _job_out(ctx, platform, tenant_id, job_id, as_json, wait, {"history_items": item_ids})
        return
    hist = _history(platform, tenant_id, sources)
    description = f"Behandlet e-post fra {', '.join(hist.sources)}; {len(hist.raws)} meldinger" + (
        f", {len(hist.problems)} rader utelatt." if hist.problems else "."
    )
    mv = service.train_tenant(
        platform, tenant_id, hist.raws, hist.labels, actor="cli", description=description
    )
    emit(
        {**mv, "history": hist.summary()},
        as_json,
        f"Registrert {mv['name']} {mv['version']}: {json.dumps(mv['card']['metrics']['accuracy'])}",
    )


@group.command(
    "evaluate",
    help="Mål modellen: --demo på demokorpusets holdt-ut-del, ellers på organisasjonens "
    "behandlede e-post. " + HISTORY_HELP,
)
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path, exists=True))
@click.option("--demo", is_flag=True)
@click.option("--n", type=int, default=3000, show_default=True, help="Antall demomeldinger.")
@json_option
@tenant_option
@click.pass_context
@domain_errors
def evaluate_cmd(
    ctx: click.Context, sources: tuple[Path, ...], demo: bool, n: int, as_json: bool, tenant: str | None
) -> None:
    from .training import evaluate

    model = engine.default_model()
    platform = tenant_id = None
    if tenant is not None:
        from . import service

        platform = get_platform(ctx)
        tenant_id = resolve_tenant_id(ctx, tenant)
        with platform.db.tenant_session(tenant_id) as session:
            model = service.current_model(session, tenant_id)
    extra = {}
    if demo:
        from . import corpus

        held = list(corpus.generate(n, split="heldout"))
        raws, labels, received = [m.raw for m in held], [m.labels for m in held], [m.received for m in held]
    elif sources:
        hist = _history(platform, tenant_id, sources)
        raws, labels, received = hist.raws, hist.labels, None
        extra = {"history": hist.summary()}
    else:
        raise click.UsageError(
            "Oppgi historikk (en mappe, en CSV-fil eller et Noark 5-uttrekk), eller --demo."
        )
    result = {
        "model": {"name": model.name, "version": model.version},
        **evaluate(model, raws, labels, received),
        **extra,
    }
    emit(result, as_json, json.dumps(result, ensure_ascii=False, indent=2))


@group.command(
    "watch",
    help="Hent ny e-post fra IMAP (organisasjonens innstilling imap, eller valgene "
    "under) og foreslå handling. Passordet leses fra miljøvariabelen i --password-env.",
)
@tenant_option
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option("--user", default=None)
@click.option("--folder", default=None)
@click.option("--no-ssl", is_flag=True, help="Uten TLS (bare for testservere på localhost).")
@click.option("--password-env", default="POSTMOTTAK_IMAP_PASSWORD", show_default=True)
@click.option(
    "--oauth2-token-env", default=None, help="Miljøvariabel med XOAUTH2-token (i stedet for passord)."
)
@click.option("--once", is_flag=True, help="Hent én gang og avslutt.")
@click.option("--interval", type=int, default=60, show_default=True, help="Sekunder mellom hver henting.")
@json_option
@click.pass_context
@domain_errors
def watch_cmd(
    ctx: click.Context,
    tenant: str | None,
    host: str | None,
    port: int | None,
    user: str | None,
    folder: str | None,
    no_ssl: bool,
    password_env: str,
    oauth2_token_env: str | None,
    once: bool,
    interval: int,
    as_json: bool,
) -> None:
    from . import service
    from .mailbox.imap import ImapSettings, ImapSource

    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    with platform.db.tenant_session(tenant_id) as session:
        cfg = service.tenant_settings(session, tenant_id).get("imap", {})
    settings = ImapSettings(
        host=host or cfg.get("host") or "",
        port=port or int(cfg.get("port", 993)),
        username=user or cfg.get("username", ""),
        folder=folder or cfg.get("folder", "INBOX"),
        ssl=not no_ssl and bool(cfg.get("ssl", True)),
        password=os.environ.get(password_env),
        oauth2_token=os.environ.get(oauth2_token_env) if oauth2_token_env else None,
    )
    if not settings.host:
        raise InvalidInput("IMAP-server mangler (--host eller innstillingen imap.host).")
    while True:
        with ImapSource(settings) as source:
            result = service.poll(platform, tenant_id, source, mailbox=settings.mailbox_name, actor="watch")
        emit(
            result,
            as_json,
            f"{result['received']} nye meldinger, {result['processed_pending']} ventende behandlet",
        )
        if once:
            return
        time.sleep(interval)


@group.command(
    "cases", help="Importer åpne saker (CSV: saksnummer;tittel;enhet;gnr;bnr;adresse;part;status)."
)
@click.argument("csv_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@json_option
@tenant_option
@click.pass_context
@domain_errors
def cases_cmd(ctx: click.Context, csv_file: Path, as_json: bool, tenant: str | None) -> None:
    from . import service

    platform = get_platform(ctx)
    n = service.import_cases(platform, resolve_tenant_id(ctx, tenant), csv_file.read_bytes(), actor="cli")
    emit({"imported": n}, as_json, f"{n} saker importert.")


@group.command("settings", help="Vis eller endre postmottakets innstillinger.")
@click.option("--innsyn-dager", "innsyn_days", type=click.IntRange(1, 3), default=None)
@click.option("--domene", "domains", multiple=True, help="Organisasjonens egne e-postdomener (kan gjentas).")
@click.option("--avsender", "sender", default=None)
@click.option("--lawful-basis", default=None, help="Rettslig grunnlag for å trene på egen e-post.")
@json_option
@tenant_option
@click.pass_context
@domain_errors
def settings_cmd(
    ctx: click.Context,
    innsyn_days: int | None,
    domains: tuple[str, ...],
    sender: str | None,
    lawful_basis: str | None,
    as_json: bool,
    tenant: str | None,
) -> None:
    from . import service

    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    changes = {
        k: v
        for k, v in {
            "innsyn_days": innsyn_days,
            "domains": list(domains) or None,
            "sender": sender,
            "lawful_basis": lawful_basis,
        }.items()
        if v is not None
    }
    if changes:
        result = service.update_settings(platform, tenant_id, "cli", **changes)
    else:
        with platform.db.tenant_session(tenant_id) as session:
            result = service.tenant_settings(session, tenant_id)
    emit(result, as_json, json.dumps(result, ensure_ascii=False, indent=2))


@group.command(
    "arkivmelding", help="Skriv Fiks Arkiv-arkivmelding (XML) for en melding, eller CSV for flere."
)
@click.argument("message_ids", nargs=-1, type=int, required=True)
@click.option("--csv", "as_csv", is_flag=True, help="CSV for arkivsystemer uten Fiks Arkiv.")
@click.option(
    "--journalfor",
    "record",
    is_flag=True,
    help="Marker meldingene som journalført (krever avgjort dokumenttype). Uten: bare les.",
)
@tenant_option
@click.pass_context
@domain_errors
def arkivmelding_cmd(
    ctx: click.Context, message_ids: tuple[int, ...], as_csv: bool, record: bool, tenant: str | None
) -> None:
    from . import service

    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    if record:
        for mid in message_ids:
            service.journalfor(platform, tenant_id, mid, actor="cli")
    if as_csv:
        click.echo(service.journal_csv(platform, tenant_id, list(message_ids)), nl=False)
        return
    for mid in message_ids:
        click.echo(service.arkivmelding_xml(platform, tenant_id, mid).decode("utf-8"))


@group.command("generate", help="Skriv demokorpuset (oppdiktet e-post) som .eml-filer og labels.jsonl.")
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--n", type=int, default=1000, show_default=True)
@click.option("--split", type=click.Choice(["train", "heldout"]), default="heldout", show_default=True)
@click.option("--seed", type=int, default=None)
def generate_cmd(out: Path, n: int, split: str, seed: int | None) -> None:
    from . import corpus

    out.mkdir(parents=True, exist_ok=True)
    with open(out / "labels.jsonl", "w", encoding="utf-8") as f:
        for i, m in enumerate(corpus.generate(n, split=split, seed=seed), 1):
            name = f"{split}-{i:05d}.eml"
            (out / name).write_bytes(m.raw)
            f.write(json.dumps({"path": name, **m.labels}, ensure_ascii=False) + "\n")
    progress(f"{n} meldinger skrevet til {out}")


@group.command("demo", help="Fyll demo-organisasjonens postmottak med flere oppdiktede meldinger.")
@click.option("--n", type=click.IntRange(1, 20000), default=300, show_default=True)
@tenant_option
@click.pass_context
@domain_errors
def demo_cmd(ctx: click.Context, n: int, tenant: str | None) -> None:
    from sqlalchemy import func, select

    from .demo import DEMO_SEED, add_messages
    from .models import PostmottakMessage

    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    with platform.db.tenant_session(tenant_id) as session:
        have = session.scalar(select(func.count()).select_from(PostmottakMessage)) or 0
    added = add_messages(
        platform, tenant_id, progress, n=n, seed=DEMO_SEED + have
    )  # a new seed: no duplicates
    progress(f"{added} meldinger lagt til i postmottaket.")
