"""Identifier typing against an independent oracle: python-stdnum (``stdnum.no.fodselsnummer``,
``stdnum.no.kontonr``, ``stdnum.iban``; LGPL-2.1+, a test dependency) on large random sets.

1. Person numbers: random 11-digit strings and numbers built valid (plain, D, H; today's rule and the
   2032 rule; past and future dates), each after "Fnr." — share where our type (a person number or not)
   agrees with stdnum. Known differences left out: the 2032 rule (stdnum lacks it; we say MULIG_ID until
   2032), Tenor synthetic numbers and FH-numre.
2. Account numbers: valid kontonumre (stdnum says valid) in a neutral sentence and in common groupings
   (unspaced, 4.2.5, 4 4 3, 3 3 3 2, IBAN): share found as KONTONR, and share typed as a person number
   (the issue measured 76 of 471 = 16 %).
Baseline in the same run: a checksum screen with no context and no priors (every number that stdnum calls
a valid fødselsnummer typed as a person number).

Run:  .venv/bin/python bench/skjerming_ids_oracle.py [--n 6000] [--seed 31]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kommuneki.text.pii import resolve_overlaps  # noqa: E402
from kommuneki.text.pii.identifiers import (  # noqa: E402
    check_person_number,
    detect_identifiers,
    make_kontonr,
    make_person_number,
)

PERSON = {"FODSELSNUMMER", "D_NUMMER", "H_NUMMER", "SYNTETISK_ID"}


def typed(text: str, digits: str) -> str | None:
    for f in resolve_overlaps(detect_identifiers(text)):
        if "".join(c for c in f.text if c.isdigit()).endswith(digits):
            return f.type
    return None


def main() -> None:
    try:
        from stdnum import iban as std_iban
        from stdnum.no import fodselsnummer as std_fnr
        from stdnum.no import kontonr as std_konto
    except ImportError:
        raise SystemExit('python-stdnum is missing: pip install -e ".[test]"') from None
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=31)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    numbers = [f"{rng.randrange(10**11):011d}" for _ in range(args.n // 2)]
    while len(numbers) < args.n:
        d, m = rng.randint(1, 31) + (40 if rng.random() < 0.2 else 0), rng.randint(1, 12)
        m += 40 if rng.random() < 0.1 else 0
        got = make_person_number(
            d, m, rng.randint(0, 99), rng.randint(0, 999), remainder=rng.choice((0, 0, 0, 1, 2, 3))
        )
        if got:
            numbers.append(got)
    numbers = [n for n in numbers if n[0] not in "89" and not 81 <= int(n[2:4]) <= 92]
    agree = rule_2032 = valid = 0
    compared = 0
    for n in numbers:
        oracle = std_fnr.is_valid(n)
        ours = typed(f"Fnr. {n}.", n)
        chk = check_person_number(n)
        if chk.valid and not chk.k1_rule_today:
            rule_2032 += 1
            continue  # a known difference: valid only under the 2032 rule (MULIG_ID here until 2032)
        compared += 1
        valid += oracle
        agree += (ours in PERSON) == oracle
    print(
        f"Person numbers after 'Fnr.': {compared} compared ({valid} valid per stdnum), {rule_2032} 2032-rule only left out"
    )
    print(f"  agreement with stdnum                          {agree}/{compared} = {agree / compared:.4f}")

    accounts = []
    while len(accounts) < args.n // 3:
        k = make_kontonr(f"{rng.randint(1000, 9999)}{rng.randrange(10**6):06d}")
        if k and std_konto.is_valid(k):
            accounts.append(k)
    forms = {
        "unspaced": lambda k: k,
        "4.2.5": lambda k: f"{k[:4]}.{k[4:6]}.{k[6:]}",
        "4 4 3": lambda k: f"{k[:4]} {k[4:8]} {k[8:]}",
        "3 3 3 2": lambda k: f"{k[:3]} {k[3:6]} {k[6:9]} {k[9:]}",
    }
    print(f"Valid account numbers (stdnum) in a neutral sentence: {len(accounts)} per form")
    for name, fmt in forms.items():
        types = [typed(f"Beløpet på 2 500 kroner gjelder {fmt(k)}.", k) for k in accounts]
        konto = sum(t == "KONTONR" for t in types)
        person = sum(t in PERSON for t in types)
        base_person = sum(std_fnr.is_valid(k) for k in accounts)
        print(
            f"  {name:<9} found as KONTONR {konto / len(accounts):.3f}, typed as a person number "
            f"{person / len(accounts):.3f} ({person}/{len(accounts)}); baseline (checksum screen: stdnum-valid "
            f"fødselsnummer = person) {base_person / len(accounts):.3f}"
        )
    ibans = []
    for k in accounts:
        check = 98 - int("".join(str(int(c, 36)) for c in k + "NO00")) % 97
        ibans.append(f"NO{check:02d} {k[:4]} {k[4:8]} {k[8:]}")
    found = sum(typed(f"Betal til {i} innen fredag.", i.replace(" ", "")[4:]) == "KONTONR" for i in ibans)
    ok = sum(std_iban.is_valid(i) for i in ibans)
    print(
        f"  IBAN NO   found as KONTONR {found}/{len(ibans)} = {found / len(ibans):.3f} (stdnum valid: {ok})"
    )


if __name__ == "__main__":
    main()
