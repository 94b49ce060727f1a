"""The `kommuneki` command. Core commands live here; each service mounts its own group from the
service registry. Conventions: see ``cli_support``."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import select

from .cli_support import (
    domain_errors,
    emit,
    get_platform,
    json_option,
    progress,
    resolve_tenant_id,
    tenant_option,
)
from .config import ConfigError, load_settings
from .core import accounts, audit, items, modelreg
from .core.errors import InvalidInput, NotFound
from .core.models import Item, Tenant, User


@click.group(help="kommuneki – åpen KI-plattform for kommuner.")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Datamappe (overstyrer KOMMUNEKI_DATA_DIR).",
)
@click.option("--database-url", default=None, help="Database-URL (overstyrer KOMMUNEKI_DATABASE_URL).")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, database_url: str | None) -> None:
    ctx.ensure_object(dict)
    overrides = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if database_url is not None:
        overrides["database_url"] = database_url
    ctx.obj["overrides"] = overrides


def _settings(ctx: click.Context):
    """The settings alone, for commands that must act before a platform (and its database) exists."""
    try:
        return load_settings(**ctx.find_root().obj.get("overrides", {}))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


# --- server ---------------------------------------------------------------------------------------


@main.command(help="Start webserveren (og én arbeider for bakgrunnsjobber, hvis ikke --no-worker).")
@click.option("--host", default=None, help="Adresse (standard fra KOMMUNEKI_HOST).")
@click.option("--port", type=int, default=None, help="Port (standard fra KOMMUNEKI_PORT).")
@click.option(
    "--no-worker",
    is_flag=True,
    help="Ikke start en arbeider ved siden av webserveren (delt installasjon: kjør `kommuneki worker`).",
)
@click.option(
    "--web-workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Antall webprosesser bak samme adresse (standard fra KOMMUNEKI_WEB_WORKERS, 1). Flere enn én "
    "hører til en delt installasjon på PostgreSQL.",
)
@click.pass_context
def serve(
    ctx: click.Context, host: str | None, port: int | None, no_worker: bool, web_workers: int | None
) -> None:
    import os

    import uvicorn

    from .core.queue import uses_queue
    from .web.app import create_app
    from .workers import WorkerProcess, settings_environment

    platform = get_platform(ctx)  # the database is upgraded here, once, before any web process starts
    s = platform.settings
    web_workers = web_workers or s.web_workers
    worker = None
    if uses_queue(s) and not no_worker:
        worker = WorkerProcess(ctx.obj.get("overrides", {}))
        worker.start()
        progress("En arbeider for bakgrunnsjobber er startet.")
    progress(f"kommuneki kjører på http://{host or s.host}:{port or s.port}/ (API-dokumentasjon: /docs)")
    if web_workers > 1 and s.database_url is None:
        progress("Merk: flere webprosesser deler én SQLite-fil; bruk PostgreSQL i en delt installasjon.")
    try:
        if web_workers == 1:
            app: object = create_app(platform=platform)
        else:
            # each web process builds its own platform from the settings (uvicorn starts them with
            # ``spawn``): the command line's overrides go to them through the environment
            os.environ.update(settings_environment(ctx.obj.get("overrides", {})))
            app = "kommuneki.web.app:create_app"
        uvicorn.run(
            app,
            factory=web_workers > 1,
            workers=web_workers if web_workers > 1 else None,
            host=host or s.host,
            port=port or s.port,
            log_level=s.log_level.lower(),
            proxy_headers=True,
        )
    finally:
        if worker is not None:
            worker.stop()


@main.command(help="Kjør bakgrunnsjobber fra køen (til Ctrl+C; jobber som kjører, blir ferdige).")
@click.option("--threads", type=int, default=1, show_default=True, help="Jobber samtidig i denne prosessen.")
@click.pass_context
@domain_errors
def worker(ctx: click.Context, threads: int) -> None:
    import logging

    from .core.queue import Worker, uses_queue

    platform = get_platform(ctx)
    if not uses_queue(platform.settings):
        raise InvalidInput("KOMMUNEKI_TASK_QUEUE er «thread»: da finnes ingen kø å hente jobber fra.")
    logging.basicConfig(level=platform.settings.log_level.upper())
    progress(f"Arbeideren henter jobber fra køen ({platform.settings.task_queue}).")
    Worker(platform, threads=threads).run()


@main.command(help="Last inn demokommunen (idempotent) og start webserveren.")
@click.option("--no-serve", is_flag=True, help="Bare last inn demodata.")
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@json_option
@click.pass_context
@domain_errors
def demo(ctx: click.Context, no_serve: bool, host: str | None, port: int | None, as_json: bool) -> None:
    from .core.audit_seal import new_key_file
    from .demo import DEMO_PASSWORD, DEMO_USERS, load_demo

    settings = _settings(ctx)
    if settings.resolved_audit_key_file is None and settings.mode != "production":
        # the demo seals its audit log too: a key beside (not in) the data folder, found again by every
        # later command on the same data folder (docs/security.md, "Audit log")
        key_id = new_key_file(settings.demo_audit_key_file)
        progress(f"Laget revisjonsnøkkel {key_id} i {settings.demo_audit_key_file}")
        sealed, _failed = _seal_existing(get_platform(ctx))  # a demo folder from before the key
        if sealed:
            progress(f"Forseglet eldre poster i {', '.join(sealed)}")
    platform = get_platform(ctx)
    summary = load_demo(platform, progress=progress)
    s = platform.settings
    url = f"http://{host or s.host}:{port or s.port}/"
    if as_json:
        emit(
            {**summary, "url": url, "users": [u["username"] for u in DEMO_USERS], "password": DEMO_PASSWORD},
            True,
        )
    else:
        click.echo(
            f"\nDemokommunen «{summary['tenant']}» er klar.\n\nLogg inn på {url} med ett av disse "
            f"brukernavnene "
            f"(passord for alle: {DEMO_PASSWORD}):"
        )
        for u in DEMO_USERS:
            click.echo(f"  {u['username']:<16} {', '.join(u['roles'])}")
        click.echo("")
    if not no_serve:
        ctx.invoke(serve, host=host, port=port)


# --- database -------------------------------------------------------------------------------------


@main.group(help="Database.")
def db() -> None:
    pass


@db.command("upgrade", help="Kjør alle migreringer (alembic upgrade heads).")
@json_option
@click.pass_context
def db_upgrade(ctx: click.Context, as_json: bool) -> None:
    platform = get_platform(ctx)  # upgrades on first use
    emit(
        {"database": platform.db.dialect, "upgraded": True},
        as_json,
        f"Databasen ({platform.db.dialect}) er oppdatert.",
    )


# --- tenants, users, tokens -----------------------------------------------------------------------


@main.group(help="Organisasjoner (kommuner og fylkeskommuner).")
def tenant() -> None:
    pass


def _tenant_dict(t: Tenant) -> dict:
    return {
        "id": t.id,
        "slug": t.slug,
        "name": t.name,
        "kommunenummer": t.kommunenummer,
        "kind": t.kind,
        "malform": t.malform,
    }


@tenant.command("create", help="Opprett en organisasjon.")
@click.option("--slug", required=True, help="Kortnavn, f.eks. gjerdrum.")
@click.option("--name", required=True, help="Navn, f.eks. «Gjerdrum kommune».")
@click.option("--kommunenummer", default=None, help="Fire sifre.")
@click.option("--kind", type=click.Choice(["kommune", "fylkeskommune"]), default="kommune")
@click.option("--malform", type=click.Choice(["bokmal", "nynorsk"]), default="bokmal")
@json_option
@click.pass_context
@domain_errors
def tenant_create(ctx, slug, name, kommunenummer, kind, malform, as_json) -> None:
    platform = get_platform(ctx)
    with platform.db.installation_session() as session:
        t = accounts.create_tenant(
            session, slug=slug, name=name, kommunenummer=kommunenummer, kind=kind, malform=malform
        )
        out = _tenant_dict(t)
    emit(out, as_json, f"Opprettet {out['name']} (id {out['id']}, kortnavn {out['slug']}).")


@tenant.command("list", help="List organisasjonene.")
@json_option
@click.pass_context
def tenant_list(ctx, as_json) -> None:
    platform = get_platform(ctx)
    with platform.db.installation_session() as session:
        rows = [_tenant_dict(t) for t in accounts.list_tenants(session)]
    for r in rows:
        emit(r, as_json, f"{r['id']:>4}  {r['slug']:<20} {r['kommunenummer'] or '----'}  {r['name']}")


@tenant.command(
    "sessions",
    help="Kortere grenser for innlogging i organisasjonen enn installasjonens "
    "(KOMMUNEKI_SESSION_IDLE_S og KOMMUNEKI_SESSION_MAX_AGE_S). Uten valg: vis gjeldende grenser.",
)
@click.option(
    "--idle-minutes", type=int, default=None, help="Logg ut etter så mange minutter uten aktivitet."
)
@click.option("--max-hours", type=int, default=None, help="Logg ut senest så mange timer etter innlogging.")
@tenant_option
@json_option
@click.pass_context
@domain_errors
def tenant_sessions(ctx, idle_minutes, max_hours, tenant, as_json) -> None:
    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    s = platform.settings
    with platform.db.tenant_session(tenant_id) as session:
        if idle_minutes is not None or max_hours is not None:
            accounts.set_session_limits(
                session, tenant_id, idle_minutes=idle_minutes, max_hours=max_hours, actor="cli"
            )
        t = session.get(Tenant, tenant_id)
        idle, age = accounts.session_limits(
            t.settings, idle_s=s.session_idle_s, max_age_s=s.session_max_age_s
        )
    out = {"tenant_id": tenant_id, "idle_s": idle, "max_age_s": age}
    emit(
        out,
        as_json,
        f"Utlogging etter {idle // 60} minutter uten aktivitet, "
        f"senest {age / 3600:g} timer etter innlogging.",
    )


@main.group(help="Brukere.")
def user() -> None:
    pass


@user.command("add", help="Opprett en bruker (eller gi en eksisterende bruker roller).")
@click.argument("username")
@click.option("--role", "roles", multiple=True, help="Rolle (kan gjentas; se docs/cli.md for rollene).")
@click.option("--name", "full_name", default="", help="Fullt navn.")
@click.option("--email", default=None)
@click.option("--password", default=None, help="Passord (eller bruk --password-stdin).")
@click.option("--password-stdin", is_flag=True, help="Les passordet fra standard inn.")
@click.option("--operator", is_flag=True, help="Driftsoperatør for hele installasjonen.")
@tenant_option
@json_option
@click.pass_context
@domain_errors
def user_add(
    ctx, username, roles, full_name, email, password, password_stdin, operator, tenant, as_json
) -> None:
    platform = get_platform(ctx)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    tenant_id = resolve_tenant_id(ctx, tenant) if roles else None
    with platform.db.installation_session() as session:
        u = session.scalar(select(User).where(User.username == username.lower()))
        if u is None:
            u = accounts.create_user(
                session,
                username=username,
                password=password,
                full_name=full_name,
                email=email,
                is_operator=operator,
            )
        user_id = u.id
    if roles:
        with platform.db.tenant_session(tenant_id) as session:
            u = session.get(User, user_id)
            for r in roles:
                accounts.grant_role(
                    session, tenant_id, u, r, actor="cli", known_roles=platform.policy.roles()
                )
    emit(
        {"id": user_id, "username": username.lower(), "roles": list(roles), "tenant_id": tenant_id},
        as_json,
        f"Bruker {username.lower()} (id {user_id}) "
        f"{'med roller ' + ', '.join(roles) if roles else ''}".strip(),
    )


@main.group(help="API-nøkler.")
def token() -> None:
    pass


@token.command("create", help="Lag en API-nøkkel for en bruker. Nøkkelen vises bare én gang.")
@click.option("--user", "username", required=True)
@click.option("--name", required=True, help="Hva nøkkelen brukes til.")
@tenant_option
@json_option
@click.pass_context
@domain_errors
def token_create(ctx, username, name, tenant, as_json) -> None:
    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    with platform.db.tenant_session(tenant_id) as session:
        u = session.scalar(select(User).where(User.username == username.lower()))
        if u is None:
            raise NotFound(f"Fant ingen bruker {username}.")
        if not accounts.roles_of(session, u.id) and not u.is_operator:
            raise InvalidInput("Brukeren har ingen rolle i denne organisasjonen.")
        row, secret = accounts.create_token(session, tenant_id, u, name, actor="cli")
        out = {"id": row.id, "prefix": row.prefix, "token": secret, "tenant_id": tenant_id}
    emit(out, as_json, f"API-nøkkel (vises bare nå): {secret}")


# --- audit ----------------------------------------------------------------------------------------


@main.group(name="audit", help="Revisjonsloggen.")
def audit_group() -> None:
    pass


@audit_group.command(
    "verify",
    help="Kontroller hash-kjedene, forseglingene og sjekkpunktene. Avslutter med 0 (intakt), 1 (endret, "
    "slettet eller forfalsket; første feil navngis) eller 3 (gjenopprettet fra sikkerhetskopi: poster etter "
    "kopien mangler).",
)
@tenant_option
@click.option("--all", "all_chains", is_flag=True, help="Alle kjeder installasjonen kjenner til.")
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Kontroller en eksportert JSONL-fil i stedet for databasen.",
)
@click.option(
    "--shipped",
    "shipped",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    help="Fil med utsendte sjekkpunkter (standard: filmålene i KOMMUNEKI_AUDIT_SHIP_TO; også en syslog-fil).",
)
@json_option
@click.pass_context
@domain_errors
def audit_verify(ctx, tenant, all_chains, file, shipped, as_json) -> None:
    import time

    start = time.perf_counter()
    problems: list[str] = []
    warnings: list[str] = []
    if file is not None:
        results = _verify_file(file, get_platform(ctx).db.sealing.key)
        code = 1 if any(not r.ok for r in results) else 0
    else:
        platform = get_platform(ctx)
        with platform.db.installation_session() as session:
            chains = None if all_chains else [audit.chain_for(resolve_tenant_id(ctx, tenant))]
            report = audit.verify_installation(
                session,
                platform.settings.checkpoint_dir,
                chains,
                shipped_files=list(shipped) or None,
            )
        results, problems, warnings, code = report.results, report.problems, report.warnings, report.exit_code
    elapsed = time.perf_counter() - start
    for r in results:
        d = {**r.as_dict(), "seconds": round(elapsed, 3)}
        if r.status == audit.OK:
            human = f"{r.chain}: OK, {r.entries} poster"
        elif r.status == audit.RESTORED:
            human = f"{r.chain}: GJENOPPRETTET til post {r.restored_to}: {r.problem}"
        else:
            human = f"{r.chain}: FEIL ved post {r.first_bad_seq}: {r.problem}"
        emit(d, as_json, human)
    for problem in problems:
        emit({"installation": True, "ok": False, "problem": problem}, as_json, f"FEIL: {problem}")
    for warning in warnings:
        progress(f"Advarsel: {warning}")
    if code:
        ctx.exit(code)


def _verify_file(path: Path, key: bytes | None = None) -> list[audit.VerifyResult]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    entries = [r for r in rows if "seq" in r]
    if not entries:
        raise InvalidInput("Filen inneholder ingen revisjonsposter.")
    by_chain: dict[str, list[dict]] = {}
    for e in entries:
        by_chain.setdefault(e["chain"], []).append(e)
    # a period export starts mid-chain and an item export has gaps: each entry's hash and every link
    # between consecutive entries are checked
    return [audit.verify_export(chain, es, key=key) for chain, es in by_chain.items()]


@audit_group.command(
    "new-key",
    help="Lag en ny revisjonsnøkkel (forsegler loggen). Filen må ligge utenfor datamappen; sett "
    "KOMMUNEKI_AUDIT_KEY_FILE til den.",
)
@click.argument("path", type=click.Path(path_type=Path), required=False)
@json_option
@click.pass_context
@domain_errors
def audit_new_key(ctx, path: Path | None, as_json: bool) -> None:
    from .core.audit_seal import AuditKeyError, new_key_file

    settings = _settings(ctx)
    path = path or settings.audit_key_file
    if path is None:
        raise click.UsageError("Oppgi en fil, eller sett KOMMUNEKI_AUDIT_KEY_FILE.")
    if path.resolve().is_relative_to(settings.data_dir.resolve()):
        raise click.ClickException(
            f"{path} ligger i datamappen ({settings.data_dir}). Legg nøkkelen et annet sted: den som kan "
            "skrive i datamappen, skal ikke kunne forfalske loggen."
        )
    try:
        kid = new_key_file(path)
    except AuditKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    emit(
        {"key_file": str(path.resolve()), "key_id": kid},
        as_json,
        f"Ny revisjonsnøkkel {kid} i {path.resolve()} (bare eieren kan lese den).\n"
        f"Sett KOMMUNEKI_AUDIT_KEY_FILE={path.resolve()} og ta vare på en kopi et trygt sted: "
        "uten nøkkelen kan forseglingene ikke kontrolleres.",
    )


def _seal_existing(platform) -> tuple[list[str], list[audit.VerifyResult]]:
    """Seal every unsealed chain that verifies (links, hashes, checkpoint) with one ``audit.sealed``
    entry; returns (sealed chains, results of those that did not verify and stay unsealed)."""
    with platform.db.installation_session() as session:
        # links, hashes and checkpoints, not seals: these chains are not sealed yet
        report = audit.verify_installation(session, platform.settings.checkpoint_dir, key=None)
        unsealed = audit.unsealed_chains(session)
    sealed, failed = [], []
    for r in report.results:
        if r.chain not in unsealed:
            continue
        if not r.ok:
            failed.append(r)
            continue
        tenant_id = None if r.chain == audit.INSTALLATION_CHAIN else int(r.chain[1:])
        with platform.db.installation_session(unscoped=True) as session:
            audit.record(session, tenant_id, "audit.sealed", actor="cli", up_to_seq=r.entries)
        sealed.append(r.chain)
    return sealed, failed


@audit_group.command(
    "rotate-key",
    help="Bytt revisjonsnøkkel: en ny nøkkel forsegler fra nå av; den gamle blir i nøkkelfilen, bare for "
    "kontroll av det den forseglet før byttet. Stopp server og arbeidere først.",
)
@json_option
@click.pass_context
@domain_errors
def audit_rotate_key(ctx, as_json: bool) -> None:
    platform = get_platform(ctx)
    key_file = platform.settings.resolved_audit_key_file
    if platform.db.sealing.key is None or key_file is None:
        raise InvalidInput(
            "KOMMUNEKI_AUDIT_KEY_FILE er ikke satt: lag en nøkkel med «kommuneki audit new-key»."
        )
    with platform.db.installation_session() as session:
        before = audit.verify_installation(session, platform.settings.checkpoint_dir)
    if before.exit_code == 1:
        raise InvalidInput(
            "Revisjonsloggen består ikke kontrollen («kommuneki audit verify --all»): nøkkelen byttes ikke, "
            "for da ville den nye nøkkelen gå god for en endret logg."
        )
    rotation = audit.rotate_key(platform.db, key_file)
    ctx.find_root().obj.pop("platform").close()
    platform = get_platform(ctx)  # seals with the new key from here on
    with platform.db.installation_session() as session:
        audit.record(session, None, "audit.key_rotated", actor="cli", **rotation)
    emit(
        {k: rotation[k] for k in ("old_key_id", "new_key_id")} | {"chains": len(rotation["heads"])},
        as_json,
        f"Ny revisjonsnøkkel {rotation['new_key_id']} i {key_file}; den gamle ({rotation['old_key_id']}) "
        f"kontrollerer bare {len(rotation['heads'])} kjeder fram til byttet. Ta en ny sikker kopi av "
        "nøkkelfilen.",
    )


@audit_group.command(
    "seal-existing",
    help="Forsegl kjeder skrevet før revisjonsnøkkelen ble satt: kontrollerer hver kjede og legger til "
    "én forseglet post (audit.sealed) som dekker alle før den.",
)
@json_option
@click.pass_context
@domain_errors
def audit_seal_existing(ctx, as_json: bool) -> None:
    platform = get_platform(ctx)
    if platform.db.sealing.key is None:
        raise InvalidInput(
            "KOMMUNEKI_AUDIT_KEY_FILE er ikke satt: lag en nøkkel med «kommuneki audit new-key»."
        )
    sealed, failed = _seal_existing(platform)
    for r in failed:
        emit(r.as_dict(), as_json, f"{r.chain}: ikke forseglet, FEIL ved post {r.first_bad_seq}: {r.problem}")
    emit({"sealed": sealed}, as_json, f"Forseglet {len(sealed)} kjeder: {', '.join(sealed) or 'ingen'}.")
    if failed:
        ctx.exit(1)


@audit_group.command(
    "export", help="Eksporter revisjonsloggen som JSON Lines (for en periode eller ett element)."
)
@tenant_option
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Fra og med dato.")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Til (ikke med) dato.")
@click.option("--item", "item_id", type=int, default=None, help="Bare poster om dette elementet.")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None, help="Fil (standard: stdout).")
@click.pass_context
@domain_errors
def audit_export(ctx, tenant, since: datetime | None, until: datetime | None, item_id, output) -> None:
    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    with platform.db.tenant_session(tenant_id) as session:
        rows = list(
            audit.export_rows(audit.query(session, tenant_id, since=since, until=until, item_id=item_id))
        )
        audit.record(
            session,
            tenant_id,
            "audit.exported",
            actor="cli",
            scope="item" if item_id else ("period" if since or until else "all"),
            entries=len(rows),
        )
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if output:
        output.write_text(text)
        progress(f"Skrev {len(rows)} poster til {output}")
    else:
        sys.stdout.write(text)


# --- backup ---------------------------------------------------------------------------------------


@main.group(name="backup", help="Sikkerhetskopi og gjenoppretting (docs/operations.md).")
def backup_group() -> None:
    pass


@backup_group.command(
    "create", help="Ta sikkerhetskopi av database, blobber, modeller og sjekkpunkter mens systemet kjører."
)
@click.argument("folder", type=click.Path(path_type=Path))
@json_option
@click.pass_context
@domain_errors
def backup_create(ctx, folder: Path, as_json: bool) -> None:
    from .core.backup import create_backup

    manifest = create_backup(get_platform(ctx), folder, progress=progress)
    entries = sum(seq for seq, _hash in manifest["heads"].values())
    emit(
        {k: manifest[k] for k in ("backup_id", "created_at", "dialect", "heads", "counts")}
        | {"folder": str(folder)},
        as_json,
        f"Sikkerhetskopi {manifest['backup_id']} i {folder}: {len(manifest['files'])} filer, "
        f"{len(manifest['heads'])} revisjonskjeder med {entries} poster. Revisjonsnøkkelen er ikke med: "
        "ta vare på den separat.",
    )


@backup_group.command(
    "restore",
    help="Gjenopprett en sikkerhetskopi til en ny, tom database og datamappe; kontrollerer filer og "
    "radtall og registrerer gjenopprettingen i revisjonsloggen.",
)
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@json_option
@click.pass_context
@domain_errors
def backup_restore(ctx, folder: Path, as_json: bool) -> None:
    from .bootstrap import build_platform
    from .core.audit_seal import AuditKeyError
    from .core.backup import restore_backup

    try:
        summary = restore_backup(folder, _settings(ctx), build_platform, progress=progress)
    except AuditKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    v = summary["verify"]
    emit(
        summary,
        as_json,
        f"Gjenopprettet sikkerhetskopi {summary['backup_id']} (tatt {summary['backup_at']}); radtallene "
        f"stemmer. Revisjonsloggen: {v['status']} (kode {v['exit_code']} fra «kommuneki audit verify»).",
    )
    if v["status"] == audit.TAMPERED:
        ctx.exit(1)


# --- models ---------------------------------------------------------------------------------------


@main.group(name="models", help="Modellregisteret.")
def models_group() -> None:
    pass


@models_group.command("list", help="List registrerte modellversjoner.")
@tenant_option
@json_option
@click.pass_context
def models_list(ctx, tenant, as_json) -> None:
    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    with platform.db.tenant_session(tenant_id) as session:
        rows = [modelreg.model_dict(m) for m in modelreg.list_models(session, tenant_id)]
    for r in rows:
        emit(r, as_json, f"{r['id']:>4}  {r['service']:<14} {r['name']} {r['version']}")


@models_group.command("export", help="Eksporter en modellversjon som pakke (modell + kort + sjekksum).")
@click.argument("model_id", type=int)
@click.option("--output", "-o", type=click.Path(path_type=Path), required=True)
@click.option(
    "--lawful-basis", default=None, help="Rettslig grunnlag, kreves for modeller trent på personopplysninger."
)
@tenant_option
@json_option
@click.pass_context
@domain_errors
def models_export(ctx, model_id, output, lawful_basis, tenant, as_json) -> None:
    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    with platform.db.tenant_session(tenant_id) as session:
        mv = modelreg.get_model(session, tenant_id, model_id)
        data = modelreg.export_package(
            session,
            mv,
            tenant_id=tenant_id,
            actor="cli",
            installation_id=platform.installation_id,
            lawful_basis=lawful_basis,
        )
    output.write_bytes(data)
    emit({"output": str(output), "bytes": len(data)}, as_json, f"Skrev {output} ({len(data)} byte).")


@models_group.command("import", help="Importer en modellpakke (sjekksummen kontrolleres).")
@click.argument("package", type=click.Path(exists=True, path_type=Path))
@tenant_option
@json_option
@click.pass_context
@domain_errors
def models_import(ctx, package, tenant, as_json) -> None:
    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    with platform.db.tenant_session(tenant_id) as session:
        mv = modelreg.import_package(
            session, package.read_bytes(), tenant_id=tenant_id, artifact_dir=platform.model_dir, actor="cli"
        )
        out = modelreg.model_dict(mv)
    emit(out, as_json, f"Importerte {out['name']} {out['version']} (id {out['id']}).")


# --- retention and erasure ------------------------------------------------------------------------


@main.group(name="retention", help="Oppbevaring, sletting og kassasjon.")
def retention_group() -> None:
    pass


@retention_group.command(
    "apply", help="Fjern innhold som har passert oppbevaringstiden i organisasjonens regler."
)
@tenant_option
@json_option
@click.pass_context
def retention_apply(ctx, tenant, as_json) -> None:
    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    with platform.db.tenant_session(tenant_id) as session:
        t = session.get(Tenant, tenant_id)
        rules = (t.settings or {}).get("retention", {})
        n = items.apply_retention(session, platform.blobs, tenant_id, rules)
    emit({"removed": n, "rules": rules}, as_json, f"Fjernet innholdet i {n} elementer.")


@retention_group.command("erase", help="Fjern innholdet i ett element (GDPR-sletting eller kassasjon).")
@click.argument("item_id", type=int)
@click.option("--reason", type=click.Choice(["erasure", "kassasjon"]), required=True)
@tenant_option
@json_option
@click.pass_context
@domain_errors
def retention_erase(ctx, item_id, reason, tenant, as_json) -> None:
    platform = get_platform(ctx)
    tenant_id = resolve_tenant_id(ctx, tenant)
    with platform.db.tenant_session(tenant_id) as session:
        item = session.get(Item, item_id)
        if item is None:
            raise NotFound("Elementet finnes ikke.")
        items.remove_content(session, platform.blobs, item, reason=reason, actor="cli")
    emit(
        {"item_id": item_id, "removed": reason},
        as_json,
        f"Innholdet i element {item_id} er fjernet ({reason}).",
    )


def _mount_service_commands() -> None:
    from .bootstrap import service_registry

    for spec in service_registry():
        if spec.cli:
            main.add_command(spec.cli_group, name=spec.command)


_mount_service_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
