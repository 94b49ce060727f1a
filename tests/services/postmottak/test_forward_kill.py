"""Automated forwarding on the real task queue, its worker killed with SIGKILL in the middle of sending a
forward (inside the SMTP transaction, before the server has accepted the mail), against a real dovecot
and a real aiosmtpd on loopback: a second worker runs the poll again, and every message the automation
policy forwards reaches the unit exactly once — one delivered mail per forward decision (each with its
own Message-ID), one ``forwarded`` action and one audit entry each, none lost with the killed worker.

The killed run had committed the message's triage (its forward decided by the policy) but not the
forward: the run again takes in no message twice (the mailbox's remote ids) and carries out the decided
forwards that have no action yet (``service.carry_out_automated``)."""

from __future__ import annotations

import email
import imaplib
import os
import signal
import socket
import threading
import time

import pytest
from pm_helpers import make_eml
from sqlalchemy import func, select
from tests.core.conftest import queued  # noqa: F401 - the fixture: a real broker and worker processes

from kommuneki.core import accounts, jobs, tasks
from kommuneki.core.models import AuditEntry, AutomationPolicy, Decision, Suggestion
from kommuneki.demo import DEMO_UNITS
from kommuneki.services.postmottak import service
from kommuneki.services.postmottak.models import PostmottakAction, PostmottakMessage

N = 8
KILL_AT = 3  # the worker dies while it sends its third forward


def _count(platform, tenant_id, model, *where) -> int:
    with platform.db.read_session(tenant_id) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def killing_smtp():
    """aiosmtpd on loopback whose handler, at the KILL_AT-th mail's DATA, kills ``victim`` with SIGKILL
    and refuses that mail (the sender never got a 250): yields (port, state)."""
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self):
            self.delivered: list[bytes] = []
            self.attempts = 0
            self.victim = None
            self.killed = threading.Event()

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            self.attempts += 1
            if self.attempts == KILL_AT and self.victim is not None:
                os.kill(self.victim.pid, signal.SIGKILL)
                self.killed.set()
                return "451 Requested action aborted: local error in processing"
            self.delivered.append(envelope.content)
            return "250 Message accepted for delivery"

    handler = Handler()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctl = Controller(handler, hostname="127.0.0.1", port=port)
    ctl.start()
    yield port, handler
    ctl.stop()


@pytest.mark.parametrize("queued", ["postgresql"], indirect=True)
def test_a_worker_killed_while_it_forwards_leaves_every_decided_mail_forwarded_once(
    queued, imap_server, killing_smtp
):
    platform = queued
    host, port, user, pw = imap_server
    smtp_port, smtp = killing_smtp
    with platform.db.installation_session() as s:
        tenant_id = accounts.create_tenant(s, slug="vs", name="Videresending kommune", actor="test").id
    with platform.db.tenant_session(tenant_id) as s:
        for code, name, addr, desc in DEMO_UNITS:
            accounts.create_unit(s, tenant_id, code=code, name=name, email=addr, description=desc, actor="t")
        s.add(AutomationPolicy(service="postmottak", kind="postmottak.forward", enabled=True, threshold=0.0))
    service.update_settings(
        platform,
        tenant_id,
        "test",
        imap={"host": host, "port": port, "username": user, "ssl": False},
        smtp={"host": "127.0.0.1", "port": smtp_port, "starttls": False},
    )
    with imaplib.IMAP4(host, port) as m:
        m.login(user, pw)
        for i in range(N):
            raw = make_eml(
                f"Faktura 40{i:03d}",
                f"Vedlagt følger faktura 40{i:03d} på kr {1200 + i} med forfall 30.04.2025. "
                "Beløpet betales til konto 1503.12.34567 med KID 123456789.",
                sender="faktura@leverandor.no",
                message_id=f"<faktura{i}@leverandor.no>",
            )
            assert m.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)[0] == "OK"

    job_id = tasks.submit(platform, tenant_id, "postmottak.poll", {}, actor="test")
    smtp.victim = platform.start_worker(POSTMOTTAK_IMAP_PASSWORD=pw)
    assert smtp.killed.wait(600), "the worker never sent its third forward"
    smtp.victim.wait(10)
    assert len(smtp.delivered) == KILL_AT - 1
    platform.start_worker(POSTMOTTAK_IMAP_PASSWORD=pw)
    job = jobs.wait(platform, tenant_id, job_id, timeout=600)  # a bound, not a goal: loaded machines
    assert job["state"] == "done", job
    assert job["attempts"] >= 2

    assert _count(platform, tenant_id, PostmottakMessage) == N  # each message taken in once
    with platform.db.read_session(tenant_id) as session:
        decided = set(
            session.scalars(
                select(Suggestion.id)
                .join(Decision, Decision.suggestion_id == Suggestion.id)
                .where(Suggestion.kind == "postmottak.forward", Decision.actor_policy_id.is_not(None))
            )
        )
        actions = session.execute(select(PostmottakAction.suggestion_id, PostmottakAction.action)).all()
    assert len(decided) > KILL_AT  # the policy forwarded more than the killed run got to
    forwarded = [sid for sid, action in actions if action == "forwarded"]
    assert sorted(forwarded) == sorted(decided)  # every decided forward done, none twice
    assert not [a for _sid, a in actions if a != "forwarded"]  # none failed or refused
    ids = [email.message_from_bytes(c)["Message-ID"] for c in smtp.delivered]
    assert len(ids) == len(set(ids)) == len(decided)  # one mail per decision: nothing lost, nothing doubled
    assert _count(platform, tenant_id, AuditEntry, AuditEntry.event == "postmottak.forwarded") == len(decided)
