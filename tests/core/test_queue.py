"""Background jobs on the task queue (core/queue.py): real worker processes (`kommuneki worker`) on the
SQLite broker of the embedded installation and on Redis and PostgreSQL brokers of a shared one. A worker
killed with SIGKILL mid-task: a second worker finishes the job, and nothing is lost or done twice."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from kommuneki.core import accounts, jobs, queue, tasks
from kommuneki.core.models import AuditEntry, Item, Job, Suggestion
from kommuneki.services.malform import service as malform
from tests.conftest import free_port, make_platform
from tests.core.conftest import STALE_S

BOKMAL = (
    "Kommunen har mottatt søknaden din om tilskudd til oppgradering av boligen. Vi behandler søknaden så "
    "snart vi kan, og du får svar innen tre uker. Ta kontakt med servicetorget hvis du har spørsmål. "
)
NYNORSK = (
    "Kommunen har motteke søknaden din om tilskot til oppgradering av bustaden. Vi handsamar søknaden så "
    "snart vi kan, og du får svar innan tre veker. Ta kontakt med servicetorget dersom du har spørsmål. "
)


def _tenant(platform) -> int:
    with platform.db.installation_session() as session:
        return accounts.create_tenant(session, slug="ko", name="Kø kommune", actor="test").id


def _batch(platform, tenant_id: int, n: int, size: int = 1) -> list[int]:
    ids = []
    for i in range(n):
        text = (BOKMAL if i % 2 else NYNORSK) * size + f"Saksnummer 2026/{i}."
        ids.append(
            malform.store_document(platform, tenant_id, text.encode(), filename=f"brev-{i}.txt", actor="test")
        )
    return ids


def _submit(platform, tenant_id: int, item_ids: list[int]) -> int:
    return tasks.submit(
        platform, tenant_id, malform.BATCH_TASK, {"item_ids": item_ids, "actor": "test"}, actor="test"
    )


def _count(platform, tenant_id: int, *where) -> int:
    with platform.db.read_session(tenant_id) as session:
        return session.scalar(select(func.count()).select_from(where[0]).where(*where[1:]))


def test_a_worker_process_runs_the_job_and_the_page_shows_its_end(queued):
    tenant_id = _tenant(queued)
    ids = _batch(queued, tenant_id, 4)
    job_id = _submit(queued, tenant_id, ids)
    job = jobs.get(queued, tenant_id, job_id)
    assert job["state"] == "queued" and job["state_label"] == "I kø" and job["active"]
    queued.start_worker()
    done = jobs.wait(queued, tenant_id, job_id, timeout=60)
    assert done["state"] == "done", done
    assert done["result"]["analysed"] == 4 and done["attempts"] == 1
    assert _count(queued, tenant_id, Suggestion, Suggestion.item_id.in_(ids)) == 4
    finished = (AuditEntry.event == "job.finished", AuditEntry.subject_id == str(job_id))
    assert _count(queued, tenant_id, AuditEntry, *finished) == 1  # (the worker also ran the retention)


def test_a_worker_killed_mid_task_is_replaced_and_nothing_is_lost_or_doubled(queued):
    tenant_id = _tenant(queued)
    ids = _batch(queued, tenant_id, 40, size=10)
    job_id = _submit(queued, tenant_id, ids)
    first = queued.start_worker()
    deadline = time.monotonic() + 90
    while True:  # wait until the worker is inside the task, part of the batch done
        seen = queued.task_queue.progress(job_id) or {}
        if 0.05 <= float(seen.get("progress") or 0) < 0.6:
            break
        assert time.monotonic() < deadline, "the worker never got going"
        assert jobs.get(queued, tenant_id, job_id)["state"] != "done", "the batch finished before the kill"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    partly = _count(queued, tenant_id, Item, Item.id.in_(ids), Item.state == "analysed")
    assert 0 < partly < len(ids)
    assert jobs.get(queued, tenant_id, job_id)["state"] == "running"  # not yet known to be dead
    queued.start_worker()
    done = jobs.wait(queued, tenant_id, job_id, timeout=120)
    assert done["state"] == "done", done
    assert done["attempts"] == 2
    assert done["result"]["skipped"] == partly  # the second run only did what was left
    # every document analysed exactly once: one suggestion and one audit entry each
    assert _count(queued, tenant_id, Item, Item.id.in_(ids), Item.state == "analysed") == len(ids)
    assert _count(queued, tenant_id, Suggestion, Suggestion.item_id.in_(ids)) == len(ids)
    with queued.db.read_session(tenant_id) as session:
        per_item = session.execute(
            select(Suggestion.item_id, func.count())
            .where(Suggestion.item_id.in_(ids))
            .group_by(Suggestion.item_id)
        ).all()
        created = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.event == "suggestion.created")
        )
    assert {n for _item, n in per_item} == {1}
    assert created == len(ids)
    assert _count(queued, tenant_id, AuditEntry, AuditEntry.event == "job.retried") == 1


def test_a_duplicate_message_does_not_run_the_job_twice(sqlite_queued):
    platform = sqlite_queued
    tenant_id = _tenant(platform)
    ids = _batch(platform, tenant_id, 2)
    job_id = _submit(platform, tenant_id, ids)
    platform.task_queue.enqueue(job_id, tenant_id)  # the same job on the queue twice
    results = []
    while (task := platform.task_queue.huey.dequeue()) is not None:
        results.append(queue.run_job(platform, platform.task_queue, *task.args))
    assert sorted(results) == ["done", "skipped"]
    assert jobs.get(platform, tenant_id, job_id)["attempts"] == 1
    assert _count(platform, tenant_id, Suggestion, Suggestion.item_id.in_(ids)) == 2


def test_a_job_whose_worker_died_three_times_fails_with_the_reason(sqlite_queued):
    platform = sqlite_queued
    tenant_id = _tenant(platform)
    job_id = _submit(platform, tenant_id, _batch(platform, tenant_id, 1))
    for attempt in range(1, queue.MAX_ATTEMPTS + 1):
        with platform.db.tenant_session(tenant_id) as session:  # a worker claims it, then dies silently
            job = session.get(Job, job_id)
            assert job.state == "queued"
            job.state, job.run_token, job.attempts = "running", f"run-{attempt}", attempt
        counts = queue.reap(platform, platform.task_queue, now=time.time() + STALE_S + 1)
        expected = (
            {"retried": 1, "failed": 0} if attempt < queue.MAX_ATTEMPTS else {"retried": 0, "failed": 1}
        )
        assert counts == expected
    job = jobs.get(platform, tenant_id, job_id)
    assert job["state"] == "failed" and not job["active"]
    assert "stoppet 3 ganger" in job["error"]
    # a job whose worker still beats is left alone
    job_id = _submit(platform, tenant_id, _batch(platform, tenant_id, 1))
    with platform.db.tenant_session(tenant_id) as session:
        job = session.get(Job, job_id)
        job.state, job.run_token, job.attempts = "running", "alive", 1
    platform.task_queue.beat(job_id, "alive", 0.5, "Halvveis")
    assert queue.reap(platform, platform.task_queue) == {"retried": 0, "failed": 0}
    assert jobs.get(platform, tenant_id, job_id)["message"] == "Halvveis"


def test_a_queued_job_can_be_cancelled_and_is_then_never_run(sqlite_queued):
    platform = sqlite_queued
    tenant_id = _tenant(platform)
    ids = _batch(platform, tenant_id, 2)
    job_id = _submit(platform, tenant_id, ids)
    assert queue.cancel(platform, tenant_id, job_id, actor="user:1") == "cancelled"
    task = platform.task_queue.huey.dequeue()
    assert queue.run_job(platform, platform.task_queue, *task.args) == "skipped"
    job = jobs.get(platform, tenant_id, job_id)
    assert job["state"] == "cancelled" and job["state_label"] == "Stoppet av bruker"
    assert _count(platform, tenant_id, Suggestion, Suggestion.item_id.in_(ids)) == 0
    assert _count(platform, tenant_id, AuditEntry, AuditEntry.event == "job.cancelled") == 1


def test_a_running_job_stops_at_its_next_step_when_cancelled(sqlite_queued, monkeypatch):
    import threading

    platform = sqlite_queued
    tenant_id = _tenant(platform)
    ids = _batch(platform, tenant_id, 200, size=20)
    job_id = _submit(platform, tenant_id, ids)
    task = platform.task_queue.huey.dequeue()
    monkeypatch.setattr(queue, "CANCEL_CHECK_EVERY_S", 0.0)
    ended = []
    runner = threading.Thread(
        target=lambda: ended.append(queue.run_job(platform, platform.task_queue, *task.args)), daemon=True
    )
    runner.start()
    deadline = time.monotonic() + 60
    while float((platform.task_queue.progress(job_id) or {}).get("progress") or 0) <= 0:
        assert time.monotonic() < deadline and runner.is_alive()
        time.sleep(0.02)
    assert queue.cancel(platform, tenant_id, job_id, actor="user:1") == "running"
    runner.join(60)
    assert ended == ["cancelled"]
    job = jobs.get(platform, tenant_id, job_id)
    assert job["state"] == "cancelled" and job["error"] == queue.CANCELLED_MESSAGE
    analysed = _count(platform, tenant_id, Item, Item.id.in_(ids), Item.state == "analysed")
    assert 0 < analysed < len(ids)  # what was done before the stop stays done, each with its suggestion
    assert _count(platform, tenant_id, Suggestion, Suggestion.item_id.in_(ids)) == analysed


def test_serve_starts_a_worker_beside_the_web_server_and_stops_it(tmp_path, sqlite_template):
    shutil.copy(sqlite_template, tmp_path / "kommuneki.db")
    port = free_port()
    env = {**os.environ, "KOMMUNEKI_TASK_QUEUE": "sqlite", "KOMMUNEKI_PORT": str(port)}
    server = subprocess.Popen(
        [sys.executable, "-m", "kommuneki", "--data-dir", str(tmp_path), "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        platform = make_platform(tmp_path, task_queue="sqlite")
        tenant_id = _tenant(platform)
        ids = _batch(platform, tenant_id, 2)
        job_id = _submit(platform, tenant_id, ids)
        assert jobs.wait(platform, tenant_id, job_id, timeout=60)["state"] == "done"
        children = _children(server.pid)
        assert any("worker" in cmd for cmd in children.values()), children
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
    time.sleep(0.5)
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists() and _alive(pid)]
    platform.close()


def _children(pid: int) -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_job_page_shows_a_queued_job_and_its_stop_button_stops_it(sqlite_queued):
    import re

    from kommuneki.core.models import User
    from kommuneki.web.app import create_app
    from tests.conftest import login_client

    platform = sqlite_queued
    tenant_id = _tenant(platform)
    with platform.db.installation_session() as session:
        user = accounts.create_user(
            session, username="kari", password="et-passord-for-ko", actor="t", via="t"
        )
    with platform.db.tenant_session(tenant_id) as session:
        accounts.grant_role(session, tenant_id, session.get(User, user.id), "saksbehandler", actor="test")
    job_id = _submit(platform, tenant_id, _batch(platform, tenant_id, 1))
    client = login_client(create_app(platform=platform), "kari", "et-passord-for-ko")
    try:
        page = client.get(f"/jobber/{job_id}")
        assert page.status_code == 200
        assert "I kø" in page.text and "Venter på en ledig arbeider" in page.text
        assert "Stopp jobben" in page.text and 'src="/static/jobs.js"' in page.text
        assert client.get(f"/jobber/{job_id}/avbryt").status_code == 405  # a GET never stops a job
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        stopped = client.post(f"/jobber/{job_id}/avbryt", data={"csrf_token": token}, follow_redirects=True)
        assert stopped.status_code == 200
        assert "Jobben er stoppet." in stopped.text and "Stoppet av bruker" in stopped.text
        assert "Stopp jobben" not in stopped.text
        api = client.get(f"/api/v1/jobs/{job_id}").json()
        assert api["state"] == "cancelled" and api["cancel_requested"] is True
    finally:
        client.close()
