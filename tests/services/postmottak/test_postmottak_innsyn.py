"""Innsyn deadlines: arbeidsdager are Monday–Friday minus Norwegian public holidays; arrival is day 0."""

from __future__ import annotations

from datetime import date

import pytest

from kommuneki.core.errors import InvalidInput
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
