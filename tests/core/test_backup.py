"""The backup and restore drill (issue 15, "Reliability"): a backup taken while writes go on restores into a
fresh database and data folder with the same row counts and blobs; `audit verify` then reports the restore
with its own exit code (3), naming the entries lost since the backup as far as they were shipped, and not
as tampering. SQLite (online backup API) and PostgreSQL (pg_dump of an exported snapshot)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text

from kommuneki.config import Settings
from kommuneki.core import accounts, audit
from kommuneki.core.audit_seal import new_key_file
from kommuneki.core.backup import create_backup, restore_backup
from kommuneki.core.errors import Conflict, InvalidInput
from kommuneki.core.models import AuditEntry, Unit
from kommuneki.core.platform import Platform
from tests.conftest import PG_ADMIN_URL, _sa_url, make_platform


@pytest.fixture
def outside(tmp_path_factory):
    return tmp_path_factory.mktemp("outside")


@pytest.fixture
def fresh_url(db_url, tmp_path_factory):
    """An empty target database of the same kind as ``db_url`` (not migrated)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path_factory.mktemp('restored-db') / 'kommuneki.db'}"
        return
    name = f"kommuneki_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_sa_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _sa_url(PG_ADMIN_URL).rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


WRITER = """
import sys, pathlib
from kommuneki.config import Settings
from kommuneki.core import accounts
from kommuneki.core.platform import Platform
data, url, key, ship, tenant, progress = sys.argv[1:]
p = Platform.from_settings(Settings(data_dir=data, database_url=url, audit_key_file=key, audit_ship_to=ship))
stop, n = pathlib.Path(progress + ".stop"), 0
while not stop.exists():
    with p.db.tenant_session(int(tenant)) as s:
        accounts.create_unit(s, int(tenant), code=f"w-{n}", name="W", email="w@x.test", actor="worker")
    n += 1
    pathlib.Path(progress + ".tmp").write_text(str(n))
    pathlib.Path(progress + ".tmp").replace(progress)
p.close()
"""


class Writer:
    """Another process that keeps committing (a unit and its audit entry per transaction), as a worker
    does, until told to stop."""

    def __init__(self, tmp: Path, *args):
        self.progress = tmp / "writer-progress"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, *map(str, args), str(self.progress)],
            stderr=subprocess.PIPE,
            text=True,
        )

    @property
    def done(self) -> int:
        try:
            return int(self.progress.read_text())
        except (FileNotFoundError, ValueError):
            return 0

    def wait_for(self, n: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.done < n:
            if self.proc.poll() is not None:
                raise AssertionError(f"the writer stopped: {self.proc.stderr.read()}")
            assert time.monotonic() < deadline, f"the writer made {self.done} of {n} writes"
            time.sleep(0.02)

    def stop(self) -> None:
        Path(str(self.progress) + ".stop").touch()
        self.proc.wait(30)
        assert self.proc.returncode == 0, self.proc.stderr.read()


def test_backup_while_writing_then_restore_reports_the_gap_as_a_restore(
    db_url, tmp_path, tmp_path_factory, outside, fresh_url
):
    key, shipped = outside / ".kommuneki-audit-test.key", outside / "shipped.jsonl"
    new_key_file(key)
    settings = {"audit_key_file": key, "audit_ship_to": f"file:{shipped}"}
    live = make_platform(tmp_path, db_url, **settings)
    with live.db.installation_session() as s:
        tid = accounts.create_tenant(s, slug="drill", name="Drill").id
    blob = live.blobs.put(tid, b"raw e-mail bytes, stored before parsing")
    writer = Writer(outside, tmp_path, db_url, key, f"file:{shipped}", tid)
    try:
        writer.wait_for(5)
        backup = tmp_path_factory.mktemp("backups") / "b1"
        manifest = create_backup(live, backup)
        writer.wait_for(writer.done + 3)
    finally:
        writer.stop()
    with live.db.installation_session() as s:
        final_seq = s.scalar(select(func.max(AuditEntry.seq)).where(AuditEntry.chain == f"t{tid}"))
        assert _report(s, live).exit_code == 0
    live.close()

    at_backup = manifest["heads"][f"t{tid}"][0]
    assert 5 < at_backup < final_seq  # taken mid-stream, with writes after it
    assert manifest["counts"]["unit"] == at_backup - 1  # tenant.created + one entry per unit: consistent

    target_dir = tmp_path_factory.mktemp("restored-data")
    target = Settings(data_dir=target_dir, database_url=fresh_url, **settings)
    summary = restore_backup(backup, target, Platform.from_settings)
    chains = {c["chain"]: c for c in summary["verify"]["chains"]}
    assert summary["verify"]["exit_code"] == 3, summary["verify"]
    t = chains[f"t{tid}"]
    assert t["status"] == "restored" and t["restored_to"] == at_backup
    assert t["missing"] == [at_backup + 1, final_seq]
    assert (
        f"restored to entry {at_backup}; entries after it since the last shipped checkpoint" in t["problem"]
    )

    restored = Platform.from_settings(target)
    try:
        with restored.db.installation_session(unscoped=True) as s:
            assert s.scalar(select(func.count()).select_from(Unit)) == manifest["counts"]["unit"]
        assert restored.blobs.get(tid, blob) == b"raw e-mail bytes, stored before parsing"
        # the restored installation goes on writing; the log stays "restored", never "tampered"
        with restored.db.tenant_session(tid) as s:
            accounts.create_unit(s, tid, code="etter", name="Etter", email="e@x.test", actor="test")
    finally:
        restored.close()
    env = {"KOMMUNEKI_AUDIT_KEY_FILE": str(key), "KOMMUNEKI_AUDIT_SHIP_TO": f"file:{shipped}"}
    args = ["--data-dir", str(target_dir), "--database-url", fresh_url, "audit", "verify", "--all", "--json"]
    from kommuneki.cli import main

    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 3, result.output
    rows = {r.get("chain"): r for r in map(json.loads, result.stdout.splitlines())}
    assert rows[f"t{tid}"]["missing"] == [at_backup + 1, final_seq]
    assert rows[audit.INSTALLATION_CHAIN]["status"] == "restored"


def _report(session, platform):
    return audit.verify_installation(session, platform.settings.checkpoint_dir)


def test_restore_refuses_a_used_target_and_a_damaged_backup(db_url, tmp_path, tmp_path_factory, fresh_url):
    live = make_platform(tmp_path, db_url)
    with live.db.installation_session() as s:
        accounts.create_tenant(s, slug="drill", name="Drill")
    backup = tmp_path_factory.mktemp("backups") / "b"
    create_backup(live, backup)
    # the live installation itself is not a fresh target
    with pytest.raises(Conflict):
        restore_backup(backup, live.settings, Platform.from_settings)
    live.close()
    manifest = json.loads((backup / "manifest.json").read_text())
    (backup / manifest["database_file"]).write_bytes(b"not a database")
    with pytest.raises(InvalidInput, match="skadet"):
        target = Settings(data_dir=tmp_path_factory.mktemp("t"), database_url=fresh_url)
        restore_backup(backup, target, Platform.from_settings)
