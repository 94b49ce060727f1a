"""The service on a real database (SQLite and PostgreSQL): store first, screen, suggest, decide, redact,
audit — and a file that cannot be read is kept, marked failed."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.ingest.makers import make_docx, make_pdf

from kommuneki.core import audit
from kommuneki.core.errors import InvalidInput
from kommuneki.core.models import AuditEntry, Item, Suggestion
from kommuneki.core.permissions import Principal
from kommuneki.services.skjerming import engine, service

FNR = "26078704828"
TEXT = f"Vedtak om sosialhjelp\n\nSøker: fødselsnummer {FNR}. Søknaden om økonomisk sosialhjelp er innvilget."


def arkivar(tenant_id: int) -> Principal:
    return Principal(
        user_id=None, tenant_id=tenant_id, roles=frozenset({"arkivar"}), via="test", display_name="Test"
    )


@pytest.fixture
def demo_platform(platform):
    """Overrides the shared fixture: a bare tenant is all these tests need (the full demo is slow)."""
    return platform


@pytest.fixture
def tenant_id(platform):
    from kommuneki.core import accounts

    with platform.db.installation_session() as s:
        return accounts.create_tenant(
            s,
            actor="test",
            slug="skjerming-test",
            name="Test kommune",
            kommunenummer="9990",
            malform="bokmal",
        ).id


def test_screen_decide_redact(demo_platform, tenant_id):
    r = service.screen_document(
        demo_platform,
        tenant_id,
        TEXT.encode(),
        filename="vedtak.txt",
        actor="test",
        title="Vedtak om sosialhjelp",
    )
    fnr = next(f for f in r["findings"] if f["type"] == "FODSELSNUMMER")
    assert fnr["withhold"] and fnr["hjemmel"] == "offl. § 26 (5)"
    assert r["decision"] in ("partial", "withhold")
    assert set(r["suggestions"]) == {engine.KIND_INNSYN, engine.KIND_INTERNETT, engine.KIND_TITTEL}
    p = arkivar(tenant_id)
    # the person withholds only the fødselsnummer: a change from the proposal needs a reason
    chosen = {fnr["index"]}
    proposed = {f["index"] for f in r["findings"] if f["withhold"]}
    if chosen != proposed:
        with pytest.raises(InvalidInput):
            service.decide_findings(demo_platform, p, r["item_id"], innsyn=chosen, internett=chosen)
    out = service.decide_findings(
        demo_platform,
        p,
        r["item_id"],
        innsyn=chosen,
        internett=chosen,
        reason="Bare fødselsnummeret skjermes.",
    )
    assert out["innsyn"]["withheld"] == 1
    red = service.redacted_file(demo_platform, p, r["item_id"], "innsyn")
    body = red.data.decode()
    assert FNR not in body and "Vedtak om sosialhjelp" in body
    with demo_platform.db.tenant_session(tenant_id) as s:
        item = s.get(Item, r["item_id"])
        assert item.state == "decided"
        events = [e.event for e in s.scalars(select(AuditEntry).where(AuditEntry.item_id == item.id))]
        assert {"item.received", "suggestion.created", "decision.made", "skjerming.redacted"} <= set(events)
        # audit entries hold ids and hashes only, never the number
        assert all(
            FNR not in audit.canonical_json(e.data)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.item_id == item.id))
        )
        assert (
            s.scalar(
                select(Suggestion).where(Suggestion.item_id == item.id, Suggestion.kind == engine.KIND_INNSYN)
            ).status
            == "changed"
        )


def test_accept_as_proposed(demo_platform, tenant_id):
    r = service.screen_document(demo_platform, tenant_id, TEXT.encode(), filename="a.txt", actor="test")
    inn = {f["index"] for f in r["findings"] if f["withhold"]}
    net = {f["index"] for f in r["findings"] if f["internet_withhold"]}
    out = service.decide_findings(demo_platform, arkivar(tenant_id), r["item_id"], innsyn=inn, internett=net)
    assert out["innsyn"]["outcome"] == "accepted" and out["internett"]["outcome"] == "accepted"


def test_bad_file_is_kept_and_marked_failed(demo_platform, tenant_id):
    data = make_pdf([["Hemmelig"]], password="passord")
    with pytest.raises(InvalidInput):
        service.screen_document(demo_platform, tenant_id, data, filename="kryptert.pdf", actor="test")
    with demo_platform.db.tenant_session(tenant_id) as s:
        item = s.scalars(select(Item).where(Item.filename == "kryptert.pdf")).one()
        assert item.state == "failed" and "kryptert" in item.meta["error"]
        assert demo_platform.blobs.get(tenant_id, item.sha256) == data  # nothing lost
        assert not s.scalars(select(Suggestion).where(Suggestion.item_id == item.id)).all()


def test_docx_and_pdf_documents(demo_platform, tenant_id):
    p = arkivar(tenant_id)
    for name, data in (
        ("v.docx", make_docx(body=[f"Fødselsnummer {FNR}."], header=f"Ref {FNR}")),
        ("v.pdf", make_pdf([[f"Fødselsnummer {FNR}."]], title=FNR)),
    ):
        r = service.screen_document(demo_platform, tenant_id, data, filename=name, actor="test")
        red = service.redacted_file(demo_platform, p, r["item_id"], "internett", text_layer=False)
        assert FNR.encode() not in red.data and red.filename.endswith(name[-5:].lstrip("v"))


def test_demo_loader_is_idempotent_and_fills_the_queue(platform, tenant_id):
    from kommuneki.services.skjerming import demo

    assert demo.load(platform, tenant_id, lambda _m: None) == len(demo.documents())
    assert demo.load(platform, tenant_id, lambda _m: None) == 0
    with platform.db.tenant_session(tenant_id) as s:
        kinds = {k for (k,) in s.execute(select(Suggestion.kind).where(Suggestion.service == "skjerming"))}
        texts = " ".join(i.text for i in s.scalars(select(Item).where(Item.service == "skjerming")))
    assert kinds == {engine.KIND_INNSYN, engine.KIND_INTERNETT, engine.KIND_TITTEL}
    assert "fødselsnummer" in texts


def test_page_decides_what_the_generic_page_left_pending(platform, tenant_id):
    from kommuneki.core import suggestions

    r = service.screen_document(platform, tenant_id, TEXT.encode(), filename="b.txt", actor="test")
    p = arkivar(tenant_id)
    with platform.db.tenant_session(tenant_id) as s:  # innsyn accepted on the generic suggestion page
        suggestions.decide(
            s, platform.registry, p, r["suggestions"][engine.KIND_INNSYN]["id"], outcome="accepted"
        )
    net = {f["index"] for f in r["findings"] if f["internet_withhold"]}
    out = service.decide_findings(platform, p, r["item_id"], innsyn=set(), internett=net)
    assert set(out) == {"internett"} and out["internett"]["outcome"] == "accepted"
    with platform.db.tenant_session(tenant_id) as s:
        assert s.get(Item, r["item_id"]).state == "decided"
    with pytest.raises(Exception) as err:
        service.decide_findings(platform, p, r["item_id"], innsyn=set(), internett=set())
    assert "ventende" in str(err.value)
