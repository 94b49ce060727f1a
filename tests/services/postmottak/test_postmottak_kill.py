"""A mailbox batch (``postmottak.poll``) on the real task queue, against a real dovecot, its worker
killed with SIGKILL while it takes in the messages: a second worker runs the job again, and every
message is taken in once — one message row and item each, one suggestion of each kind per item, one
audit entry per suggestion."""

from __future__ import annotations

import imaplib
import signal
import time

import pytest
from pm_helpers import make_eml
from sqlalchemy import func, select
from tests.core.conftest import queued  # noqa: F401 - the fixture: a real broker and worker processes

from kommuneki.core import accounts, jobs, tasks
from kommuneki.core.models import AuditEntry, Item, Suggestion
from kommuneki.demo import DEMO_UNITS
from kommuneki.services.postmottak import service
from kommuneki.services.postmottak.models import PostmottakMessage

N = 20


def _count(platform, tenant_id, model, *where) -> int:
    with platform.db.read_session(tenant_id) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("queued", ["postgresql"], indirect=True)
def test_a_mailbox_poll_whose_worker_is_killed_takes_in_every_message_once(queued, imap_server):
    platform = queued
    host, port, user, pw = imap_server
    with platform.db.installation_session() as s:
        tenant_id = accounts.create_tenant(s, slug="post", name="Post kommune", actor="test").id
    with platform.db.tenant_session(tenant_id) as s:
        for code, name, email, desc in DEMO_UNITS:
            accounts.create_unit(s, tenant_id, code=code, name=name, email=email, description=desc, actor="t")
    service.update_settings(
        platform, tenant_id, "test", imap={"host": host, "port": port, "username": user, "ssl": False}
    )
    body = "Det er et stort hull i veien ved skolen, og det har vært der i tre uker. " * 40
    with imaplib.IMAP4(host, port) as m:
        m.login(user, pw)
        for i in range(N):
            raw = make_eml(f"Hull i veien {i}", body, message_id=f"<kill{i}@x>")
            assert m.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)[0] == "OK"
    job_id = tasks.submit(platform, tenant_id, "postmottak.poll", {}, actor="test")
    first = platform.start_worker(POSTMOTTAK_IMAP_PASSWORD=pw)
    deadline = time.monotonic() + 120
    while (taken := _count(platform, tenant_id, PostmottakMessage)) < 3:
        assert time.monotonic() < deadline, "the worker never got going"
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    taken = _count(platform, tenant_id, PostmottakMessage)
    assert taken < N, "the poll finished before the kill"
    platform.start_worker(POSTMOTTAK_IMAP_PASSWORD=pw)
    job = jobs.wait(platform, tenant_id, job_id, timeout=180)
    assert job["state"] == "done", job
    assert job["attempts"] >= 2
    assert _count(platform, tenant_id, PostmottakMessage) == N
    assert _count(platform, tenant_id, Item, Item.service == "postmottak") == N
    with platform.db.read_session(tenant_id) as session:
        per_kind = session.execute(
            select(Suggestion.item_id, Suggestion.kind, func.count()).group_by(
                Suggestion.item_id, Suggestion.kind
            )
        ).all()
    assert per_kind and {n for _item, _kind, n in per_kind} == {1}
    assert len({item for item, _kind, _n in per_kind}) == N
    suggested = _count(platform, tenant_id, Suggestion)
    assert _count(platform, tenant_id, AuditEntry, AuditEntry.event == "suggestion.created") == suggested
