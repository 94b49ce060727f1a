"""Innsyn deadlines: arbeidsdager are Monday–Friday minus Norwegian public holidays; arrival is day 0."""

from __future__ import annotations

from datetime import date

import pytest
from tests.services.postmottak.pm_helpers import make_eml

from kommuneki.core.errors import InvalidInput
from kommuneki.ingest.email import parse_message
from kommuneki.services.postmottak import innsyn


@pytest.mark.parametrize(
    "received, days, deadline, deemed",
    [
        # an ordinary Tuesday: +3 = Friday, +5 = next Tuesday
        (date(2025, 3, 4), 3, date(2025, 3, 7), date(2025, 3, 11)),
        # arrived on a Saturday: Monday is the first arbeidsdag
        (date(2025, 3, 8), 1, date(2025, 3, 10), date(2025, 3, 14)),
        # Easter 2025: skjærtorsdag 17.4, langfredag 18.4 and 2. påskedag 21.4 are not arbeidsdager
        (date(2025, 4, 15), 3, date(2025, 4, 23), date(2025, 4, 25)),
        # 1. mai (Thursday) and Kristi himmelfartsdag 29.5 (Thursday)
        (date(2025, 4, 30), 2, date(2025, 5, 5), date(2025, 5, 8)),
        (date(2025, 5, 27), 3, date(2025, 6, 2), date(2025, 6, 4)),
        # Christmas and new year: 25.12, 26.12 and 1.1 are holidays; 24.12 (julaften) is not
        (date(2025, 12, 23), 3, date(2025, 12, 30), date(2026, 1, 2)),
    ],
)
def test_deadlines(received, days, deadline, deemed):
    d = innsyn.deadlines(received, days)
    assert (d.deadline, d.deemed_refusal) == (deadline, deemed)


@pytest.mark.parametrize("days", [0, 4, -1])
def test_days_outside_1_to_3_refused(days):
    with pytest.raises(InvalidInput):
        innsyn.deadlines(date(2025, 3, 4), days)


def test_countdown_states():
    d = innsyn.deadlines(date(2025, 3, 4), 3)  # deadline Fri 7.3, deemed refusal Tue 11.3
    assert d.status(date(2025, 3, 5)) == {"days_left": 2, "overdue": False, "deemed_refused": False}
    assert d.status(date(2025, 3, 7))["days_left"] == 0
    assert d.status(date(2025, 3, 10)) == {"days_left": -1, "overdue": True, "deemed_refused": False}
    assert d.status(date(2025, 3, 12))["deemed_refused"] is True


@pytest.mark.parametrize(
    "text, sender, detected, via",
    [
        ("Jeg ber om innsyn i sak 2025/123.", "a@gmail.com", True, False),
        ("Krav om innsyn etter offentleglova", "a@gmail.com", True, False),
        ("Eg ber om innsyn i dokumenta.", "a@gmail.com", True, False),  # nynorsk
        ("Innsynskrav frå eInnsyn", "ikkje-svar@einnsyn.no", True, True),  # forwarded by eInnsyn
        ("I request access to the documents in case 2025/12.", "a@b.com", True, False),
        ("Begjæring om innsyn\n\nHei, se vedlagt.", "a@gmail.com", True, False),  # only the subject says it
        (
            "Dersom innsyn helt eller delvis avslås, ber jeg om at hjemmelen oppgis.",
            "a@gmail.com",
            True,
            False,
        ),
        (
            "Kan dere sende meg en kopi av vedtaket som står i postlisten fra 3. mars?",
            "a@gmail.com",
            True,
            False,
        ),
        # a copy without the public journal is not a request; nor is a refused building permit
        ("Kan dere sende meg en kopi av fakturaen?", "a@gmail.com", False, False),
        ("Søknaden om dispensasjon ble avslått, og vi klager på vedtaket.", "a@gmail.com", False, False),
        (
            "Om innsyn blir gitt, avslutter vi saken.",
            "a@gmail.com",
            False,
            False,
        ),  # "avslutte" is not "avslå"
        ("Vedlagt kopi av vedtaket, jf. offentleglova § 13.", "a@gmail.com", False, False),
        (
            "Vedlagt følger kopi av postlisten for uke 12.",
            "a@gmail.com",
            False,
            False,
        ),  # a notice, not a request
        # the word alone in another context is not a request
        ("Vi har fått god innsikt i saken og takker for møtet.", "a@gmail.com", False, False),
        ("Søknad om barnehageplass for Ola", "a@gmail.com", False, False),
    ],
)
def test_detection(text, sender, detected, via):
    d = innsyn.detect(text, sender)
    assert (d.detected, d.via_einnsyn) == (detected, via)


# --- issue 13: requests in plain words, headers, possible requests, the evidence shown -----------------


def _detect(subject: str, body: str, **kw) -> innsyn.InnsynDetection:
    return innsyn.detect_message(parse_message(make_eml(subject, body, **kw)))


@pytest.mark.parametrize(
    "subject, body",
    [
        ("Vedtaket", "Hei, kunne jeg fått en kopi av vedtaket dere fattet om skjenketider i vår?"),
        ("Avtale", "Eg ynskjer å sjå avtalen kommunen skreiv under med vaskefirmaet i fjor."),
        (
            "Brev",
            "Jeg har sett i postjournalen at dere fikk et brev fra Kystverket 3. juni. Kan jeg lese det?",
        ),
        ("sak", "ber om å få tilsendt saksdokumentene i sak 25/4411"),
        ("Fra Arbeidstilsynet", "Arbeidstilsynet ber om å få oversendt referatene fra AMU-møtene i 2025."),
        ("Spørsmål", "Hvordan får jeg se tegningene til det nye rådhuset?"),
    ],
)
def test_requests_in_plain_words_are_flagged(subject, body):
    d = _detect(subject, body)
    assert d.flagged, d.evidence
    rules = {e["rule"] for e in d.evidence}
    assert {"ask", "access"} <= rules or "document" in rules


@pytest.mark.parametrize(
    "subject, body, headers, sender",
    [
        (
            "Kurs: behandle innsynskrav",
            "Lær å behandle krav om innsyn etter offentleglova. Send oss kopi av påmeldingen innen fredag.",
            {"List-Unsubscribe": "<mailto:av@kurs.test>"},
            "kurs@kurs.test",
        ),
        (
            "Nyhetsbrev",
            "Be om kopi av postlisten når eInnsyn er treg: ukens tips om innsyn.",
            {"Precedence": "bulk"},
            "tips@presse.test",
        ),
        (
            "Re: Innsynskrav",
            "Vi viser til kommunens innsynskrav. Vedlagt følger dokumentene i saken.",
            {"In-Reply-To": "<krav-1@demo.kommune.test>"},
            "post@direktorat.test",
        ),
        (
            "Svar frå fylket",
            "Fylkeskommunen gir innsyn i dokumenta de bad om i brev av 2. mai.",
            {"In-Reply-To": "<k-2@demo.kommune.test>"},
            "post@fylke.test",
        ),
    ],
)
def test_newsletters_and_replies_to_the_kommunes_own_requests_are_not_requests(
    subject, body, headers, sender
):
    d = _detect(subject, body, headers=headers, sender=sender)
    assert not d.flagged, d.evidence
    assert d.evidence and any(e["weight"] < 0 for e in d.evidence)  # what lowered it is shown


def test_a_follow_up_ask_in_a_reply_still_reaches_a_person():
    d = _detect(
        "Re: Ditt innsynskrav",
        "Takk for svaret. Jeg ber i tillegg om vedlegget til brevet som ble holdt tilbake.",
        headers={"In-Reply-To": "<svar-9@demo.kommune.test>"},
    )
    assert d.flagged and not d.detected  # below the automatic threshold: a possible request for a person


def test_possible_request_is_guarded_and_proposed_with_deadlines():
    from kommuneki.services.postmottak import engine

    raw = make_eml(
        "Re: Kopi",
        "Takk for svaret. Kunne dere også sende meg vedlegg 2?",
        headers={"In-Reply-To": "<svar-1@demo.kommune.test>"},
    )
    t = engine.triage(parse_message(raw), engine.default_model())
    assert t.innsyn.possible and not t.innsyn.detected and t.guarded
    (p,) = [p for p in engine.proposals(t) if p.kind == "postmottak.innsyn"]
    assert p.value["possible"] is True and p.value["detected"] is False and p.value["deadline"]
    assert p.explanation["summary"].startswith("Mulig innsynskrav")


def test_einnsyn_forward_by_staff_is_a_request():
    body = (
        "Videresender.\n-----Opprinnelig melding-----\nFra: no-reply@einnsyn.no\nEmne: Innsynskrav\n"
        "Saksnr: 2025/77 Dok.nr: 2 Tittel: Avtale om leie"
    )
    d = _detect("Fwd: Innsynskrav", body, sender="arkiv@demo.kommune.test")
    assert d.detected and d.via_einnsyn


def test_shown_evidence_is_not_stop_words():
    from kommuneki.services.postmottak import engine
    from kommuneki.services.postmottak.textmodel import is_stop_term

    raw = make_eml("Søknad", "Hei, jeg ber om at dere ser på søknaden min om byggetillatelse. Mvh Kari")
    t = engine.triage(parse_message(raw), engine.default_model())
    shown = [e["term"] for p in engine.proposals(t) for e in p.explanation["evidence"] if e.get("term")]
    assert shown and not [w for w in shown if is_stop_term(w)]
    assert is_stop_term("om") and is_stop_term("ber om") and not is_stop_term("byggetillatelse")
