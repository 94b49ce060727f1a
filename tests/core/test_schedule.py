"""Scheduled tasks (core/schedule.py): every declared ``TaskSpec`` with ``every_s`` is started for every
tenant as a job on the real task queue (Huey on its SQLite storage; the database SQLite and PostgreSQL),
once per interval, never twice by two workers, never while one of its jobs is active; the daily
retention runs and records its removals. The last test runs two real ``kommuneki worker`` processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from kommuneki.core import accounts, items, jobs, queue, schedule
from kommuneki.core.db import utcnow
from kommuneki.core.models import AuditEntry, Item, Job, Tenant
from tests.conftest import make_platform

RETENTION = "core.retention"
DAY = timedelta(days=1)


@pytest.fixture
def scheduled(db_url, tmp_path):
    platform = make_platform(tmp_path, db_url, task_queue="sqlite")
    platform.task_queue.huey.flush()
    yield platform
    platform.task_queue.huey.flush()
    platform.close()


@pytest.fixture
def sqlite_scheduled(tmp_path, sqlite_template):
    shutil.copy(sqlite_template, tmp_path / "kommuneki.db")
    platform = make_platform(tmp_path, task_queue="sqlite")
    platform.task_queue.huey.flush()
    yield platform
    platform.task_queue.huey.flush()
    platform.close()


def _tenants(platform, n: int = 2) -> list[int]:
    with platform.db.installation_session() as session:
        return [
            accounts.create_tenant(session, slug=f"k{i}", name=f"Kommune {i}", actor="test").id
            for i in range(n)
        ]


def _jobs(platform, task: str = RETENTION) -> list[Job]:
    with platform.db.read_session(unscoped=True) as session:
        return list(session.scalars(select(Job).where(Job.task == task).order_by(Job.tenant_id, Job.id)))


def _run_queued(platform) -> list[str]:
    """Be the worker: run every message on the queue (as Huey's consumer would)."""
    ended = []
    while (task := platform.task_queue.huey.dequeue()) is not None:
        ended.append(queue.run_job(platform, platform.task_queue, *task.args))
    return ended


def test_a_due_task_is_started_once_per_tenant_then_not_while_active_nor_before_its_interval(scheduled):
    platform = scheduled
    tenant_ids = _tenants(platform)
    assert RETENTION in {t.name for t in schedule.scheduled(platform)}

    counts = schedule.run_due(platform)
    started = _jobs(platform)
    assert [(j.tenant_id, j.schedule_run, j.state) for j in started] == [(t, 1, "queued") for t in tenant_ids]
    assert {j.created_by for j in started} == {"system"} and counts["started"] >= len(tenant_ids)
    assert platform.task_queue.pending() == counts["started"]  # one message per job started
    job = jobs.get(platform, tenant_ids[0], started[0].id)  # what /jobber/{id} shows
    assert job["title"] == "Sletting etter oppbevaringsreglene" and job["state_label"] == "I kø"

    # while queued (or running) it is not started again
    again = schedule.run_due(platform, now=utcnow() + 2 * DAY)
    assert again["started"] == 0 and again["active"] >= len(tenant_ids)
    assert len(_jobs(platform)) == len(tenant_ids)
    assert again["resent"] == counts["started"]  # (waited two days: its message is sent again)

    assert sorted(set(_run_queued(platform))) == ["done", "skipped"]  # the second message is a no-op
    assert schedule.run_due(platform)["started"] == 0  # done, but its day has not passed
    assert len(_jobs(platform)) == len(tenant_ids)

    # after its interval: the next run, for every tenant
    assert schedule.run_due(platform, now=utcnow() + DAY)["started"] == counts["started"]
    runs = [(j.tenant_id, j.schedule_run) for j in _jobs(platform)]
    assert runs == [(t, n) for t in tenant_ids for n in (1, 2)]
    _run_queued(platform)


def test_a_users_job_of_the_task_holds_the_schedule_back_until_it_ends(scheduled):
    from kommuneki.core import tasks

    platform = scheduled
    (tenant_id,) = _tenants(platform, 1)
    job_id = tasks.submit(platform, tenant_id, RETENTION, {}, actor="user:1")
    schedule.run_due(platform)
    assert [j.id for j in _jobs(platform)] == [job_id]
    _run_queued(platform)
    schedule.run_due(platform)  # the user's run is not a scheduled run: the schedule starts its first
    assert [j.schedule_run for j in _jobs(platform)] == [None, 1]
    _run_queued(platform)


def test_two_workers_that_see_the_same_due_run_start_it_once(scheduled):
    platform = scheduled
    tenant_ids = _tenants(platform)
    first, _ = schedule.plan(platform)  # two workers read the job table at the same moment
    second, _ = schedule.plan(platform)
    assert first == second and first
    started = [schedule.start(platform, due) for due in first]
    lost = [schedule.start(platform, due) for due in second]
    assert all(started) and lost == [None] * len(second)
    assert [(j.tenant_id, j.schedule_run) for j in _jobs(platform)] == [(t, 1) for t in tenant_ids]
    assert platform.task_queue.pending() == len(first)  # the loser sent nothing
    with platform.db.read_session(unscoped=True) as session:
        audited = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.event == "job.started")
        )
    assert audited == len(first)

    # a worker with a stale view: it read run 1 as due while another worker started it, ran it and, a
    # day later, started run 2; its late insert of run 1 still conflicts
    _run_queued(platform)
    stale = [d for d in first if d.task.name == RETENTION]
    assert schedule.run_due(platform, now=utcnow() + DAY)["started"] == len(first)
    assert [schedule.start(platform, due) for due in stale] == [None] * len(stale)
    assert [j.schedule_run for j in _jobs(platform)] == [1, 2] * len(tenant_ids)
    _run_queued(platform)


def test_a_scheduled_job_whose_message_was_lost_is_sent_again_after_an_interval(scheduled):
    platform = scheduled
    _tenants(platform)
    started = schedule.run_due(platform)["started"]
    platform.task_queue.huey.flush()  # the messages are lost; the rows stay queued
    assert schedule.run_due(platform)["resent"] == 0  # not yet: it may only be waiting for a worker
    later = utcnow() + DAY
    counts = schedule.run_due(platform, now=later)
    assert counts["resent"] == started and counts["started"] == 0 and counts["active"] == started
    assert schedule.run_due(platform, now=later)["resent"] == 0  # once per interval, by one worker
    assert platform.task_queue.pending() == started
    assert set(_run_queued(platform)) == {"done"}
    assert {j.schedule_run for j in _jobs(platform)} == {1}


def test_the_schedule_survives_a_restart_because_it_is_read_from_the_job_table(scheduled, tmp_path):
    platform = scheduled
    _tenants(platform)
    schedule.run_due(platform)
    _run_queued(platform)
    restarted = make_platform(tmp_path, platform.settings.database_url, task_queue="sqlite")
    try:
        assert schedule.run_due(restarted)["started"] == 0  # not due yet: the last run is in the table
        assert schedule.run_due(restarted, now=utcnow() + DAY)["started"] > 0
        assert _run_queued(restarted)
    finally:
        restarted.close()


def test_the_daily_retention_removes_expired_content_and_audits_each_removal(scheduled):
    platform = scheduled
    tenant_id, other = _tenants(platform)
    with platform.db.tenant_session(tenant_id) as session:
        session.get(Tenant, tenant_id).settings = {"retention": {"malform:analysed": 30}}
        stored = [
            items.ingest(
                session,
                platform.blobs,
                tenant_id,
                service="malform",
                kind="document",
                data=f"brev {i}".encode(),
            ).item.id
            for i in range(5)
        ]
        old, young = stored[:3], stored[3:]
        session.execute(update(Item).where(Item.id.in_(stored)).values(state="analysed"))
        session.execute(update(Item).where(Item.id.in_(old)).values(updated_at=utcnow() - timedelta(days=31)))

    schedule.run_due(platform)
    assert set(_run_queued(platform)) == {"done"}
    ran = {j.tenant_id: j for j in _jobs(platform)}
    assert ran[tenant_id].result["removed"] == 3 and ran[other].result["removed"] == 0
    with platform.db.read_session(tenant_id) as session:
        removed = session.scalars(select(Item.id).where(Item.content_removed_reason == "retention")).all()
        entries = session.scalars(select(AuditEntry).where(AuditEntry.event == "item.content_removed")).all()
    assert sorted(removed) == sorted(old)
    assert sorted(e.subject_id for e in entries) == sorted(str(i) for i in old)

    # the next day's run finds nothing more to remove and records nothing twice
    schedule.run_due(platform, now=utcnow() + DAY)
    assert set(_run_queued(platform)) == {"done"}
    with platform.db.read_session(tenant_id) as session:
        assert session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.event == "item.content_removed")
        ) == len(old)
        left = session.scalars(select(Item.id).where(Item.content_removed_at.is_(None))).all()
    assert sorted(left) == sorted(young)


def test_two_worker_processes_start_the_due_retention_once_per_tenant(tmp_path, sqlite_template):
    shutil.copy(sqlite_template, tmp_path / "kommuneki.db")
    platform = make_platform(tmp_path, task_queue="sqlite")
    platform.task_queue.huey.flush()
    tenant_ids = _tenants(platform, 3)
    env = {**os.environ, "KOMMUNEKI_TASK_QUEUE": "sqlite", "KOMMUNEKI_SCHEDULE_CHECK_S": "0.2"}
    logs = [tmp_path / f"worker-{i}.log" for i in range(2)]
    workers = []
    try:
        for log in logs:
            with log.open("wb") as err:
                workers.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "kommuneki", "--data-dir", str(tmp_path), "worker"],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=err,
                        cwd=tmp_path,
                    )
                )
        deadline = time.monotonic() + 90
        while not all("Arbeideren henter jobber" in log.read_text(errors="replace") for log in logs):
            assert time.monotonic() < deadline and all(w.poll() is None for w in workers), "a worker died"
            time.sleep(0.1)
        while len(done := [j for j in _jobs(platform) if j.state == "done"]) < len(tenant_ids):
            assert time.monotonic() < deadline, [(j.tenant_id, j.state) for j in _jobs(platform)]
            time.sleep(0.1)
        time.sleep(2)  # both workers check every 0.2 s: ten more rounds each
        assert [(j.tenant_id, j.schedule_run) for j in _jobs(platform)] == [(t, 1) for t in tenant_ids]
        assert all(j.attempts == 1 and j.result["removed"] == 0 for j in done)
    finally:
        for worker in workers:
            worker.kill()
            worker.wait(10)
        said = "".join(log.read_text(errors="replace") for log in logs)
        platform.task_queue.huey.flush()
        platform.close()
    assert "Traceback" not in said, said[-4000:]


def test_the_retention_job_page_is_for_those_who_may_read_the_audit_log(sqlite_scheduled):
    from kommuneki.core.models import User
    from kommuneki.web.app import create_app
    from tests.conftest import login_client

    platform = sqlite_scheduled
    (tenant_id,) = _tenants(platform, 1)
    schedule.run_due(platform)
    _run_queued(platform)
    (job,) = _jobs(platform)
    app = create_app(platform=platform)
    pages = {}
    for role in ("arkivar", "saksbehandler"):
        with platform.db.installation_session() as session:
            user = accounts.create_user(session, username=role, password=f"passord-for-{role}", actor="t")
        with platform.db.tenant_session(tenant_id) as session:
            accounts.grant_role(session, tenant_id, session.get(User, user.id), role, actor="test")
        client = login_client(app, role, f"passord-for-{role}")
        try:
            pages[role] = client.get(f"/jobber/{job.id}")
        finally:
            client.close()
    assert pages["arkivar"].status_code == 200
    assert "Sletting etter oppbevaringsreglene" in pages["arkivar"].text
    assert "Fjernet innholdet i 0 elementer og slettet 0 gamle jobber." in pages["arkivar"].text
    assert "Tilbake til oversikten" in pages["arkivar"].text
    assert pages["saksbehandler"].status_code == 403
