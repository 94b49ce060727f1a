"""Items: raw bytes stored before processing, duplicates recorded, retention, GDPR erasure and kassasjon
leave the audit chain verifiable and the audit log free of the item's text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from kommuneki.core import audit, items
from kommuneki.core.db import utcnow
from kommuneki.core.errors import InvalidInput, NotFound
from kommuneki.core.models import Blob, Item, Suggestion, Tenant
from kommuneki.services.malform.service import analyse_document
from tests.core.world import fresh_tenant, mplatform  # noqa: F401 - module-scoped fixture

# A made-up person; the test asserts this never reaches the audit log and is gone after erasure.
NAME = "Ingeborg Fjellstad-Tveiten"
DOCUMENT = (
    f"Hei! Eg heiter {NAME} og bur i Solbakkvegen 7. Eg lurer på kva tid vegen vår blir brøyta, "
    "for borna må gå i vegbana kvar morgon."
).encode()


def _verify(platform, t):
    with platform.db.installation_session() as s:
        return audit.verify_chain(s, audit.chain_for(t), platform.settings.checkpoint_dir)


def _audit_dump(platform) -> str:
    """Every column of every audit row, as text, straight from the table."""
    with platform.db.engine.connect() as conn:
        return "\n".join(
            " ".join(str(v) for v in row) for row in conn.execute(text("SELECT * FROM audit_entry"))
        )


def test_bytes_are_stored_before_processing_even_when_extraction_fails(mplatform):
    platform, t = mplatform, fresh_tenant(mplatform)
    data = b"%PDF-1.4 \x00\x01 not really a pdf"
    with pytest.raises(InvalidInput) as failure:
        analyse_document(platform, t, data, filename="skannet.pdf", actor="test")
    with platform.db.tenant_session(t) as s:
        item = s.scalar(select(Item))
        assert item.state == "failed" and item.meta["error"] == failure.value.message  # the reason is kept
        assert item.text is None
        assert items.read_content(s, platform.blobs, item) == data  # the exact bytes are kept
        assert s.scalar(select(func.count()).select_from(Suggestion)) == 0
    with platform.db.installation_session() as s:
        events = list(audit.query(s, t))
    assert [e.event for e in events][-1] == "item.received"
    assert _verify(platform, t).ok


def test_same_bytes_twice_one_blob_two_items(mplatform):
    platform, t = mplatform, fresh_tenant(mplatform)
    first = analyse_document(platform, t, DOCUMENT, filename="brev.txt", actor="test")
    second = analyse_document(platform, t, DOCUMENT, filename="brev-igjen.txt", actor="test")
    with platform.db.tenant_session(t) as s:
        assert s.scalar(select(func.count()).select_from(Blob)) == 1
        a, b = s.get(Item, first["item_id"]), s.get(Item, second["item_id"])
        assert a.id != b.id and a.blob_id == b.blob_id
        assert a.duplicate_of_id is None and b.duplicate_of_id == a.id
    shard = platform.blobs.path(t, a.sha256).parent
    assert [p.name for p in shard.iterdir()] == [a.sha256]  # one file on disk
    with platform.db.installation_session() as s:
        received = [audit.decoded_data(e) for e in audit.query(s, t, event="item.received")]
    assert [r["duplicate_of"] for r in received] == [None, a.id]  # every arrival is recorded


def test_same_bytes_in_two_tenants_are_two_blobs(mplatform):
    # the blob store is scoped by tenant: B's copy is its own, and erasing it leaves A's intact
    platform = mplatform
    a, b = fresh_tenant(platform), fresh_tenant(platform)
    ia = analyse_document(platform, a, DOCUMENT, filename="a.txt", actor="test")["item_id"]
    ib = analyse_document(platform, b, DOCUMENT, filename="b.txt", actor="test")["item_id"]
    with platform.db.tenant_session(b) as s:
        assert s.get(Item, ib).duplicate_of_id is None
        items.remove_content(s, platform.blobs, s.get(Item, ib), reason="erasure", actor="test")
    with platform.db.tenant_session(a) as s:
        assert items.read_content(s, platform.blobs, s.get(Item, ia)) == DOCUMENT


@pytest.mark.parametrize("reason", ["erasure", "kassasjon", "retention"])
def test_removing_content_keeps_the_chain_and_leaves_no_text(mplatform, reason):
    platform, t = mplatform, fresh_tenant(mplatform)
    out = analyse_document(platform, t, DOCUMENT, filename=f"{NAME}.txt", actor="test")
    item_id, sha = out["item_id"], None
    assert NAME not in _audit_dump(platform)  # not even before removal: the log holds ids and hashes
    with platform.db.tenant_session(t) as s:
        item = s.get(Item, item_id)
        sha = item.sha256
        assert NAME in item.text
        items.remove_content(s, platform.blobs, item, reason=reason, actor="test")
    with platform.db.tenant_session(t) as s:
        item = s.get(Item, item_id)
        assert item.text is None and item.filename is None and item.title is None
        assert item.content_removed_reason == reason and item.sha256 == sha  # the hash stays, for the chain
        with pytest.raises(NotFound):
            items.read_content(s, platform.blobs, item)
        sugg = s.get(Suggestion, out["id"])
        assert sugg.value == {"fjernet": reason} and NAME not in str(sugg.explanation)
    assert not platform.blobs.path(t, sha).exists()
    result = _verify(platform, t)
    assert result.ok, result.problem
    assert NAME not in _audit_dump(platform)
    with platform.db.installation_session() as s:
        removed = [audit.decoded_data(e) for e in audit.query(s, t, event="item.content_removed")]
    assert removed == [{"reason": reason, "sha256": sha, "blob_deleted": True}]


def test_shared_bytes_are_deleted_with_the_last_live_item(mplatform):
    platform, t = mplatform, fresh_tenant(mplatform)
    first = analyse_document(platform, t, DOCUMENT, filename="a.txt", actor="test")["item_id"]
    second = analyse_document(platform, t, DOCUMENT, filename="b.txt", actor="test")["item_id"]
    with platform.db.tenant_session(t) as s:
        items.remove_content(s, platform.blobs, s.get(Item, first), reason="erasure", actor="test")
        assert items.read_content(s, platform.blobs, s.get(Item, second)) == DOCUMENT
        items.remove_content(s, platform.blobs, s.get(Item, second), reason="erasure", actor="test")
        sha = s.get(Item, second).sha256
    assert not platform.blobs.path(t, sha).exists()
    with platform.db.installation_session() as s:
        flags = [
            audit.decoded_data(e)["blob_deleted"] for e in audit.query(s, t, event="item.content_removed")
        ]
    assert flags == [False, True]
    assert _verify(platform, t).ok


def test_unknown_removal_reason_is_refused(mplatform):
    platform, t = mplatform, fresh_tenant(mplatform)
    item_id = analyse_document(platform, t, DOCUMENT, filename="a.txt", actor="test")["item_id"]
    with pytest.raises(InvalidInput):
        with platform.db.tenant_session(t) as s:
            items.remove_content(s, platform.blobs, s.get(Item, item_id), reason="fordi", actor="test")
    with platform.db.tenant_session(t) as s:
        assert s.get(Item, item_id).text is not None


def test_retention_rules_from_tenant_settings(mplatform):
    platform, t = mplatform, fresh_tenant(mplatform)
    with platform.db.installation_session() as s:
        s.get(Tenant, t).settings = {"retention": {"malform:analysed": 30, "malform:failed": 7}}
    old = analyse_document(platform, t, DOCUMENT, filename="gammel.txt", actor="test")["item_id"]
    new = analyse_document(
        platform, t, b"Eit heilt anna brev om skulevegen.", filename="ny.txt", actor="test"
    )["item_id"]
    with platform.db.tenant_session(t) as s:
        s.get(Item, old).updated_at = utcnow() - timedelta(days=31)  # last changed a month ago
        s.get(Item, new).updated_at = utcnow() - timedelta(days=29)  # within the 30 days
    with platform.db.tenant_session(t) as s:
        rules = s.get(Tenant, t).settings["retention"]
        assert items.apply_retention(s, platform.blobs, t, rules) == 1
    with platform.db.tenant_session(t) as s:
        assert s.get(Item, old).content_removed_reason == "retention"
        assert s.get(Item, new).content_removed_at is None and s.get(Item, new).text
    # running again removes nothing more
    with platform.db.tenant_session(t) as s:
        assert items.apply_retention(s, platform.blobs, t, {"malform:analysed": 30}) == 0
    assert _verify(platform, t).ok
    assert NAME not in _audit_dump(platform)
