"""Bulk writes (items.ingest_many, suggestions.suggest_many, audit.record_many) give the same rows and the
same audit chain as the one-by-one calls — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kommuneki.core import accounts, audit, items, suggestions
from kommuneki.core.models import AuditEntry, AutomationPolicy, Item, Suggestion
from kommuneki.services.malform import engine as malform_engine

TEXTS = [
    "Eg lurer på kva tid vegen blir brøyta, for borna må gå i vegbana.",
    "Jeg lurer på når veien blir brøytet, for barna må gå i veibanen.",
    "Jeg lurer på når veien blir brøytet, for barna må gå i veibanen.",  # the same bytes again
    "Kommunen har fått en søknad om dispensasjon fra reguleringsplanen.",
]


def _tenant(platform, slug: str) -> int:
    with platform.db.installation_session() as session:
        return accounts.create_tenant(session, slug=slug, name=f"{slug} kommune", actor="test").id


def _one_by_one(platform, tenant_id: int) -> list[int]:
    with platform.db.tenant_session(tenant_id) as session:
        item_ids = [
            items.ingest(
                session,
                platform.blobs,
                tenant_id,
                service="malform",
                kind="document",
                data=text.encode(),
                filename=f"{n}.txt",
                source="test",
                actor="test",
            ).item.id
            for n, text in enumerate(TEXTS)
        ]
        return [
            suggestions.suggest(
                session,
                platform.registry,
                tenant_id,
                "malform",
                malform_engine.suggest_malform(text),
                item_id=item_id,
                actor="test",
            ).id
            for text, item_id in zip(TEXTS, item_ids, strict=True)
        ]


def _in_bulk(platform, tenant_id: int) -> list[int]:
    with platform.db.tenant_session(tenant_id) as session:
        item_ids = items.ingest_many(
            session,
            platform.blobs,
            tenant_id,
            [{"data": text.encode(), "filename": f"{n}.txt"} for n, text in enumerate(TEXTS)],
            service="malform",
            kind="document",
            source="test",
            actor="test",
        )
        return suggestions.suggest_many(
            session,
            platform.registry,
            tenant_id,
            "malform",
            [(malform_engine.suggest_malform(t), i) for t, i in zip(TEXTS, item_ids, strict=True)],
            actor="test",
        )


def _shape(platform, tenant_id: int) -> dict:
    """What must agree: item rows, suggestion rows and the audit entries (without ids and times)."""
    with platform.db.read_session(tenant_id) as session:
        item_rows = session.scalars(select(Item).order_by(Item.id)).all()
        first = item_rows[0].id
        got_items = [
            (i.sha256, i.filename, i.state, i.duplicate_of_id - first if i.duplicate_of_id else None)
            for i in item_rows
        ]
        got_suggestions = [
            (s.item_id - first, s.kind, s.value, s.confidence, s.explanation, s.status)
            for s in session.scalars(select(Suggestion).order_by(Suggestion.id))
        ]
        entries = [
            (e.seq, e.event, e.actor, e.subject_type, {k: v for k, v in audit.decoded_data(e).items()})
            for e in session.scalars(
                select(AuditEntry)
                .where(AuditEntry.chain == audit.chain_for(tenant_id))
                .order_by(AuditEntry.seq)
            )
        ]
    for e in entries:  # ids differ between the two tenants; everything else must agree
        for key in ("by", "duplicate_of", "cpu_ms"):  # cpu_ms: measured, differs run to run
            e[4].pop(key, None)
    return {"items": got_items, "suggestions": got_suggestions, "events": [(*e[:4], e[4]) for e in entries]}


def _verified(platform, tenant_id: int) -> bool:
    with platform.db.read_session(tenant_id) as session:
        return audit.verify_chain(session, audit.chain_for(tenant_id), platform.settings.checkpoint_dir).ok


def test_bulk_writes_the_same_rows_and_chain_as_one_by_one(platform):
    one, bulk = _tenant(platform, "en"), _tenant(platform, "bunke")
    assert len(_one_by_one(platform, one)) == len(_in_bulk(platform, bulk)) == len(TEXTS)
    assert _shape(platform, one) == _shape(platform, bulk)
    assert _verified(platform, one) and _verified(platform, bulk)
    shape = _shape(platform, bulk)
    assert shape["items"][2][3] == 1  # the repeated bytes: a duplicate of the first such item


def test_a_second_bulk_run_supersedes_the_pending_suggestions(platform):
    tenant_id = _tenant(platform, "to")
    first = _in_bulk(platform, tenant_id)
    with platform.db.tenant_session(tenant_id) as session:
        item_ids = [session.get(Suggestion, sid).item_id for sid in first]
        second = suggestions.suggest_many(
            session,
            platform.registry,
            tenant_id,
            "malform",
            [(malform_engine.suggest_malform(t), i) for t, i in zip(TEXTS, item_ids, strict=True)],
            actor="test",
        )
    with platform.db.read_session(tenant_id) as session:
        old = session.scalars(select(Suggestion).where(Suggestion.id.in_(first))).all()
        assert {s.status for s in old} == {"superseded"}
        assert sorted(s.superseded_by_id for s in old) == sorted(second)
        superseded = session.scalars(
            select(AuditEntry).where(AuditEntry.event == "suggestion.superseded")
        ).all()
        assert len(superseded) == len(TEXTS)
    assert _verified(platform, tenant_id)


def test_bulk_refuses_a_bad_proposal_before_writing_anything(platform):
    tenant_id = _tenant(platform, "feil")
    bad = malform_engine.suggest_malform(TEXTS[0])
    bad.value = {"language": "klingon"}
    with pytest.raises(Exception, match="verdien|Verdien"):
        with platform.db.tenant_session(tenant_id) as session:
            suggestions.suggest_many(
                session,
                platform.registry,
                tenant_id,
                "malform",
                [(malform_engine.suggest_malform(TEXTS[1]), None), (bad, None)],
                actor="test",
            )
    with platform.db.read_session(tenant_id) as session:
        assert session.scalars(select(Suggestion)).all() == []


def test_an_automated_kind_goes_the_full_path_and_is_decided(platform):
    tenant_id = _tenant(platform, "auto")
    with platform.db.tenant_session(tenant_id) as session:
        session.add(
            AutomationPolicy(
                tenant_id=tenant_id, service="malform", kind="malform", enabled=True, threshold=0.0
            )
        )
    ids = _in_bulk(platform, tenant_id)
    with platform.db.read_session(tenant_id) as session:
        assert {session.get(Suggestion, sid).status for sid in ids} == {"accepted"}
    assert _verified(platform, tenant_id)


def test_bulk_entries_are_sealed_with_the_audit_key(db_url, tmp_path, tmp_path_factory):
    from kommuneki.core.audit_seal import new_key_file
    from tests.conftest import make_platform

    key = tmp_path_factory.mktemp("outside") / ".kommuneki-audit-test.key"
    new_key_file(key)
    platform = make_platform(tmp_path, db_url, audit_key_file=key)
    try:
        tenant_id = _tenant(platform, "forseglet")  # a new chain: its first entry is a bulk one below
        _in_bulk(platform, tenant_id)
        with platform.db.read_session() as session:
            report = audit.verify_installation(session, platform.settings.checkpoint_dir)
        assert report.status == "ok", (report.problems, [r.problem for r in report.results])
        with platform.db.read_session(tenant_id) as session:
            macs = session.scalars(
                select(AuditEntry.mac).where(AuditEntry.chain == audit.chain_for(tenant_id))
            )
            assert all(macs)
    finally:
        platform.close()
