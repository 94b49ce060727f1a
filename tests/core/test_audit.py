"""The audit chain: every kind of tampering is caught and the first bad entry named."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from kommuneki.core import accounts, audit
from kommuneki.core.models import AuditEntry
from tests.conftest import audit_guard_lifted


def _seed(platform, n=5) -> int:
    with platform.db.installation_session() as s:
        t = accounts.create_tenant(s, slug="testkommune", name="Testkommune", kommunenummer="0001")
    with platform.db.tenant_session(t.id) as s:
        for i in range(n):
            accounts.create_unit(
                s, t.id, code=f"enhet-{i}", name=f"Enhet {i}", email=f"e{i}@x.test", actor="test"
            )
    return t.id


def _verify(platform, tenant_id):
    with platform.db.installation_session() as s:
        return audit.verify_chain(s, audit.chain_for(tenant_id), platform.settings.checkpoint_dir)


def test_untouched_chain_verifies(platform):
    tid = _seed(platform)
    r = _verify(platform, tid)
    assert r.ok and r.entries == 6  # tenant.created + 5 units


@pytest.mark.parametrize(
    "tamper, expected_seq, words",
    [
        # changed data of entry 3: its own hash no longer matches
        ('UPDATE audit_entry SET data = \'{"code":"x"}\' WHERE seq = 3', 3, "altered"),
        # entry 2 deleted: a gap in the numbering
        ("DELETE FROM audit_entry WHERE seq = 2", 2, "missing"),
        # two entries swapped (seq exchanged): the hash covers seq, so the first one is caught
        (
            "UPDATE audit_entry SET seq = CASE seq WHEN 2 THEN 3 WHEN 3 THEN 2 END WHERE seq IN (2, 3)",
            2,
            None,
        ),
        # the last entry removed: only the checkpoint outside the database can tell
        ("DELETE FROM audit_entry WHERE seq = 6", 6, "truncated"),
    ],
)
def test_tampering_is_caught(platform, tamper, expected_seq, words):
    tid = _seed(platform)
    with platform.db.engine.begin() as conn, audit_guard_lifted(conn):
        if "CASE" in tamper:  # unique (chain, seq): move through a free number
            conn.execute(
                text("UPDATE audit_entry SET seq = 1000 WHERE seq = 2 AND chain = :c"), {"c": f"t{tid}"}
            )
            conn.execute(
                text("UPDATE audit_entry SET seq = 2 WHERE seq = 3 AND chain = :c"), {"c": f"t{tid}"}
            )
            conn.execute(
                text("UPDATE audit_entry SET seq = 3 WHERE seq = 1000 AND chain = :c"), {"c": f"t{tid}"}
            )
        else:
            conn.execute(text(tamper + " AND chain = :c"), {"c": f"t{tid}"})
    r = _verify(platform, tid)
    assert not r.ok
    assert r.first_bad_seq == expected_seq
    if words:
        assert words in r.problem


def test_full_rewrite_is_caught_by_checkpoint(platform):
    """An attacker who rewrites entry 6 and recomputes its hash (a consistent chain) is caught by the
    head hash kept outside the database."""
    tid = _seed(platform)
    with platform.db.installation_session() as s:
        e = s.scalar(select(AuditEntry).where(AuditEntry.chain == f"t{tid}", AuditEntry.seq == 6))
        fields = {
            k: getattr(e, k)
            for k in ("chain", "seq", "at", "event", "actor", "subject_type", "subject_id", "item_id")
        }
        fields["data"] = json.dumps({"code": "forged"})
        new_hash = audit.entry_hash(e.prev_hash, fields)
    with platform.db.engine.begin() as conn, audit_guard_lifted(conn):
        conn.execute(
            update(AuditEntry).where(AuditEntry.id == e.id).values(data=fields["data"], hash=new_hash)
        )
    r = _verify(platform, tid)
    assert not r.ok and "rewritten" in r.problem


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET data = '{}' WHERE seq = 3",
        "DELETE FROM audit_entry WHERE seq = 6",
    ],
    ids=["update", "delete"],
)
def test_the_database_refuses_to_change_the_audit_log(platform, statement):
    """Defence in depth: even a plain SQL statement through the application's connection cannot change
    or remove an entry (the guard from migration 0003); the chain is untouched and verifies."""
    tid = _seed(platform)
    with pytest.raises(DBAPIError, match="insert-only"):
        with platform.db.engine.begin() as conn:
            conn.execute(text(statement + " AND chain = :c"), {"c": f"t{tid}"})
    assert _verify(platform, tid).ok


def test_chains_are_per_tenant(platform):
    a = _seed(platform)
    with platform.db.installation_session() as s:
        b = accounts.create_tenant(s, slug="annen", name="Annen kommune").id
    with platform.db.installation_session() as s:
        seqs = s.execute(select(AuditEntry.chain, AuditEntry.seq).order_by(AuditEntry.id)).all()
    assert (f"t{a}", 1) in seqs and (f"t{b}", 1) in seqs


def test_undeclared_event_or_field_is_refused(platform):
    tid = _seed(platform, 0)
    with pytest.raises(ValueError):
        with platform.db.tenant_session(tid) as s:
            audit.record(s, tid, "no.such.event", actor="test")
    with pytest.raises(ValueError):
        with platform.db.tenant_session(tid) as s:
            audit.record(s, tid, "unit.created", actor="test", code="x", name="a person's name")


def test_rolled_back_change_leaves_no_entry(platform):
    tid = _seed(platform, 1)
    with pytest.raises(RuntimeError):
        with platform.db.tenant_session(tid) as s:
            accounts.create_unit(s, tid, code="rollback", name="R", email="r@x.test", actor="test")
            raise RuntimeError("boom")
    r = _verify(platform, tid)
    assert r.ok and r.entries == 2


def test_period_query_compares_in_utc(platform):
    """A period given with a UTC offset (an API client in Norway sends +01:00/+02:00) selects by the
    instant, not by the wall-clock digits: entries are stored in UTC."""
    from datetime import datetime, timedelta, timezone

    tid = _seed(platform, 1)
    oslo = timezone(timedelta(hours=2))
    now = datetime.now(oslo)
    with platform.db.installation_session() as s:
        assert len(list(audit.query(s, tid, since=now - timedelta(minutes=30)))) == 2
        assert list(audit.query(s, tid, until=now - timedelta(minutes=30))) == []
        assert (
            len(list(audit.query(s, tid, since=(now - timedelta(minutes=30)).astimezone(timezone.utc)))) == 2
        )


def test_entries_appended_without_the_head_are_caught(platform):
    """Verification reads up to the chain head; entries beyond it that no head accounts for (written
    straight into the table, the head row left alone) are reported, not skipped."""
    tid = _seed(platform)
    chain = audit.chain_for(tid)
    with platform.db.installation_session() as s:
        last = s.scalars(select(AuditEntry).where(AuditEntry.chain == chain, AuditEntry.seq == 6)).one()
        appended = {
            "chain": chain,
            "seq": 7,
            "at": audit.now_iso(),
            "event": "unit.created",
            "actor": "user:1",
            "subject_type": "unit",
            "subject_id": "99",
            "item_id": None,
            "data": audit.canonical_json({"code": "lagt-til"}),
        }
        appended_hash = audit.entry_hash(last.hash, appended)
    with platform.db.engine.begin() as conn:
        conn.execute(
            AuditEntry.__table__.insert().values(**appended, prev_hash=last.hash, hash=appended_hash)
        )
    r = _verify(platform, tid)
    assert not r.ok and r.first_bad_seq == 7 and "appended" in r.problem


def test_verifying_a_chain_while_it_is_written_is_not_tampering(platform):
    """A live installation: entries commit while `audit verify` reads the chain. Each verification
    covers the chain up to its head as first read and reports it intact; the write that commits
    meanwhile is neither half-seen nor taken for tampering (PostgreSQL reads each statement in its own
    snapshot). Before the fix the head was read after the entries and a commit between the two was
    reported as «log truncated or rewritten»."""
    import threading

    tid = _seed(platform, n=1)
    with platform.db.tenant_session(tid) as s:
        for i in range(2000):
            audit.record(s, tid, "suggestion.superseded", actor="test", subject=("suggestion", i), by=i + 1)
    stop = threading.Event()
    written = []

    def writer():
        i = 0
        while not stop.is_set():
            with platform.db.tenant_session(tid) as s:
                audit.record(s, tid, "suggestion.superseded", actor="test", subject=("suggestion", i), by=i)
            written.append(i)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    results = []
    try:
        while len(written) < 10 and len(results) < 200:
            results.append(_verify(platform, tid))
    finally:
        stop.set()
        thread.join()
    assert all(r.ok for r in results), [r.problem for r in results if not r.ok]
    # the chain grew between verifications: writes committed while it was being read
    assert len({r.entries for r in results}) > 1
    assert _verify(platform, tid).entries == 2002 + len(written)
