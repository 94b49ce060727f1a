"""The engine on its own: rules, model, innsyn override, guarded kinds, shipped model and corpus."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from pm_helpers import make_eml
from tests.conftest import SHARED, require

from kommuneki.ingest.email import parse_message
from kommuneki.services.postmottak import corpus, engine, training


@pytest.fixture(scope="module")
def model():
    return engine.default_model()


def test_auto_reply_header_rule_wins_over_words(model):
    raw = make_eml(
        "Søknad om byggetillatelse",
        "Jeg er på ferie til 4. august.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    t = engine.triage(parse_message(raw), model)
    assert (t.action, t.delete_reason, t.rule.rule) == ("slettes", "auto_reply", "header.auto_submitted")
    assert engine.action_kind(t) == "postmottak.delete"
    assert t.unit is None and t.dokumenttype is None


@pytest.mark.parametrize(
    "report, reason", [("delivery-status", "bounce"), ("disposition-notification", "read_receipt")]
)
def test_multipart_report_rules(model, report, reason):
    raw = (
        f"From: MAILER-DAEMON@x.no\r\nSubject: Levert\r\nMIME-Version: 1.0\r\nContent-Type: "
        f"multipart/report; "
        f"report-type={report}; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nok\r\n--B\r\n"
        f"Content-Type: message/{report}\r\n\r\nFinal-Recipient: rfc822; a@b.no\r\n\r\n--B--\r\n"
    ).encode()
    t = engine.triage(parse_message(raw), model)
    assert (t.action, t.delete_reason) == ("slettes", reason)


def test_innsyn_is_journalfort_with_deadlines_and_never_automatable(model):
    raw = make_eml(
        "Spørsmål",
        "Hei! Jeg ber om innsyn i avtalen med entreprenøren om brøyting.",
        date="Tue, 15 Apr 2025 10:00:00 +0200",
    )
    t = engine.triage(parse_message(raw), model)
    assert t.action == "journalfores" and t.dokumenttype == "INNSYNSKRAV"
    j = t.as_json()["innsyn"]
    assert (j["detected"], j["received"], j["deadline"], j["deemed_refusal"]) == (
        True,
        "2025-04-15",
        "2025-04-23",
        "2025-04-25",
    )
    assert engine.action_kind(t) == "postmottak.action"
    kinds = [p.kind for p in engine.proposals(t)]
    assert "postmottak.innsyn" in kinds and "postmottak.forward" not in kinds


@pytest.mark.parametrize(
    "date_header, received, deadline",
    [
        ("Sun, 01 Mar 2026 23:30:00 +0000", "2026-03-02", "2026-03-05"),  # 00:30 on Monday in Norway (winter)
        ("Sun, 28 Jun 2026 22:30:00 +0000", "2026-06-29", "2026-07-02"),  # 00:30 on Monday in Norway (summer)
        ("Mon, 02 Mar 2026 00:30:00 +0100", "2026-03-02", "2026-03-05"),
        ("Sun, 01 Mar 2026 22:30:00 +0000", "2026-03-01", "2026-03-04"),  # still Sunday in Norway
    ],
    ids=["UTC Sunday night is Norwegian Monday", "summer time", "Norwegian offset", "Sunday"],
)
def test_innsyn_received_day_is_the_norwegian_calendar_day(model, date_header, received, deadline):
    raw = make_eml("Innsyn", "Jeg ber om innsyn i kontrakten.", date=date_header)
    j = engine.triage(parse_message(raw), model).as_json()["innsyn"]
    assert (j["received"], j["deadline"]) == (received, deadline)


def test_sensitive_message_goes_to_a_person(model):
    raw = make_eml(
        "Spørsmål om hjemmetjenesten", "Min far har demens og kols. Hjemmetjenesten kom ikke i dag."
    )
    t = engine.triage(parse_message(raw), model)
    assert t.sensitive_status == "checked"
    assert t.sensitive, "helse words must be found by the shared PII detectors"
    assert engine.action_kind(t) == "postmottak.action"


def test_explanation_terms_are_in_the_message_and_highlighted(model):
    raw = make_eml(
        "Faktura 12345",
        "Vedlagt følger faktura på kr 5 000 med forfall 30.04.2025. Betales til konto 1234.56.78901.",
    )
    m = parse_message(raw)
    t = engine.triage(m, model)
    assert (t.action, t.unit) == ("videresendes", "okonomi")
    shown = m.subject + "\n\n" + m.body
    for term, spans in t.highlights.items():
        for s, e in spans:
            assert shown[s:e].lower() == term.replace("  ", " ").lower() or " " in term
    assert any("faktura" in x["term"] for x in t.terms["action"])


def test_dokumenttype_codes_are_in_the_fiks_kodeliste():
    path = SHARED / "data/fiks-arkiv/kodelister/no.ks.fiks.arkiv.v1.kodelister.dokumenttype.json"
    require(path.exists(), "Fiks Arkiv kodelister", "../shared/data/fiks-arkiv")
    codes = {k["kodeverdi"]: k["kodebeskrivelse"] for k in json.loads(path.read_text())["kodeliste"]}
    for code, label in engine.FIKS_DOKUMENTTYPER.items():
        assert codes.get(code) == label, code
    used = {c.dokumenttype for c in corpus.CATEGORIES if c.action == "journalfores"}
    assert used <= set(codes) | set(engine.TENANT_DOKUMENTTYPER)


def test_corpus_is_reproducible_and_splits_do_not_share_phrasing():
    a = [m.raw for m in corpus.generate(20, split="train")]
    assert a == [m.raw for m in corpus.generate(20, split="train")]
    for cat in corpus.CATEGORIES:
        train, held = corpus._split(cat.sentences, "train"), corpus._split(cat.sentences, "heldout")
        assert not set(train) & set(held) or len(cat.sentences) == 1
    labels = Counter(m.labels["action"] for m in corpus.generate(400, split="heldout"))
    assert set(labels) == {"journalfores", "videresendes", "slettes"}


def test_shipped_model_beats_the_majority_baseline_on_heldout(model):
    held = list(corpus.generate(300, split="heldout", seed=777))
    result = training.evaluate(model, [m.raw for m in held], [m.labels for m in held])
    majority = Counter(m.labels["action"] for m in held).most_common(1)[0][1] / len(held)
    assert result["accuracy"]["action"] > majority + 0.2
    assert result["accuracy"]["innsyn"] > 0.95


def test_rate_at_precision():
    scored = [(0.99, True), (0.98, True), (0.9, False), (0.8, True)]
    assert training.rate_at_precision(scored, 4, 0.99) == {
        "threshold": 0.98,
        "automated": 2,
        "rate": 0.5,
        "precision": 1.0,
    }
    assert training.rate_at_precision([], 3, 0.99)["automated"] == 0


@pytest.mark.parametrize(
    "term, label",
    [
        ("hdr_noreply", "Avsender er en no-reply-adresse"),
        ("hdr_orgdomain hdr_einnsyn", "Avsender bruker et firmadomene + Sendt fra eInnsyn"),
        ("hdr_attachment søknad", "Meldingen har vedlegg + «søknad»"),
        ("byggesøknad", None),
    ],
)
def test_header_pseudo_tokens_are_explained_in_words(term, label):
    from kommuneki.services.postmottak import features

    assert features.pseudo_label(term) == label


def test_no_explanation_term_shows_a_raw_header_token(model):
    raw = make_eml(
        "eInnsyn: nytt innsynskrav",
        "Kravet gjelder offentlig journal. Jeg ber om innsyn.",
        sender="no-reply@einnsyn.no",
    )
    t = engine.triage(parse_message(raw), model)
    terms = [
        e for p in engine.proposals(t) for e in p.explanation.get("evidence", []) if e.get("type") == "term"
    ]
    assert any("hdr_" in e["term"] for e in terms), "the header tokens drive this suggestion"
    for e in terms:
        assert "hdr_" not in (e["label"] or e["term"]), e
