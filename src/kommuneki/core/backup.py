"""Backup and restore of a whole installation, taken while it runs (docs/operations.md).

A backup is one folder:

* ``database.sqlite`` (SQLite's online backup API: one consistent snapshot, taken in a single step while
  other connections go on writing) or ``database.pgdump`` (``pg_dump --format=custom`` of an exported
  snapshot, the same one the row counts and chain heads in the manifest are read from);
* ``blobs/`` and ``models/``, copied *after* the snapshot, so that every blob and model artifact the
  snapshot refers to is there (blobs are written before the rows that name them; extra ones are harmless);
* ``audit-checkpoints/``, copied *before* the snapshot, so that no checkpoint is ahead of it;
* ``installation-id`` and ``manifest.json``: backup id, time, dialect, every chain's head (seq, hash) and
  every table's row count in the snapshot, the SHA-256 of each file, sealed with the audit key.

The audit key is not in the backup (it must never sit beside the data it protects): keep it apart.

Restore goes into a fresh database and an empty data folder, checks every file and every row count against
the manifest, then appends ``audit.restored`` (with the heads at the backup) to the installation chain and
ships a restore record, so that ``kommuneki audit verify`` reports the entries lost since the backup as a
restore (exit 3), not as tampering (exit 1).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url

from . import audit
from .audit_seal import Keyring, as_keyring, seal, ship, write_checkpoint
from .errors import Conflict, InvalidInput

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite"
PG_FILE = "database.pgdump"
COPIED = ("blobs", "models")


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _copy_tree(src: Path, dst: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".incoming-*", "*.tmp", ".lock"))


def _snapshot_facts(conn: Connection) -> dict[str, Any]:
    """Row counts of every table and each chain's head, read in the snapshot's transaction."""
    tables = sorted(inspect(conn).get_table_names())
    counts = {t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in tables}
    heads = {
        chain: [seq, hash_]
        for chain, seq, hash_ in conn.execute(text("SELECT chain, seq, hash FROM audit_head ORDER BY chain"))
    }
    return {"counts": counts, "heads": heads}


def _libpq(url) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password (which goes in PGPASSWORD, not on the command line)."""
    url = make_url(url) if isinstance(url, str) else url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise InvalidInput(f"{cmd[0]} finnes ikke: installer postgresql-client.") from exc
    if done.returncode != 0:
        raise InvalidInput(f"{cmd[0]} feilet: {done.stderr.strip()[-500:]}")


def create_backup(platform, out: Path, progress: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """Back up the running installation into the new folder ``out``; returns the manifest."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise Conflict(f"{out} finnes og er ikke tom: velg en ny mappe for sikkerhetskopien.")
    out.mkdir(parents=True, exist_ok=True)
    settings = platform.settings
    sealing = platform.db.sealing
    progress("Kopierer revisjonssjekkpunktene …")
    _copy_tree(settings.checkpoint_dir, out / "audit-checkpoints")
    engine = platform.db.engine
    progress("Tar øyeblikksbilde av databasen …")
    if engine.dialect.name == "sqlite":
        src = sqlite3.connect(engine.url.database, timeout=30)
        dst = sqlite3.connect(out / SQLITE_FILE)
        try:
            src.backup(dst)  # pages=-1: the whole database in one step, a consistent snapshot
        finally:
            src.close()
            dst.close()
        snap = create_engine(f"sqlite:///{out / SQLITE_FILE}")
        with snap.connect() as conn:
            facts = _snapshot_facts(conn)
        snap.dispose()
        database_file = SQLITE_FILE
    elif engine.dialect.name == "postgresql":
        libpq, env = _libpq(engine.url)
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                facts = _snapshot_facts(conn)
                _run(
                    [
                        "pg_dump",
                        "--format=custom",
                        "--no-owner",
                        "--no-privileges",
                        f"--snapshot={snapshot}",
                        f"--file={out / PG_FILE}",
                        f"--dbname={libpq}",
                    ],
                    env,
                )
        database_file = PG_FILE
    else:
        raise InvalidInput(f"Sikkerhetskopi støttes ikke for {engine.dialect.name}.")
    progress("Kopierer blobber og modeller …")
    for name in COPIED:
        _copy_tree(settings.data_dir / name, out / name)
    shutil.copy2(settings.data_dir / "installation-id", out / "installation-id")
    files = {str(p.relative_to(out)): _sha256_file(p) for p in sorted(out.rglob("*")) if p.is_file()}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "backup_id": uuid.uuid4().hex[:12],
        "created_at": audit.now_iso(),
        "installation": platform.installation_id,
        "dialect": engine.dialect.name,
        "database_file": database_file,
        "heads": facts["heads"],
        "counts": facts["counts"],
        "files": files,
    }
    if sealing.key is not None:
        manifest = seal(sealing.key, manifest)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def read_manifest(backup: Path, key: "bytes | Keyring | None") -> dict[str, Any]:
    try:
        manifest = json.loads((Path(backup) / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{backup} er ikke en sikkerhetskopi fra «kommuneki backup create».") from exc
    if manifest.get("format") != FORMAT:
        raise InvalidInput(f"Ukjent format på sikkerhetskopien: {manifest.get('format')}.")
    if key is not None and not as_keyring(key).record_ok(manifest):
        raise InvalidInput(
            "Sikkerhetskopiens manifest er ikke forseglet med denne revisjonsnøkkelen (endret, eller en "
            "annen installasjons nøkkel)."
        )
    for rel, digest in manifest["files"].items():
        path = Path(backup) / rel
        if not path.is_file() or _sha256_file(path) != digest:
            raise InvalidInput(f"Sikkerhetskopien er skadet: {rel} mangler eller er endret.")
    return manifest


def _target_is_fresh(settings) -> None:
    data_dir = settings.data_dir
    taken = [n for n in ("blobs", "models", "audit-checkpoints") if (data_dir / n).exists()]
    if taken:
        raise Conflict(
            f"Datamappen {data_dir} er ikke tom ({', '.join(taken)}): gjenopprett til en ny mappe."
        )
    engine = create_engine(settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise Conflict("Databasen er ikke tom: gjenopprett til en ny, tom database.")


def restore_backup(
    backup: Path,
    settings,
    build_platform: Callable[[Any], Any],
    progress: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Restore ``backup`` into the fresh database and data folder of ``settings``; ``build_platform``
    makes the platform afterwards (migrations newer than the backup are applied). Returns a summary."""
    from .audit_seal import Keyring, load_key, load_retired

    backup = Path(backup)
    key_file = settings.resolved_audit_key_file
    key = load_key(key_file) if key_file is not None else None
    # a backup made before a key rotation is sealed with the (now retired) key it was made with
    manifest = read_manifest(backup, Keyring(key, load_retired(key_file)) if key is not None else None)
    _target_is_fresh(settings)
    url = settings.resolved_database_url
    dialect = make_url(url).get_backend_name()
    if dialect != manifest["dialect"]:
        raise InvalidInput(f"Sikkerhetskopien er av en {manifest['dialect']}-database, målet er {dialect}.")
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    progress("Gjenoppretter databasen …")
    if dialect == "sqlite":
        target = Path(make_url(url).database)
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(backup / SQLITE_FILE)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
    else:
        libpq, env = _libpq(url)
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={libpq}",
                str(backup / PG_FILE),
            ],
            env,
        )
    progress("Gjenoppretter blobber, modeller og sjekkpunkter …")
    for name in (*COPIED, "audit-checkpoints"):
        _copy_tree(backup / name, data_dir / name)
    shutil.copy2(backup / "installation-id", data_dir / "installation-id")
    platform = build_platform(settings)
    try:
        platform.upgrade_db()
        with platform.db.engine.connect() as conn:
            counts = _snapshot_facts(conn)["counts"]
        differ = {
            t: (n, counts.get(t))
            for t, n in manifest["counts"].items()
            if t != "alembic_version" and counts.get(t) != n
        }
        if differ:
            raise InvalidInput(f"Radtallene stemmer ikke med sikkerhetskopien: {differ}")
        heads = manifest["heads"]
        sealing = platform.db.sealing
        # the restore record goes out first, so that the shipped log reads: heads up to the loss, the
        # restore (back to the backup's heads), then the heads that follow from here
        if sealing.ship_to:
            ship(
                sealing.ship_to,
                sealing.restore_record(heads, manifest["backup_id"], manifest["created_at"]),
                sealing.spool_dir,
            )
        for chain, (seq, hash_) in heads.items():
            write_checkpoint(platform.settings.checkpoint_dir, chain, seq, hash_, manifest["created_at"], key)
        with platform.db.installation_session() as session:
            audit.record(
                session,
                None,
                "audit.restored",
                actor="cli",
                backup_id=manifest["backup_id"],
                backup_at=manifest["created_at"],
                heads=heads,
            )
        with platform.db.installation_session() as session:
            report = audit.verify_installation(session, platform.settings.checkpoint_dir)
    finally:
        platform.close()
    return {
        "backup_id": manifest["backup_id"],
        "backup_at": manifest["created_at"],
        "counts": manifest["counts"],
        "heads": heads,
        "verify": {
            "status": report.status,
            "exit_code": report.exit_code,
            "chains": [r.as_dict() for r in report.results],
            "problems": report.problems,
        },
    }
