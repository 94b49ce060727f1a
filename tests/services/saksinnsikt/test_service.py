"""The stored index: a Noark 5 arkivuttrekk and a folder imported (bytes first, idempotent, bad parts
reported in Norwegian), searched as each user may, answered with citations, erased with its items."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from kommuneki.core import items
from kommuneki.core.errors import InvalidInput, NotFound
from kommuneki.core.models import AuditEntry, Item, Suggestion
from kommuneki.core.permissions import cli_principal
from kommuneki.services.saksinnsikt import service
from kommuneki.services.saksinnsikt.models import SaksDocument, SaksPassage

from .conftest import SECRET, SECRET_PUBLIC


def _texts(res):
    return [r["text"] for r in res["results"]]


def test_noark_import_keeps_metadata_and_reports_missing_files(sak_tenant, extract_dir):
    platform, tid, _ = sak_tenant
    report = service.import_noark(platform, tid, extract_dir, actor="test")
    assert report.indexed == 3 and report.failed == 0
    assert any("2024/109" in p and "mangler" in p for p in report.problems)
    with platform.db.tenant_session(tid) as s:
        docs = {d.journalpost: d for d in s.scalars(select(SaksDocument))}
        assert docs["2024/101"].saksnummer == "2024/17" and docs["2024/101"].dokumenttype == "Vedtak"
        assert docs["2024/101"].document_date == "2024-03-01"
        assert docs["2024/101"].parties == [{"navn": "Kari Nordmann", "type": "Mottaker"}]
        secret = docs["2024/202"]
        # inherited from the mappe (M500 «Arv»)
        assert secret.tilgangsrestriksjon == "13" and secret.hidden_fields == ["tittel", "korrespondansepart"]
        assert secret.public_item_id is not None
        assert docs["2024/303"].unit_code == "teknisk-drift"
        # raw bytes stored as items
        assert s.get(Item, secret.item_id).blob_id is not None
    again = service.import_noark(platform, tid, extract_dir, actor="test")
    assert again.indexed == 0 and again.unchanged == 3


def test_broken_or_doctype_extract_is_a_norwegian_problem(sak_tenant, tmp_path):
    platform, tid, _ = sak_tenant
    bad = tmp_path / "bad.xml"
    bad.write_text("<arkiv xmlns='x'><ikke lukket>", encoding="utf-8")
    assert "ikke gyldig XML" in service.import_noark(platform, tid, bad, actor="t").problems[0]
    dt = tmp_path / "dt.xml"
    dt.write_text('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><arkiv/>', encoding="utf-8")
    assert "DOCTYPE" in service.import_noark(platform, tid, dt, actor="t").problems[0]


def test_a_restricted_passage_never_reaches_a_user_without_the_grant(sak_tenant, extract_dir):
    platform, tid, make_user = sak_tenant
    service.import_noark(platform, tid, extract_dir, actor="test")
    plain = make_user("vanlig")
    granted = make_user("barnevern")
    service.grant(platform, tid, granted.user_id, "13", actor="test")

    question = "bekymringsmelding familien Hansen Solbakken omsorgssvikt"
    res = service.search(platform, plain, question, method="bm25", answer=True)
    blob = json.dumps(res, ensure_ascii=False)
    assert SECRET not in blob and "Hansen" not in blob and "Solbakken" not in blob
    assert _texts(res) == [SECRET_PUBLIC]  # the public variant, titled with offentligTittel
    assert res["results"][0]["document"]["title"] == "Bekymringsmelding"
    assert res["results"][0]["document"]["parties"] == []
    doc_id = res["results"][0]["document"]["id"]
    view = service.document_view(platform, plain, doc_id, res["results"][0]["passage_id"])
    assert view["text"] == SECRET_PUBLIC and "Hansen" not in json.dumps(view, ensure_ascii=False)

    full = service.search(platform, granted, question, method="bm25", answer=True)
    assert SECRET in _texts(full)
    assert "Hansen" in full["answer"]["text"]
    # the granted user's recorded answer, readable by others through the suggestion routes, does not
    # even name the restricted document; the audit entry (audit readers only) does
    with platform.db.tenant_session(tid) as s:
        recorded = s.get(Suggestion, full["suggestion_id"])
        assert doc_id not in recorded.value["document_ids"]
        assert all(e["document_id"] != doc_id for e in recorded.explanation["evidence"])

    # nothing of it in the audit log or the recorded suggestions (hash, ids and scores only)
    with platform.db.tenant_session(tid) as s:
        entries = json.dumps([e.data for e in s.scalars(select(AuditEntry))], ensure_ascii=False)
        recorded = json.dumps(
            [[x.value, x.explanation] for x in s.scalars(select(Suggestion))], ensure_ascii=False
        )
    for text in (entries, recorded):
        assert "Hansen" not in text and "bekymringsmelding" not in text.casefold()


def test_a_restricted_document_without_a_public_variant_is_invisible_even_in_counts(sak_tenant, tmp_path):
    from .conftest import write_extract

    platform, tid, make_user = sak_tenant
    folder = write_extract(tmp_path / "u2")
    xml = (folder / "arkivstruktur.xml").read_text(encoding="utf-8")
    xml = xml.replace(
        "<variantformat>Offentlig variant</variantformat>", "<variantformat>Arkivformat</variantformat>"
    )
    (folder / "arkivstruktur.xml").write_text(xml, encoding="utf-8")
    service.import_noark(platform, tid, folder, actor="test")
    plain = make_user("vanlig2")
    res = service.search(platform, plain, "bekymringsmelding omsorgssvikt", method="bm25", answer=True)
    assert res["results"] == [] and res["answer"] is None
    assert res["no_answer"] == "Fant ikke svar i dokumentene."
    with platform.db.tenant_session(tid) as s:
        doc_id = s.scalar(select(SaksDocument.id).where(SaksDocument.journalpost == "2024/202"))
    with pytest.raises(NotFound):
        service.document_view(platform, plain, doc_id, None)


def test_unit_members_only_read_their_unit(sak_tenant, extract_dir):
    platform, tid, make_user = sak_tenant
    service.import_noark(platform, tid, extract_dir, actor="test")
    other = make_user("helse", units=["helse"])
    own = make_user("drift", units=["teknisk-drift"])
    q = "vannledningen Storgata"
    assert service.search(platform, other, q, method="bm25")["results"] == []
    assert "Storgata" in service.search(platform, own, q, method="bm25")["results"][0]["text"]


def test_answer_cites_the_passage_and_filters_apply(sak_tenant, extract_dir):
    platform, tid, make_user = sak_tenant
    service.import_noark(platform, tid, extract_dir, actor="test")
    user = make_user("spor")
    res = service.search(platform, user, "Kan garasjen bygges nær nabogrensen?", method="bm25", answer=True)
    a = res["answer"]
    assert a["ai_generated"] is False and "nabogrensen" in a["text"]
    view = service.document_view(platform, user, a["document_id"], a["passage_id"])
    assert view["text"][a["start"] : a["end"]] == a["text"]
    assert view["passage"]["page"] == 1
    none = service.search(
        platform, user, "garasje", method="bm25", filters=service.Filters(dokumenttype="Brev")
    )
    assert none["results"] == []
    with pytest.raises(InvalidInput):
        service.search(platform, user, "x" * 10_000)
    with pytest.raises(InvalidInput):
        service.search(platform, user, "   ")
    service.mark_useful(platform, user, res["suggestion_id"], True)
    with platform.db.tenant_session(tid) as s:
        assert s.get(Suggestion, res["suggestion_id"]).status == "accepted"


def test_new_and_changed_documents_are_searchable_at_once_and_erasure_reaches_the_index(sak_tenant, tmp_path):
    platform, tid, make_user = sak_tenant
    user = make_user("leser")
    folder = tmp_path / "mappe"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Reguleringsplanen for Sentrum ble vedtatt i kommunestyret.", encoding="utf-8"
    )
    (folder / "tom.txt").write_bytes(b"")
    report = service.import_folder(platform, tid, folder, actor="test")
    assert report.indexed == 1 and report.failed == 1 and "tom" in report.problems[0]
    assert service.search(platform, user, "reguleringsplanen", method="bm25")["results"]
    (folder / "a.txt").write_text("Skjenkebevillingen til Kafé Torget ble fornyet.", encoding="utf-8")
    assert service.import_folder(platform, tid, folder, actor="test").indexed == 1
    assert service.search(platform, user, "reguleringsplanen", method="bm25")["results"] == []
    hit = service.search(platform, user, "skjenkebevillingen", method="bm25")["results"][0]
    with platform.db.tenant_session(tid) as s:
        item = s.get(Item, s.get(SaksDocument, hit["document"]["id"]).item_id)
        items.remove_content(s, platform.blobs, item, reason="erasure", actor="test")
    with platform.db.tenant_session(tid) as s:
        assert s.scalars(select(SaksPassage).where(SaksPassage.item_id == item.id)).all() == []
    assert service.search(platform, user, "skjenkebevillingen", method="bm25")["results"] == []
    with pytest.raises(NotFound):
        service.document_view(platform, user, hit["document"]["id"], None)
    shell = cli_principal(tid)
    assert service.search(platform, shell, "skjenkebevillingen", method="bm25")["results"] == []


def test_a_new_document_goes_into_the_delta_segment_without_rebuilding_the_main_one(sak_tenant, tmp_path):
    platform, tid, make_user = sak_tenant
    user = make_user("delta")
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "a.txt").write_text("Kommunestyret vedtok budsjettet for skolene.", encoding="utf-8")
    service.import_folder(platform, tid, folder, actor="test")
    assert service.search(platform, user, "budsjettet", method="bm25")["results"]
    with platform.db.tenant_session(tid) as s:
        main = service.tenant_index(platform, s).segments[0]
    (folder / "b.txt").write_text("Brannvesenet øvde på redning fra høyblokk.", encoding="utf-8")
    service.import_folder(platform, tid, folder, actor="test")
    assert (
        "Brannvesenet"
        in service.search(platform, user, "redning høyblokk", method="bm25")["results"][0]["text"]
    )
    with platform.db.tenant_session(tid) as s:
        index = service.tenant_index(platform, s)
    assert index.segments[0] is main and len(index.segments) == 2


def test_a_folder_import_stores_before_reading_one_bad_file_never_stops_it_and_a_killed_run_ends_once(
    sak_tenant, tmp_path
):
    """On the arrival pipeline: every file is stored before it is read; a broken one is kept as a
    failed item with its bytes and reason while the others are indexed; what a killed run stored and
    never indexed is indexed from that very item by the next run (not stored again)."""
    from kommuneki.core.arrival import Incoming

    platform, tid, make_user = sak_tenant
    folder = tmp_path / "arkiv"
    folder.mkdir()
    (folder / "a.txt").write_text("Vegvesenet varslet stenging av fylkesveien i mars.", encoding="utf-8")
    broken = b"%PDF-1.7 \x00\x01 ikke en ekte pdf"
    (folder / "skannet.pdf").write_bytes(broken)
    (folder / "c.txt").write_text("Bibliotekets nye åpningstider gjelder fra august.", encoding="utf-8")
    report = service.import_folder(platform, tid, folder, actor="test")
    assert (report.indexed, report.failed) == (2, 1) and "skannet.pdf" in report.problems[0]
    with platform.db.read_session(tid) as s:
        kept = s.scalars(select(Item).where(Item.external_id == "file:skannet.pdf")).one()
        assert kept.state == "failed" and kept.meta["error"] and kept.text is None
        assert items.read_content(s, platform.blobs, kept) == broken
        received = select(AuditEntry).where(
            AuditEntry.item_id == kept.id, AuditEntry.event == "item.received"
        )
        assert s.scalar(received) is not None

    # a run killed after storing d.txt: its item is committed, nothing read
    late = "Kommunen kjøper inn nye brøytebiler til vinteren.".encode()
    left = service.documents(platform, tid, actor="test").store(
        Incoming(late, filename="d.txt", source="folder", external_id="file:d.txt")
    )
    (folder / "d.txt").write_bytes(late)
    again = service.import_folder(platform, tid, folder, actor="test")
    assert (again.indexed, again.unchanged, again.failed) == (1, 2, 1)
    with platform.db.read_session(tid) as s:
        assert s.scalars(select(Item.id).where(Item.external_id == "file:d.txt")).all() == [left]
        doc = s.scalars(select(SaksDocument).where(SaksDocument.external_id == "file:d.txt")).one()
        assert doc.item_id == left and s.get(Item, left).state == "indexed"
    hits = service.search(platform, make_user("broyting"), "brøytebiler", method="bm25")["results"]
    assert hits and hits[0]["document"]["id"] == doc.id
