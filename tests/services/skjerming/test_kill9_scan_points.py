"""kill -9 of `skjerming scan --tenant` at three exact points of its third document, then the same run
again (issue 12): right after the bytes are stored and committed, in the middle of extracting the text,
and after its suggestions are written but before the transaction that marks it screened commits. Each
time the second run stores nothing twice, screens the document left ``received``, and every document ends
with its suggestion exactly once.

The process is a real ``python -m kommuneki``-like child that kills itself with SIGKILL at the point: the
real function runs (the store commits, the suggestion row is written in the open transaction) and the
process dies without any cleanup, as with kill -9 from outside, only at a point chosen exactly."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import make_platform

N = 5
KILL_AT = 3  # the third document

CHILD = r"""
import os, signal, sys
point, n = sys.argv[1], int(sys.argv[2])
calls = [0]

def die_after(fn):
    def wrapped(*args, **kwargs):
        result = fn(*args, **kwargs)
        calls[0] += 1
        if calls[0] >= n:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return wrapped

def die_during(fn):
    def wrapped(*args, **kwargs):
        calls[0] += 1
        if calls[0] >= n:  # the text is being read: nothing of it is returned
            os.kill(os.getpid(), signal.SIGKILL)
        return fn(*args, **kwargs)
    return wrapped

def die_after_first_suggestion_of_nth_item(fn):
    items = []
    def wrapped(*args, **kwargs):
        result = fn(*args, **kwargs)
        if kwargs.get("item_id") not in items:
            items.append(kwargs.get("item_id"))
            if len(items) >= n:  # its first suggestion is written, the transaction still open
                os.kill(os.getpid(), signal.SIGKILL)
        return result
    return wrapped

import kommuneki.ingest as ingest
from kommuneki.core import arrival, suggestions
if point == "stored":
    arrival.Arrivals.store = die_after(arrival.Arrivals.store)
elif point == "extracting":
    ingest.decode_text = die_during(ingest.decode_text)
elif point == "suggested":
    suggestions.suggest = die_after_first_suggestion_of_nth_item(suggestions.suggest)
from kommuneki.cli import main
main(sys.argv[3:], prog_name="kommuneki")
"""


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
        return c.execute(sql).fetchone()[0]


@pytest.mark.parametrize("point", ["stored", "extracting", "suggested"])
def test_scan_killed_at_a_point_then_run_again_finishes_each_document_once(tmp_path, point):
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
    cli = ["--data-dir", str(data_dir), "skjerming", "scan", str(docs), "--tenant", "kill", "--json"]
    killed = subprocess.run(
        [sys.executable, "-c", CHILD, point, str(KILL_AT), *cli], capture_output=True, text=True, timeout=300
    )
    assert killed.returncode == -9, killed.stderr[-2000:]  # it died at the point, by SIGKILL
    items = "select count(*) from item where service = 'skjerming'"
    innsyn = "select count(*) from suggestion where service = 'skjerming' and kind = 'skjerming.innsyn'"
    left = _count(db, f"{items} and state = 'received'")
    before = {"items": _count(db, items), "suggestions": _count(db, innsyn), "received": left}
    # the kill came at the third document: two are done, the third is stored (or, killed while it was
    # being stored... never: "stored" kills after the commit) and left received, with no suggestion
    assert before == {"items": KILL_AT, "suggestions": KILL_AT - 1, "received": 1}, before
    done = subprocess.run(
        [sys.executable, "-m", "kommuneki", *cli], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _count(db, items) == N  # nothing stored twice
    assert _count(db, f"{items} and state = 'received'") == 0
    assert _count(db, innsyn) == N  # each screened once
    per_item = (
        "select count(*) from (select item_id from suggestion where service = 'skjerming' and "
        "kind = 'skjerming.innsyn' group by item_id having count(*) = 1)"
    )
    assert _count(db, per_item) == N
