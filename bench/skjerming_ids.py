"""Identifier benchmark for the skjerming detection engine, on a generated set.

Positives: fødselsnumre from faker's no_NO provider (today's rule) and from our own generator
(D-numre, H-numre, Tenor synthetic numbers, and numbers valid only under the 2032 rule, k1 remainder
1-3: until 1.1.2032 their right type is MULIG_ID, since they cannot have been issued), each put in a sentence with and without a context word, unspaced and written 6+5.
Negatives: random 11-digit numbers that fail BOTH checksums (k2 = the kontonummer check fails, and k1
fails under both rules), in neutral sentences (should give no finding) and after "fødselsnummer"
(should give only a low-score MULIG_ID).
Baseline: a plain ``\\b\\d{11}\\b`` regex, what a naive screening tool does.

Run:  .venv/bin/python bench/skjerming_ids.py [--n 2000] [--seed 7]
Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kommuneki.text.pii import detect  # noqa: E402
from kommuneki.text.pii.identifiers import (  # noqa: E402
    RULE_2032_FROM,
    check_person_number,
    make_person_number,
)

PERSON_TYPES = {"FODSELSNUMMER", "D_NUMMER", "H_NUMMER", "SYNTETISK_ID"}
TEMPLATES_CTX = [
    "Fødselsnummer: {n}.",
    "Søkeren (f.nr. {n}) har klaget.",
    "Personnummer {n} er registrert.",
    "Klagar, fødselsnr. {n}, bur i kommunen.",
]
TEMPLATES_PLAIN = [
    "Vi viser til brev om {n} av 3. mai.",
    "{n}",
    "Opplysningene gjelder {n} og ektefellen.",
    "Saken gjeld {n}.",
]
NEG_PLAIN = ["Referanse {n} i saken.", "Vi viser til {n}.", "Målernummer {n} ble lest av.", "Sum: {n}"]


def gen(rng: random.Random, kind: str, rule: str) -> str:
    while True:
        year = rng.randint(1940, date.today().year - 1)  # a birth date in the future is no valid number
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        yy = year % 100
        ind = rng.randint(0, 499) if year < 2000 else rng.randint(500, 999)
        if kind == "D_NUMMER":
            day += 40
        elif kind == "H_NUMMER":
            month += 40
        elif kind == "SYNTETISK_ID":
            month += 80
        rem = 0 if rule == "today" else rng.randint(1, 3)
        n = make_person_number(day, month, yy, ind, remainder=rem)
        if n is not None:
            return n


def bad_number(rng: random.Random) -> str:
    while True:
        n = "".join(str(rng.randint(0, 9)) for _ in range(11))
        c = check_person_number(n)
        if not c.k2 and not c.k1_rule_2032 and not c.k1_rule_today:
            return n


def fmt(n: str, spaced: bool) -> str:
    return f"{n[:6]} {n[6:]}" if spaced else n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000, help="numbers per group")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    from faker import Faker

    fk = Faker("no_NO")
    fk.seed_instance(args.seed)
    groups: dict[str, list[str]] = {
        "fnr (faker, today's rule)": [fk.ssn() for _ in range(args.n)],
        "fnr (2032 rule only)": [gen(rng, "FODSELSNUMMER", "2032") for _ in range(args.n)],
        "D-nummer (today's rule)": [gen(rng, "D_NUMMER", "today") for _ in range(args.n)],
        "D-nummer (2032 rule only)": [gen(rng, "D_NUMMER", "2032") for _ in range(args.n)],
        "H-nummer": [gen(rng, "H_NUMMER", "today") for _ in range(args.n)],
        "Tenor synthetic": [gen(rng, "SYNTETISK_ID", "today") for _ in range(args.n)],
    }
    naive = re.compile(r"\b\d{11}\b")
    print(f"Identifier benchmark, {args.n} numbers per group, seed {args.seed}\n")
    print(f"{'group':32s} {'recall':>8s} {'right type':>11s} {'recall, no ctx':>15s}")
    t0 = time.perf_counter()
    n_texts = 0
    for name, nums in groups.items():
        expect = {"fnr": "FODSELSNUMMER", "D-n": "D_NUMMER", "H-n": "H_NUMMER", "Ten": "SYNTETISK_ID"}[
            name[:3]
        ]
        if "2032" in name and date.today() < RULE_2032_FROM:
            expect = "MULIG_ID"  # cannot have been issued before 1.1.2032 (issue 13)
        wanted = PERSON_TYPES | {"MULIG_ID"} if expect == "MULIG_ID" else PERSON_TYPES
        hit = right = hit_plain = 0
        for i, n in enumerate(nums):
            spaced = i % 3 == 0
            for tmpls, is_ctx in ((TEMPLATES_CTX, True), (TEMPLATES_PLAIN, False)):
                text = rng.choice(tmpls).format(n=fmt(n, spaced))
                n_texts += 1
                fs = [
                    f
                    for f in detect(text, names=False, categories=False)
                    if f.type in wanted and re.sub(r"\D", "", f.text) == n
                ]
                if is_ctx:
                    hit += bool(fs)
                    right += bool(fs) and fs[0].type == expect
                else:
                    hit_plain += bool(fs)
        print(f"{name:32s} {hit / len(nums):8.2%} {right / len(nums):11.2%} {hit_plain / len(nums):15.2%}")

    bad = [bad_number(rng) for _ in range(args.n)]
    false_ids = mulig = mulig_high = naive_hits = 0
    kinds: Counter[str] = Counter()
    for i, n in enumerate(bad):
        text = rng.choice(NEG_PLAIN).format(n=fmt(n, i % 3 == 0))
        fs = detect(text, names=False, categories=False)
        n_texts += 1
        naive_hits += bool(naive.search(text))
        ids = [f for f in fs if re.sub(r"\D", "", f.text) == n]
        false_ids += bool(ids)
        kinds.update(f.type for f in ids)
        text = f"Fødselsnummer: {fmt(n, i % 3 == 0)}"
        fs = [f for f in detect(text, names=False, categories=False) if re.sub(r"\D", "", f.text) == n]
        n_texts += 1
        mulig += all(f.type == "MULIG_ID" for f in fs) and bool(fs)
        mulig_high += any(f.score >= 0.5 for f in fs)
    dt = time.perf_counter() - t0
    print(f"\nNegatives: {len(bad)} 11-digit numbers failing both checksums")
    print(
        f"  false identifier matches, neutral context: {false_ids} ({false_ids / len(bad):.2%}) "
        f"{dict(kinds) or ''}"
    )
    print(
        f"  baseline (plain \\d{{11}} regex) on the same texts: {naive_hits} ({naive_hits / len(bad):.2%}); "
        f"ratio ours/baseline = {false_ids / max(1, naive_hits):.4f}"
    )
    print(
        f"  after 'Fødselsnummer:': reported only as MULIG_ID {mulig / len(bad):.2%}; "
        f"any score >= 0.5: {mulig_high}"
    )
    print(f"\n{n_texts} short texts in {dt:.1f} s")


if __name__ == "__main__":
    main()
