"""Innsyn requests (offentleglova): detection and the deadlines that follow from the day of arrival.

* ``received``: the day the request arrived (IMAP internal date, else the Date header).
* ``deadline``: received + N arbeidsdager — Sivilombudet's practice for "utan ugrunna opphald"
  (offl. § 29 (1)); N is 3 by default and 1–3 per tenant.
* ``deemed_refusal``: received + 5 arbeidsdager — no answer by then counts as a refusal that can be
  appealed (offl. § 32 (1)).

Arbeidsdager are Monday–Friday except Norwegian public holidays (``holidays``, country NO, Sundays not
counted as holidays since they are weekend days anyway). The day of arrival is day 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from ...core.errors import InvalidInput

DEFAULT_DAYS = 3
DEEMED_REFUSAL_DAYS = 5

PATTERNS = [
    ("innsynskrav", re.compile(r"\binnsyns(?:krav|begjæring|begjering)\w*", re.I), 1.0),
    (
        "krav_om_innsyn",
        re.compile(
            r"\b(?:krav|krev|krever|kreve|ber|be|begjærer|ønsker|ønskjer)\s+(?:\w+\s+){0,3}?(?:om\s+)?innsyn\b",
            re.I,
        ),
        1.0,
    ),
    (
        "begjaering_om_innsyn",
        re.compile(
            r"\b(?:begjæring|begjæringa|begjering|forespørsel|førespurnad|"
            r"anmodning|oppmoding|søknad)\s+om\s+innsyn\b",
            re.I,
        ),
        1.0,
    ),
    # the standard closing of a request: "Dersom innsyn (helt eller delvis) avslås, ber jeg om hjemmelen"
    (
        "avslag_hjemmel",
        re.compile(r"\b(?:dersom|om|viss|hvis)\s+innsyn\b[^.?!]{0,40}?\bavsl(?:ag|å|ått|et)\w*", re.I),
        1.0,
    ),
    ("innsyn_i", re.compile(r"\binnsyn\s+i\b", re.I), 0.8),
    # asking for a copy ("kan dere sende meg en kopi av …"): with a mention of the public journal (0.5) it
    # is a request; "vedlagt kopi av …" (no asking) is not
    (
        "ber_om_kopi",
        re.compile(
            r"\b(?:send|sende|få|be om|ber om|ønsker|ønskjer|gjerne ha|vil ha)\b[^.?!]{0,40}?"
            r"\bkopi(?:ar|er)?\s+av\b",
            re.I,
        ),
        0.5,
    ),
    ("offentleglova", re.compile(r"\boffentle(?:g|ga)lov(?:a|en)\b|\boffl\.?\s*§", re.I), 0.6),
    ("einnsyn", re.compile(r"\beinnsyn\b", re.I), 0.9),
    (
        "foi_en",
        re.compile(r"\b(?:request|requesting)\s+(?:\w+\s+){0,2}access\s+to\b|freedom of information", re.I),
        1.0,
    ),
    ("kopi_postliste", re.compile(r"\b(?:postlist\w*|offentlig journal|offentleg journal)\b", re.I), 0.5),
]


@dataclass
class InnsynDetection:
    detected: bool
    score: float
    via_einnsyn: bool
    evidence: list[dict] = field(default_factory=list)  # {"rule", "start", "end", "text"}


def detect(text: str, sender_address: str = "") -> InnsynDetection:
    """Find innsyn-request wording in ``text``. Detected when the strongest patterns together reach 1.0
    (a clear phrase such as "krav om innsyn", or eInnsyn plus a supporting phrase)."""
    evidence, score = [], 0.0
    for rule, rx, weight in PATTERNS:
        hits = list(rx.finditer(text))
        if hits:
            score += weight
            evidence += [
                {"rule": rule, "start": h.start(), "end": h.end(), "text": h.group(0)} for h in hits[:3]
            ]
    via = "einnsyn" in sender_address.lower() or any(e["rule"] == "einnsyn" for e in evidence)
    if "einnsyn" in sender_address.lower():
        score += 1.0
        evidence.append({"rule": "sender_einnsyn", "start": -1, "end": -1, "text": sender_address})
    return InnsynDetection(
        detected=score >= 1.0, score=min(score, 3.0) / 3.0, via_einnsyn=via, evidence=evidence
    )


@lru_cache(maxsize=16)
def _holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays("NO", years=year, include_sundays=False).keys())


def is_arbeidsdag(d: date) -> bool:
    return d.weekday() < 5 and d not in _holidays(d.year)


def add_arbeidsdager(start: date, n: int) -> date:
    """The n-th arbeidsdag after ``start`` (``start`` itself is day 0, whatever day it is)."""
    d, left = start, n
    while left > 0:
        d += timedelta(days=1)
        if is_arbeidsdag(d):
            left -= 1
    return d


def arbeidsdager_between(a: date, b: date) -> int:
    """Arbeidsdager after ``a`` up to and including ``b`` (negative when ``b`` is before ``a``)."""
    if b < a:
        return -arbeidsdager_between(b, a)
    n, d = 0, a
    while d < b:
        d += timedelta(days=1)
        n += is_arbeidsdag(d)
    return n


@dataclass(frozen=True)
class InnsynDeadlines:
    received: date
    deadline: date
    deemed_refusal: date

    def status(self, today: date) -> dict:
        """Countdown for the UI: arbeidsdager left to the deadline, and whether it is overdue or already
        deemed refused."""
        return {
            "days_left": arbeidsdager_between(today, self.deadline)
            if today <= self.deadline
            else -arbeidsdager_between(self.deadline, today),
            "overdue": today > self.deadline,
            "deemed_refused": today > self.deemed_refusal,
        }


def deadlines(received: date, days: int = DEFAULT_DAYS) -> InnsynDeadlines:
    """Deadlines for a request received on ``received``. ``days`` must be 1–3 (tenant setting)."""
    if not 1 <= int(days) <= 3:
        raise InvalidInput("Fristen for innsyn må være 1–3 arbeidsdager.")
    return InnsynDeadlines(
        received, add_arbeidsdager(received, int(days)), add_arbeidsdager(received, DEEMED_REFUSAL_DAYS)
    )
