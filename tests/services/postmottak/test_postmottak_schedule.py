"""Mailbox polling as a scheduled task (``postmottak.poll``, every minute): the workers' scheduler
(core/schedule.py) starts it for each tenant with an IMAP mailbox set up, as a job on the real task queue
(Huey, SQLite storage), against a real dovecot on loopback; a tenant without a mailbox gets no job."""

from __future__ import annotations

import imaplib
import shutil
import time
from datetime import timedelta

import pytest
from pm_helpers import make_eml
from sqlalchemy import select
from tests.conftest import make_platform

from kommuneki.core import accounts, queue, schedule
from kommuneki.core.db import utcnow
from kommuneki.core.models import Job
from kommuneki.demo import DEMO_UNITS
from kommuneki.services.postmottak import service
from kommuneki.services.postmottak.models import PostmottakMessage

POLL = "postmottak.poll"


@pytest.fixture
def scheduled(db_url, tmp_path):
    platform = make_platform(tmp_path, db_url, task_queue="sqlite")
    platform.task_queue.huey.flush()
    yield platform
    platform.task_queue.huey.flush()
    platform.close()


@pytest.fixture
def sqlite_scheduled(sqlite_template, tmp_path):
    shutil.copy(sqlite_template, tmp_path / "kommuneki.db")
    platform = make_platform(tmp_path, task_queue="sqlite")
    platform.task_queue.huey.flush()
    yield platform
    platform.task_queue.huey.flush()
    platform.close()


def _tenant(platform, slug: str) -> int:
    with platform.db.installation_session() as s:
        tid = accounts.create_tenant(s, slug=slug, name=f"{slug} kommune", actor="test").id
    with platform.db.tenant_session(tid) as s:
        for code, name, email, desc in DEMO_UNITS:
            accounts.create_unit(s, tid, code=code, name=name, email=email, description=desc, actor="test")
    return tid


def _run_queued(platform) -> list[str]:
    ended = []
    while (task := platform.task_queue.huey.dequeue()) is not None:
        ended.append(queue.run_job(platform, platform.task_queue, *task.args))
    return ended


def _polls(platform) -> list[Job]:
    with platform.db.read_session(unscoped=True) as session:
        return list(session.scalars(select(Job).where(Job.task == POLL).order_by(Job.id)))


def test_the_mailbox_is_polled_by_the_schedule_for_each_tenant_that_has_one(
    scheduled, imap_server, monkeypatch
):
    platform = scheduled
    host, port, user, pw = imap_server
    with_mailbox, without = _tenant(platform, "med"), _tenant(platform, "uten")
    service.update_settings(
        platform, with_mailbox, "test", imap={"host": host, "port": port, "username": user, "ssl": False}
    )
    monkeypatch.setenv("POSTMOTTAK_IMAP_PASSWORD", pw)
    with imaplib.IMAP4(host, port) as m:
        m.login(user, pw)
        for i in range(2):
            raw = make_eml(f"Hull i veien {i}", "Det er et stort hull i veien.", message_id=f"<h{i}@x>")
            assert m.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)[0] == "OK"

    # the tenant without a mailbox is not polled (other services' schedules may not apply either: the
    # count is over every scheduled task, so the polls themselves are checked below)
    assert schedule.run_due(platform)["not_applicable"] >= 1
    assert [(j.tenant_id, j.schedule_run, j.state) for j in _polls(platform)] == [(with_mailbox, 1, "queued")]
    assert without not in {j.tenant_id for j in _polls(platform)}
    assert set(_run_queued(platform)) == {"done"}
    (first,) = _polls(platform)
    assert first.state == "done" and first.result["received"] == 2
    assert first.message == "2 nye meldinger, 0 ventende behandlet."
    with platform.db.read_session(with_mailbox) as session:
        assert len(session.scalars(select(PostmottakMessage)).all()) == 2

    assert schedule.run_due(platform)["started"] == 0  # within the minute: not due
    schedule.run_due(platform, now=utcnow() + timedelta(seconds=61))
    assert [j.schedule_run for j in _polls(platform)] == [1, 2]
    _run_queued(platform)
    second = _polls(platform)[1]
    assert second.state == "done" and second.result["received"] == 0  # each message taken in once
    assert all(j.tenant_id == with_mailbox for j in _polls(platform))


def test_a_wrong_password_fails_the_polling_job_with_a_clear_reason_and_the_schedule_goes_on(
    sqlite_scheduled, imap_server, monkeypatch
):
    platform = sqlite_scheduled
    host, port, user, _pw = imap_server
    tid = _tenant(platform, "feil")
    service.update_settings(
        platform, tid, "test", imap={"host": host, "port": port, "username": user, "ssl": False}
    )
    monkeypatch.setenv("POSTMOTTAK_IMAP_PASSWORD", "feil")
    schedule.run_due(platform)
    _run_queued(platform)  # (with the other scheduled tasks: the daily retention)
    (failed,) = _polls(platform)
    assert failed.state == "failed" and "IMAP" in failed.error
    schedule.run_due(platform, now=utcnow() + timedelta(seconds=61))  # a failed run does not stop it
    assert [(j.schedule_run, j.state) for j in _polls(platform)] == [(1, "failed"), (2, "queued")]
