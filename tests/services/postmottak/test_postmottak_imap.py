"""IMAP ingestion against a real dovecot on loopback, including a worker killed mid-batch."""

from __future__ import annotations

import imaplib
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from pm_helpers import make_eml
from sqlalchemy import create_engine, func, select, text

from kommuneki.core.models import Suggestion
from kommuneki.services.postmottak import corpus, service
from kommuneki.services.postmottak.mailbox.imap import ImapSettings, ImapSource
from kommuneki.services.postmottak.models import PostmottakMessage

REPO = Path(__file__).resolve().parents[3]


def _append(imap_server, raws, when=None):
    host, port, user, pw = imap_server
    with imaplib.IMAP4(host, port) as m:
        m.login(user, pw)
        for raw in raws:
            stamp = imaplib.Time2Internaldate(when or time.time())
            assert m.append("INBOX", "", stamp, raw)[0] == "OK"


def _settings(imap_server) -> ImapSettings:
    host, port, user, pw = imap_server
    return ImapSettings(host=host, port=port, username=user, password=pw, ssl=False)


def test_poll_takes_each_message_once_with_its_arrival_day(tenant, imap_server):
    platform, tid = tenant
    arrived = datetime(2025, 4, 15, 8, 30, tzinfo=timezone.utc)  # a Tuesday before Easter
    innsyn = make_eml(
        "Innsynskrav",
        "Jeg ber om innsyn i saken om ny skole.",
        message_id="<i1@x>",
        date="Sun, 13 Apr 2025 10:00:00 +0200",
    )  # Date header says Sunday: INTERNALDATE wins
    _append(
        imap_server,
        [innsyn, make_eml("Hull i veien", "Det er et stort hull i veien.", message_id="<h1@x>")],
        when=arrived.timestamp(),
    )
    s = _settings(imap_server)
    with ImapSource(s) as src:
        first = service.poll(platform, tid, src, mailbox=s.mailbox_name)
    with ImapSource(s) as src:
        second = service.poll(platform, tid, src, mailbox=s.mailbox_name)
    assert first["received"] == 2 and second == {"received": 0, "processed_pending": 0, "carried_out": 0}
    with platform.db.tenant_session(tid) as session:
        rows = session.scalars(select(PostmottakMessage).order_by(PostmottakMessage.id)).all()
        assert [r.state for r in rows] == ["triaged", "triaged"]
        assert rows[0].innsyn_deadline.isoformat() == "2025-04-23"  # 15.4 + 3 arbeidsdager over Easter
    host, port, user, pw = imap_server
    with imaplib.IMAP4(host, port) as m:  # BODY.PEEK: the message stays unread for people
        m.login(user, pw)
        m.select("INBOX")
        assert m.search(None, "UNSEEN")[1][0].split() != []


def test_wrong_password_is_a_clear_error(imap_server):
    host, port, user, _ = imap_server
    try:
        with ImapSource(ImapSettings(host=host, port=port, username=user, password="feil", ssl=False)):
            raise AssertionError("login should fail")
    except Exception as exc:  # noqa: BLE001 - the domain error is what we check
        assert "IMAP" in str(exc)


def test_worker_killed_mid_batch_loses_nothing_and_repeats_nothing(tmp_path, imap_server):
    """A real worker process (`kommuneki postmottak watch --once`) is killed with SIGKILL while it works
    through the mailbox; a second run finishes. Every message is then taken in and triaged exactly once."""
    from kommuneki.config import Settings
    from kommuneki.core import accounts
    from kommuneki.core.platform import Platform
    from kommuneki.demo import DEMO_UNITS

    total = 16
    _append(imap_server, [m.raw for m in corpus.generate(total, split="heldout", seed=555)])
    data = tmp_path / "data"
    p = Platform.from_settings(Settings(data_dir=data))
    p.upgrade_db()
    with p.db.installation_session() as s:
        tid = accounts.create_tenant(s, slug="krasj", name="Krasj kommune", actor="test").id
    with p.db.tenant_session(tid) as s:
        for code, name, email, desc in DEMO_UNITS:
            accounts.create_unit(s, tid, code=code, name=name, email=email, description=desc, actor="test")
    p.close()
    host, port, user, pw = imap_server
    cmd = [
        sys.executable,
        "-m",
        "kommuneki",
        "--data-dir",
        str(data),
        "postmottak",
        "watch",
        "--tenant",
        "krasj",
        "--host",
        host,
        "--port",
        str(port),
        "--user",
        user,
        "--no-ssl",
        "--once",
        "--json",
    ]
    env = {**os.environ, "POSTMOTTAK_IMAP_PASSWORD": pw}
    engine = create_engine(f"sqlite:///{data / 'kommuneki.db'}")

    def count() -> int:
        with engine.connect() as c:
            return c.execute(text("select count(*) from postmottak_message")).scalar()

    worker = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while count() < 2 and worker.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    at_kill = count()
    assert 0 < at_kill < total, f"the worker must be killed mid-batch (had {at_kill} of {total})"
    done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    p = Platform.from_settings(Settings(data_dir=data))
    try:
        with p.db.tenant_session(tid) as s:
            rows = s.scalars(select(PostmottakMessage)).all()
            assert len(rows) == total and len({r.remote_id for r in rows}) == total
            assert {r.state for r in rows} <= {"triaged", "deleted"}, "nothing left unprocessed"
            per_item = s.execute(
                select(Suggestion.item_id, func.count())
                .where(Suggestion.kind.in_(("postmottak.action", "postmottak.forward", "postmottak.delete")))
                .group_by(Suggestion.item_id)
            ).all()
            assert len(per_item) == total and {n for _, n in per_item} == {1}, (
                "each message triaged exactly once"
            )
            dupes = [r for r in rows if r.item.duplicate_of_id is not None]
            assert dupes == [], "a re-fetched message must not come in as a duplicate arrival"
    finally:
        p.close()
        engine.dispose()
