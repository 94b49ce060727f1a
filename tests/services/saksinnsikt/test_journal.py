"""Messages postmottak journalfører become searchable through the capability it declares
(``archive.journalforte_meldinger``): saksinnsikt never imports postmottak; it finds the capability in the
registry. Only journalført messages, once each, restricted when skjermet, and erased with their item."""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import select

from kommuneki.core import items, registry, suggestions
from kommuneki.core.models import Suggestion
from kommuneki.core.permissions import cli_principal
from kommuneki.services.saksinnsikt import service
from kommuneki.services.saksinnsikt.models import SaksDocument, SaksPassage


def _message(subject: str, body: str, message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "kari@example.test", "postmottak@kommune.test", subject
    msg["Message-ID"] = message_id
    msg.set_content(body)
    return bytes(msg)


def _take_in(platform, tid, raw: bytes) -> int:
    take_in = registry.resolve("kommuneki.services.postmottak.service:take_in")
    return take_in(platform, tid, raw, source="test", actor="test")["id"]


def _finish(platform, tid, pm_id: int) -> int:
    """Accept the message's dokumenttype suggestion as a person would and journalføre it — through the
    functions postmottak's spec points to (resolved by name, as another service would)."""
    journalfor = registry.resolve("kommuneki.services.postmottak.service:journalfor")
    message = registry.resolve("kommuneki.services.postmottak.models:PostmottakMessage")
    with platform.db.tenant_session(tid) as s:
        item_id = s.get(message, pm_id).item_id
        dt = s.scalar(
            select(Suggestion).where(
                Suggestion.item_id == item_id, Suggestion.kind == "postmottak.dokumenttype"
            )
        )
        suggestions.decide(s, platform.registry, cli_principal(tid), dt.id, outcome="accepted")
    assert journalfor(platform, tid, pm_id, actor="test")["done"] == "journalfort"
    return pm_id


def _journalfor(platform, tid, raw: bytes) -> int:
    return _finish(platform, tid, _take_in(platform, tid, raw))


def test_journalforte_messages_become_searchable_once_and_are_erased_with_their_item(sak_tenant):
    platform, tid, make_user = sak_tenant
    assert platform.registry.capability(service.JOURNAL_CAPABILITY) is not None  # postmottak offers it
    reader = make_user("journal-leser")
    # taken in but not journalført: not indexed
    earlier = _take_in(
        platform,
        tid,
        _message(
            "Søknad om utslippstillatelse",
            "Jeg søker om utslippstillatelse for ny slamavskiller på hytta i Fjellveien 12.",
            "<j0@x>",
        ),
    )
    pm_id = _journalfor(
        platform,
        tid,
        _message(
            "Søknad om skjenkebevilling",
            "Vi søker om skjenkebevilling for kafeen Solsiden i Storgata 5 fra 1. mai.",
            "<j1@x>",
        ),
    )
    assert service.journal_pending(platform, tid) is True  # the schedule would start a job now
    report = service.import_journalforte(platform, tid, actor="test")
    assert report.indexed == 1 and report.failed == 0, report.problems
    assert service.journal_pending(platform, tid) is False  # nothing new: no job next minute
    res = service.search(platform, reader, "skjenkebevilling kafeen Solsiden", method="bm25")
    assert res["results"] and "Solsiden" in res["results"][0]["text"]
    assert "slamavskilleren" not in str(
        service.search(platform, reader, "slamavskilleren hytta", method="bm25")
    )
    with platform.db.tenant_session(tid) as s:
        doc = s.scalar(select(SaksDocument).where(SaksDocument.external_id.endswith(f":{pm_id}")))
        assert doc.source == "postmottak" and doc.dokumenttype
        item = s.get(items.Item, doc.item_id)
        assert item.service == "postmottak" and item.state == "journalfort"  # its own item, left as it was
    view = service.document_view(platform, reader, doc.id, res["results"][0]["passage_id"])
    assert "Solsiden" in view["text"] and view["passage"]
    again = service.import_journalforte(platform, tid, actor="test")
    assert again.indexed == 0
    # a message taken in earlier but journalført later is still picked up (the order is journalføring's)
    _finish(platform, tid, earlier)
    assert service.import_journalforte(platform, tid, actor="test").indexed == 1
    assert service.search(platform, reader, "slamavskilleren hytta", method="bm25")["results"]

    # erasing the message (GDPR) removes its passages in the same transaction
    with platform.db.tenant_session(tid) as s:
        items.remove_content(s, platform.blobs, s.get(items.Item, doc.item_id), reason="erasure", actor="t")
    with platform.db.tenant_session(tid) as s:
        assert s.scalars(select(SaksPassage).where(SaksPassage.item_id == doc.item_id)).all() == []
    assert (
        service.search(platform, reader, "skjenkebevilling kafeen Solsiden", method="bm25")["results"] == []
    )
    assert service.import_journalforte(platform, tid, actor="test").indexed == 0  # not brought back


def test_a_skjermet_message_needs_the_grant(sak_tenant):
    platform, tid, make_user = sak_tenant
    plain, granted = make_user("journal-vanlig"), make_user("journal-tilgang")
    service.grant(platform, tid, granted.user_id, service.JOURNAL_RESTRICTION, actor="test")
    pm_id = _journalfor(
        platform,
        tid,
        _message("Bekymring", "Bekymringsmelding om barnet Per, fødselsnummer 01017010170.", "<j2@x>"),
    )
    with platform.db.tenant_session(tid) as s:
        pm = s.get(registry.resolve("kommuneki.services.postmottak.models:PostmottakMessage"), pm_id)
        skjermet = pm.sensitive
    service.import_journalforte(platform, tid, actor="test")
    found = service.search(platform, granted, "bekymringsmelding barnet", method="bm25")["results"]
    assert found and "Per" in found[0]["text"]
    hidden = service.search(platform, plain, "bekymringsmelding barnet", method="bm25")["results"]
    assert (hidden == []) if skjermet else hidden
    assert skjermet  # the fødselsnummer makes postmottak mark it sensitive (skjerming)


def test_without_the_capability_nothing_is_imported(sak_tenant, monkeypatch):
    platform, tid, _ = sak_tenant
    monkeypatch.setattr(
        platform, "registry", registry.ServiceRegistry()
    )  # an installation without postmottak
    report = service.import_journalforte(platform, tid, actor="test")
    assert report.indexed == 0 and "postmottak er ikke installert" in report.problems[0]
    assert service.journal_pending(platform, tid) is False
