"""kill -9 during `postmottak import DIR`, at three points (after the first message is stored, half way,
before the last), then a run to the end: every message is taken in exactly once (no duplicate of what
was already taken in) and none is left ``received``."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import make_platform

from kommuneki.services.postmottak import corpus

N = 12


def _count(db: Path, where: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as c:
            return c.execute(f"select count(*) from {where}").fetchone()[0]
    except sqlite3.OperationalError:  # not migrated yet, or locked for a moment
        return 0


def _run_and_kill(args: list[str], db: Path, stored_at_least: int) -> None:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if _count(db, "item where service = 'postmottak'") >= stored_at_least:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.01)
    proc.wait(60)


def test_import_killed_at_three_points_then_finished(tmp_path):
    from kommuneki.core import accounts

    data_dir = tmp_path / "data"
    platform = make_platform(data_dir)
    platform.upgrade_db()
    with platform.db.installation_session() as s:
        accounts.create_tenant(s, slug="kill", name="Kill kommune", actor="test")
    platform.close()
    inbox = tmp_path / "inn"
    inbox.mkdir()
    for i, m in enumerate(corpus.generate(N, split="heldout", seed=91)):
        (inbox / f"m{i:02d}.eml").write_bytes(m.raw)
    db = data_dir / "kommuneki.db"
    args = [sys.executable, "-m", "kommuneki", "--data-dir", str(data_dir), "postmottak", "import"]
    args += [str(inbox), "--tenant", "kill", "--json"]
    for point in (1, N // 2, N - 1):
        _run_and_kill(args, db, point)
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _count(db, "item where service = 'postmottak'") == N  # nothing taken in twice
    assert _count(db, "postmottak_message") == N
    assert _count(db, "postmottak_message where state = 'received'") == 0  # nothing left behind
    # the finishing run met what the killed runs had stored, and took none of it in again
    assert '"already_taken_in": true' in done.stdout
