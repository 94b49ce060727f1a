"""kill -9 during `skjerming scan --tenant` once a document is stored, then the same run again: every
document is stored once (dedupe on the content hash per tenant and service), the one left ``received``
is screened, and each has its suggestions once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import make_platform

N = 6


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as c:
            return c.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_scan_killed_after_storing_then_run_again(tmp_path):
    from kommuneki.core import accounts

    data_dir = tmp_path / "data"
    platform = make_platform(data_dir)
    platform.upgrade_db()
    with platform.db.installation_session() as s:
        accounts.create_tenant(s, slug="kill", name="Kill kommune", actor="test")
    platform.close()
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(N):
        (docs / f"d{i}.txt").write_text(f"Vedtak {i}: søker med fødselsnummer 26078704828.", encoding="utf-8")
    db = data_dir / "kommuneki.db"
    items = "select count(*) from item where service = 'skjerming'"
    args = [sys.executable, "-m", "kommuneki", "--data-dir", str(data_dir), "skjerming", "scan", str(docs)]
    args += ["--tenant", "kill", "--json"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if _count(db, items) >= 1:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(60)
    killed_with = _count(db, items)
    assert killed_with >= 1
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _count(db, items) == N  # nothing stored twice
    assert _count(db, f"{items} and state = 'received'") == 0
    per_item = "select count(*) from suggestion where service = 'skjerming' and kind = 'skjerming.innsyn'"
    assert _count(db, per_item) == N  # each screened once
