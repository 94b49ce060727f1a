"""python-stdnum (``stdnum.no.*``, ``stdnum.iban``) as an independent oracle on large random sets.

Known differences, left out of the comparison: stdnum lacks the rule that applies from 1.1.2032 (k1
remainder 1-3), the synthetic test numbers (Tenor month + 80) and FH-numre (first digit 8 or 9),
and its orgnr check does not require the first digit 8 or 9.
"""

from __future__ import annotations

import random

import pytest

from kommuneki.text.pii import resolve_overlaps
from kommuneki.text.pii.identifiers import (
    check_person_number,
    detect_identifiers,
    iban_ok,
    kontonr_ok,
    make_kontonr,
    make_person_number,
    orgnr_ok,
)
from tests.conftest import require

try:
    from stdnum import iban as std_iban
    from stdnum.no import fodselsnummer as std_fnr
    from stdnum.no import kontonr as std_konto
    from stdnum.no import orgnr as std_orgnr
except ImportError:  # pragma: no cover - reported by require()
    std_fnr = None

PERSON_TYPES = {"FODSELSNUMMER", "D_NUMMER", "H_NUMMER"}


@pytest.fixture(scope="module", autouse=True)
def _stdnum():
    require(std_fnr is not None, "python-stdnum", 'pip install -e ".[test]"')


def _candidates(rng: random.Random, n: int) -> list[str]:
    """A mix: uniform random 11-digit strings (nearly all invalid) and numbers built valid under today's
    rule or the 2032 rule, plain, D and H, over all individnummer ranges (future dates included)."""
    out = [f"{rng.randrange(10**11):011d}" for _ in range(n // 2)]
    while len(out) < n:
        day, month, yy, ind = rng.randint(1, 31), rng.randint(1, 12), rng.randint(0, 99), rng.randint(0, 999)
        day += 40 if rng.random() < 0.2 else 0
        month += 40 if rng.random() < 0.1 else 0
        got = make_person_number(day, month, yy, ind, remainder=rng.choice((0, 0, 0, 1, 2, 3)))
        if got:
            out.append(got)
    return out


def _ours_valid_today(number: str) -> bool:
    chk = check_person_number(number)
    return (
        chk.k1_rule_today
        and chk.k2
        and chk.date_valid
        and chk.century is not None
        and chk.kind in PERSON_TYPES
    )


def test_person_number_check_agrees_with_stdnum():
    rng = random.Random(2026)
    numbers = [n for n in _candidates(rng, 20000) if not 81 <= int(n[2:4]) <= 92]  # Tenor: no oracle
    disagree = [n for n in numbers if _ours_valid_today(n) != std_fnr.is_valid(n)]
    assert sum(std_fnr.is_valid(n) for n in numbers) > 3000  # the set really holds valid numbers
    assert disagree == []


def test_detector_types_agree_with_stdnum():
    """In a sentence with a fødselsnummer cue, the detector types a number as a person number exactly
    when stdnum calls it valid (numbers valid only under the 2032 rule become MULIG_ID)."""
    rng = random.Random(13)
    # FH-numre (first digit 8 or 9, no date) are a known difference: stdnum rejects them
    numbers = [n for n in _candidates(rng, 2500) if not 81 <= int(n[2:4]) <= 92 and n[0] not in "89"]
    disagree = []
    for n in numbers:
        found = [f for f in resolve_overlaps(detect_identifiers(f"Fnr. {n}.")) if f.text == n]
        ours = bool(found) and found[0].type in PERSON_TYPES
        if ours != std_fnr.is_valid(n):
            disagree.append((n, found[0].type if found else None))
    assert disagree == []


def test_kontonr_orgnr_and_iban_agree_with_stdnum():
    rng = random.Random(7)
    accounts = [f"{rng.randrange(10**11):011d}" for _ in range(20000)]
    accounts += [k for _ in range(3000) if (k := make_kontonr(f"{rng.randrange(10**10):010d}"))]
    assert [a for a in accounts if kontonr_ok(a) != std_konto.is_valid(a)] == []
    orgs = [f"{rng.choice('89')}{rng.randrange(10**8):08d}" for _ in range(20000)]
    assert [o for o in orgs if orgnr_ok(o) != std_orgnr.is_valid(o)] == []
    ibans = []
    for a in accounts[:6000]:
        check = 98 - int("".join(str(int(c, 36)) for c in a + "NO00")) % 97
        ibans.append(f"NO{check:02d}{a}")
        ibans.append(f"NO{rng.randrange(100):02d}{a}")
    assert [i for i in ibans if (iban_ok(i) and kontonr_ok(i[4:])) != std_iban.is_valid(i)] == []
    found = [
        i
        for i in ibans[:2000]
        if any(
            f.type == "KONTONR" and f.explanation.get("detector") == "no_iban"
            for f in detect_identifiers(f"Betal til {i[:4]} {i[4:8]} {i[8:12]} {i[12:]}.")
        )
    ]
    assert found == [i for i in ibans[:2000] if std_iban.is_valid(i)]
