"""Norwegian identifiers: declarative recognizers in the Presidio style.

Each recognizer declares its finding type, its regular-expression patterns (with a base score), the
context words that raise (or lower) the score, and a ``validate`` hook that checks the candidate
(checksums, date validity, ranges) and may change its type. Rules follow ../shared/design/DOMAIN.md:

* fødselsnummer: DDMMYY + individnummer (3) + k1 + k2. k2 uses the kontonummer weights (5,4,3,2,7,6,5,4,3,2),
  so every valid fødselsnummer also passes the kontonummer check; the type is decided from date validity,
  the written format (kontonummer is often written 4.2.5) and the context words.
  k1 under today's rule: weighted sum (3,7,6,1,8,9,4,5,2,1 over the first ten digits) mod 11 == 0; under the
  rule that applies from 1.1.2032 the remainder may be 0, 1, 2 or 3. Both are accepted.
* D-nummer: day + 40. H-nummer: month + 40 (NAV's Dolly synthetic test numbers share this). Tenor synthetic
  test numbers (Skatteetaten): month + 80. FH-nummer: first digit 8 or 9 (no date).
* organisasjonsnummer: 9 digits starting with 8 or 9, weights 3,2,7,6,5,4,3,2, mod 11.
* A number of the right shape whose checksums fail is not an identifier; with strong context it is a
  ``MULIG_ID`` (possibly mistyped identifier) with a score below 0.5.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, ClassVar

from .finding import Finding

K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)  # also the kontonummer weights
ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)

CONTEXT_WINDOW = 48  # characters before (and a little after) a candidate searched for context words


# ---------------------------------------------------------------------------------------------------------
# Checksums and dates (pure functions; also used by the benchmarks and tests)


def mod11_check_digit(digits: Iterable[int], weights: Iterable[int]) -> int | None:
    """11 - (weighted sum mod 11); 11 gives 0; 10 means no valid check digit (None)."""
    s = sum(d * w for d, w in zip(digits, weights, strict=False))
    k = 11 - s % 11
    if k == 11:
        return 0
    return None if k == 10 else k


def k1_remainder(d: list[int]) -> int:
    """Remainder of the k1 control sum including k1 itself (weight 1): 0 under today's rule."""
    return (sum(x * w for x, w in zip(d[:9], K1_WEIGHTS, strict=False)) + d[9]) % 11


def k2_ok(d: list[int]) -> bool:
    return mod11_check_digit(d[:10], K2_WEIGHTS) == d[10]


def kontonr_ok(number: str) -> bool:
    d = [int(c) for c in number]
    return len(d) == 11 and k2_ok(d)


def orgnr_ok(number: str) -> bool:
    d = [int(c) for c in number]
    return len(d) == 9 and d[0] in (8, 9) and mod11_check_digit(d[:8], ORGNR_WEIGHTS) == d[8]


def century_from_individnummer(ind: int, yy: int) -> int | None:
    """Century (1800, 1900, 2000) encoded by the individnummer under today's rule; None if not encodable."""
    if ind <= 499:
        return 1900
    if ind <= 749 and yy >= 54:
        return 1800
    if ind >= 500 and yy < 40:
        return 2000
    if ind >= 900 and yy >= 40:
        return 1900
    return None


@dataclass(frozen=True)
class PersonNumberCheck:
    """Everything known about an 11-digit candidate."""

    digits: str
    k1_rule_today: bool
    k1_rule_2032: bool
    k2: bool  # == kontonummer check
    kind: str | None  # FODSELSNUMMER, D_NUMMER, H_NUMMER, SYNTETISK_ID, FH_NUMMER or None
    date_valid: bool
    birth_date: str | None  # ISO date when determinable
    century: int | None
    notes: tuple[str, ...] = ()

    @property
    def checksums_ok(self) -> bool:
        return self.k2 and (self.k1_rule_today or self.k1_rule_2032)

    @property
    def valid(self) -> bool:
        return self.checksums_ok and self.date_valid and self.kind is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "k1_today_rule": self.k1_rule_today,
            "k1_2032_rule": self.k1_rule_2032,
            "k2_and_kontonummer_check": self.k2,
            "date_valid": self.date_valid,
            "kind": self.kind,
            "century": self.century,
            "notes": list(self.notes),
        }


def check_person_number(number: str) -> PersonNumberCheck:
    """Classify an 11-digit string as fødselsnummer / D / H / synthetic and check it under both rules."""
    d = [int(c) for c in number]
    if len(d) != 11:
        raise ValueError("need 11 digits")
    rem = k1_remainder(d)
    today = rem == 0 and mod11_check_digit(d[:9], K1_WEIGHTS) is not None
    rule_2032 = rem in (0, 1, 2, 3)
    k2 = k2_ok(d)
    notes: list[str] = []
    if d[0] in (8, 9):
        # FH-nummer (helper number in the health sector): no date encoded.
        return PersonNumberCheck(
            number,
            today,
            rule_2032,
            k2,
            "FH_NUMMER",
            True,
            None,
            None,
            ("FH-nummer: første siffer 8 eller 9, ingen fødselsdato",),
        )
    day, month, yy, ind = d[0] * 10 + d[1], d[2] * 10 + d[3], d[4] * 10 + d[5], d[6] * 100 + d[7] * 10 + d[8]
    kind = "FODSELSNUMMER"
    if 41 <= day <= 71:
        day -= 40
        kind = "D_NUMMER"
        notes.append("D-nummer: dag + 40")
    if 81 <= month <= 92:
        month -= 80
        kind = "SYNTETISK_ID"
        notes.append("Syntetisk testnummer (Skatteetaten Tenor): måned + 80")
    elif 41 <= month <= 52:
        month -= 40
        if kind == "D_NUMMER":
            notes.append("Måned + 40 på et D-nummer: NAVs syntetiske testnumre (Dolly)")
            kind = "H_NUMMER"
        else:
            kind = "H_NUMMER"
        notes.append("H-nummer: måned + 40 (NAVs syntetiske testnumre i Dolly bruker samme regel)")
    century = century_from_individnummer(ind, yy)
    date_valid = False
    birth = None
    if 1 <= month <= 12 and day >= 1:
        # Today's rule encodes the century; under the 2032 rule it does not, so also accept a date valid
        # in another century (that only matters for 29 February).
        candidates = [century] if century is not None else []
        if century is None or not today:
            candidates += [c for c in (2000, 1900, 1800) if c != century]
        for c in candidates:
            if day <= calendar.monthrange(c + yy, month)[1]:
                date_valid = True
                if c == century:
                    birth = f"{c + yy:04d}-{month:02d}-{day:02d}"
                    if date(c + yy, month, day) > date.today():
                        date_valid, birth = False, None
                        notes.append("Fødselsdatoen ligger i fremtiden")
                        break
                break
        if century is None:
            notes.append(
                "Individnummeret koder ikke et århundre etter dagens regel: århundret kan ikke bestemmes"
            )
    return PersonNumberCheck(number, today, rule_2032, k2, kind, date_valid, birth, century, tuple(notes))


# ---------------------------------------------------------------------------------------------------------
# The recognizer machinery

_BOUNDARY = re.compile(r"(?:[.!?;]\s+(?=[A-ZÆØÅ])|\n)")


def _context(text: str, start: int, end: int, before: int = CONTEXT_WINDOW, after: int = 16) -> str:
    """Lower-cased words near a candidate: up to ``before`` characters back and ``after`` ahead, cut at
    sentence and line boundaries so a word in the previous sentence does not count."""
    left = text[max(0, start - before) : start]
    cut = list(_BOUNDARY.finditer(left))
    if cut:
        left = left[cut[-1].end() :]
    right = text[end : end + after]
    m = _BOUNDARY.search(right)
    if m:
        right = right[: m.start()]
    return left.lower() + " \x00 " + right.lower()


_TOKEN = re.compile(r"[a-zæøåéü0-9]+(?:[./-][a-zæøåéü0-9]+)*")


@lru_cache(maxsize=64)
def _cue_index(words: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...], tuple]:
    """Split a cue list into whole words, compound prefixes ("konto*"), compound suffixes ("*konto")
    and phrases ("konto nr"); dots at the end of a cue are not part of it ("mob." is "mob")."""
    exact, prefixes, suffixes, phrases = set(), [], [], []
    for w in words:
        w = w.rstrip(".:")
        if " " in w:
            phrases.append(tuple(p.rstrip(".:") for p in w.split()))
        elif w.endswith("*"):
            prefixes.append(w[:-1])
        elif w.startswith("*"):
            suffixes.append(w[1:])
        else:
            exact.add(w)
    return frozenset(exact), tuple(prefixes), tuple(suffixes), tuple(phrases)


@lru_cache(maxsize=50_000)
def _lemmas(token: str) -> frozenset[str]:
    from .categories import word_forms

    return word_forms(token) if token.isalpha() else frozenset((token,))


def _found(ctx: str, words: tuple[str, ...]) -> list[str]:
    """Context cues present in ``ctx`` as words: a cue matches a whole word or its Bokmål/Nynorsk lemma
    ("kontoen" → "konto"), never a part of a longer word ("overført" does not hold "overfør", "Bankgata"
    does not hold "bank"), unless the cue says so with ``*`` ("konto*", "*konto")."""
    if not words:
        return []
    exact, prefixes, suffixes, phrases = _cue_index(words)
    toks = [t.group() for t in _TOKEN.finditer(ctx)]
    out: list[str] = []
    for i, t in enumerate(toks):
        if t in exact or (t.isalpha() and not exact.isdisjoint(_lemmas(t))):
            out.append(t)
        elif any(t.startswith(p) for p in prefixes) or any(t.endswith(x) for x in suffixes):
            out.append(t)
        for ph in phrases:
            if tuple(toks[i : i + len(ph)]) == ph:
                out.append(" ".join(ph))
    return list(dict.fromkeys(out))


class Recognizer:
    """A declarative recognizer: subclasses set ``type``, ``patterns``, ``context`` and may override
    ``validate``. ``validate`` returns None to reject a candidate, or a dict that may set ``type``,
    ``score`` and extra explanation fields."""

    name: ClassVar[str] = "recognizer"
    type: ClassVar[str] = ""
    patterns: ClassVar[tuple[tuple[str, str, float], ...]] = ()  # (pattern name, regex, base score)
    context: ClassVar[tuple[str, ...]] = ()
    context_boost: ClassVar[float] = 0.3
    flags: ClassVar[int] = 0
    #: a cheap test on the whole text (regex, case-insensitive); the patterns run only when it matches
    prefilter: ClassVar[str | None] = None
    _prefilter_rx: ClassVar[re.Pattern[str] | None] = None

    _compiled: ClassVar[list[tuple[str, re.Pattern[str], float]] | None] = None

    @classmethod
    def compiled(cls) -> list[tuple[str, re.Pattern[str], float]]:
        if cls.__dict__.get("_compiled") is None:
            cls._compiled = [(n, re.compile(p, cls.flags), s) for n, p, s in cls.patterns]
        return cls._compiled  # type: ignore[return-value]

    def validate(self, text: str, m: re.Match[str], pattern: str, ctx: str) -> dict[str, Any] | None:
        return {}

    def span(self, m: re.Match[str]) -> tuple[int, int]:
        return m.span("v") if "v" in m.groupdict() else m.span()

    def analyze(self, text: str) -> list[Finding]:
        out: list[Finding] = []
        if self.prefilter is not None:
            if self.__class__.__dict__.get("_prefilter_rx") is None:
                self.__class__._prefilter_rx = re.compile(self.prefilter, re.IGNORECASE)
            if not self._prefilter_rx.search(text):  # type: ignore[union-attr]
                return out
        for pname, rx, base in self.compiled():
            for m in rx.finditer(text):
                start, end = self.span(m)
                ctx = _context(text, start, end)
                res = self.validate(text, m, pname, ctx)
                if res is None:
                    continue
                ftype = res.pop("type", self.type)
                words = res.pop("context_words", None)
                if words is None:
                    words = _found(ctx, self.context)
                score = res.pop("score", None)
                if score is None:
                    score = min(1.0, base + (self.context_boost if words else 0.0))
                expl = {"detector": self.name, "pattern": pname, "context_words": words, **res}
                out.append(Finding(ftype, start, end, text[start:end], round(score, 4), expl))
        return out


# Context cues, matched as words or their lemmas (see ``_found``): "x" a word, "x*" a compound starting
# with x, "*x" a compound ending in x, "x y" a phrase. A cue that is only a part of a word never counts:
# "overført" (a patient moved to another unit) is not "overføre til konto", "Bankgata" is not "bank".
FNR_CONTEXT = (
    "fødselsnummer*",
    "fødselsnr",
    "f.nr",
    "fnr",
    "f-nr",
    "personnummer*",
    "personnr",
    "pers.nr",
    "p.nr",
    "d-nummer*",
    "d-nr",
    "dnr",
    "h-nummer*",
    "identitetsnummer*",
    "id-nummer",
    "id-nr",
    "fødd",
    "født",
    "ssn",
    "personid",
    "person-id",
)
KONTO_CONTEXT = (
    "kontonummer*",
    "kontonr",
    "konto nr",
    "konto",
    "*konto",
    "kto",
    "kto.nr",
    "innbetale",
    "innbetaling*",
    "utbetale",
    "utbetaling*",
    "iban",
    "bank",
    "banken",
    "*bank",
    "*banken",
)
ORG_CONTEXT = (
    "org.nr",
    "org nr",
    "orgnr",
    "org-nr",
    "organisasjonsnummer*",
    "org.nummer",
    "foretaksregister*",
    "enhetsregister*",
    "mva",
    "foretaksnummer*",
)
PHONE_CONTEXT = (
    "tlf",
    "telefon*",
    "mobil*",
    "mob",
    "ring",
    "ringe",
    "sms",
    "tel",
    "telefax",
    "faks",
    "kontakt*",
    "kontakt",
    "sentralbord*",
)
GNR_CONTEXT = (
    "gnr",
    "bnr",
    "gårdsnummer*",
    "bruksnummer*",
    "gards*",
    "gårds*",
    "matrikkel*",
    "eiendom",
    "eiendom*",
    "eigedom",
    "eigedom*",
    "tomt",
    "tomt*",
    "seksjon*",
    "seksjon",
    "festenummer*",
    "fnr",
    "snr",
)


KIND_LABEL = {
    "FODSELSNUMMER": "fødselsnummer",
    "D_NUMMER": "D-nummer",
    "H_NUMMER": "H-nummer",
    "SYNTETISK_ID": "syntetisk testnummer",
    "FH_NUMMER": "FH-nummer",
}


#: Groupings of 11 digits as people write them. Account numbers: 4.2.5 (the bank's own), 4 4 3 (as in
#: an IBAN) and 3 3 3 2; fødselsnumre: 6+5, DD.MM.YY 5 and 2 2 2 3 2; or no grouping at all.
KONTO_GROUPINGS = {(4, 2, 5), (4, 4, 3), (3, 3, 3, 2)}
FNR_GROUPINGS = {(11,), (6, 5), (2, 2, 2, 5), (2, 2, 2, 3, 2), (6, 3, 2)}
#: The first day a number valid only under the 2032 rule can have been issued.
RULE_2032_FROM = date(2032, 1, 1)


class PersonNumberRecognizer(Recognizer):
    """11-digit numbers: fødselsnummer, D-, H-, FH- and synthetic numbers, kontonummer, or MULIG_ID.

    Priors: a number with a valid birth date and both check digits is far more often a fødselsnummer than
    an account number (a random account number passes k1 one time in eleven and needs a valid date too),
    so only an account cue word (without a fødselsnummer word) or an account grouping (4.2.5, 4 4 3,
    3 3 3 2) turns it into ``KONTONR``. A number valid only under the rule that applies from 1.1.2032
    cannot have been issued before that day: until then it is a ``MULIG_ID``, saying why."""

    name = "no_person_number"
    type = "FODSELSNUMMER"
    patterns = (
        (
            "digits_11",
            r"(?P<v>\d(?<![\d.,]\d)(?<!\d[ .-]\d)\d{1,10}(?:[ .-]\d{2,6}){0,4})(?![ .-]?\d)",
            0.6,
        ),
    )

    def validate(self, text: str, m: re.Match[str], pattern: str, ctx: str) -> dict[str, Any] | None:
        raw = m.group("v")
        number = re.sub(r"\D", "", raw)
        if len(number) != 11:
            return None
        groups = tuple(len(g) for g in re.split(r"[ .-]", raw))
        kontonr_format = groups in KONTO_GROUPINGS
        if not kontonr_format and groups not in FNR_GROUPINGS:
            return None
        chk = check_person_number(number)
        fnr_words = _found(ctx, FNR_CONTEXT)
        konto_words = _found(ctx, KONTO_CONTEXT)
        expl: dict[str, Any] = {
            "checks": chk.as_dict(),
            "format": "-".join(map(str, groups)) if len(groups) > 1 else "11",
            "context_words": fnr_words + konto_words,
        }
        account_cue = (kontonr_format and not fnr_words) or (konto_words and not fnr_words)
        if chk.kind == "FH_NUMMER" and not fnr_words:
            # an FH-nummer has no date to make it likely; bank registers 8xxx and 9xxx are common, so
            # without a word for a person number it is an account number
            account_cue = True
        if chk.valid and chk.kind is not None:
            if account_cue:
                expl["reason"] = "Består både fødselsnummer- og kontonummerkontrollen; " + (
                    "et ord for konto står ved nummeret"
                    if konto_words
                    else "det er skrevet som et kontonummer"
                )
                return {**expl, "type": "KONTONR", "score": 0.95 if konto_words else 0.8}
            only_2032 = not chk.k1_rule_today
            not_issued = (only_2032 and date.today() < RULE_2032_FROM) or (
                chk.century is None and chk.kind != "FH_NUMMER"
            )
            if not_issued and not fnr_words:
                # cannot be an issued person number, and it passes the account check (k2): an account
                expl["reason"] = (
                    "Består kontonummerkontrollen (mod 11); kan ikke være et tildelt fødselsnummer "
                    + (
                        "(kontrollsifrene stemmer bare etter regelen fra 1.1.2032)"
                        if only_2032
                        else "(individnummeret koder ikke et århundre)"
                    )
                )
                return {**expl, "type": "KONTONR", "score": 0.6}
            if only_2032 and date.today() < RULE_2032_FROM:
                expl["rule"] = "2032"
                expl["reason"] = (
                    "Kontrollsifrene stemmer bare etter regelen som gjelder fra 1.1.2032; slike numre "
                    "kan ikke være tildelt ennå: kanskje et feilskrevet nummer, et kontonummer eller "
                    "et annet tall"
                )
                return {**expl, "type": "MULIG_ID", "score": 0.45 if fnr_words else 0.3}
            if chk.century is None and chk.kind != "FH_NUMMER" and not only_2032:
                expl["reason"] = (
                    "Individnummeret koder ikke et århundre etter dagens regel, så fødselsdatoen kan ikke "
                    "bestemmes: kanskje et feilskrevet nummer"
                )
                return {**expl, "type": "MULIG_ID", "score": 0.4 if fnr_words else 0.3}
            rule = "dagens regel" if chk.k1_rule_today else "regelen fra 1.1.2032"
            expl["rule"] = "today" if chk.k1_rule_today else "2032"
            ftype = "H_NUMMER" if chk.kind == "FH_NUMMER" else chk.kind
            base = {"FODSELSNUMMER": 0.9, "D_NUMMER": 0.9, "H_NUMMER": 0.85, "SYNTETISK_ID": 0.85}[ftype]
            expl["reason"] = f"Gyldig {KIND_LABEL[chk.kind]} etter {rule}"
            if konto_words:
                expl["reason"] += "; består også kontonummerkontrollen (samme vekter som k2)"
            return {**expl, "type": ftype, "score": min(1.0, base + (0.09 if fnr_words else 0.0))}
        if chk.k2:
            # Passes the kontonummer check but is not a valid person number.
            if fnr_words and not konto_words:
                why = next(
                    (n for n in chk.notes if "fremtiden" in n), "kontrollsiffer eller dato stemmer ikke"
                )
                expl["reason"] = (
                    f"Står ved et ord for fødselsnummer, men er ikke et gyldig fødselsnummer ({why})"
                )
                return {**expl, "type": "MULIG_ID", "score": 0.4}
            expl["reason"] = "Består kontonummerkontrollen (mod 11)"
            return {
                **expl,
                "type": "KONTONR",
                "score": 0.95 if konto_words else (0.8 if kontonr_format else 0.6),
            }
        if fnr_words or konto_words:
            expl["reason"] = (
                "Har formen til et fødsels- eller kontonummer og står ved et slikt ord, men "
                "kontrollsifrene stemmer ikke: kanskje feilskrevet"
            )
            return {**expl, "type": "MULIG_ID", "score": 0.35 if fnr_words else 0.25}
        return None


def iban_ok(iban: str) -> bool:
    """ISO 13616 mod-97 check of an IBAN (spaces removed, upper case)."""
    s = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


class IbanRecognizer(Recognizer):
    """Norwegian IBAN: NO + 2 check digits + the 11-digit account number (``NO93 8601 1117 947``)."""

    name = "no_iban"
    type = "KONTONR"
    flags = re.IGNORECASE
    prefilter = r"no\s?\d\d"
    patterns = (("iban_no", r"(?<![\w])(?P<v>NO\s?\d{2}(?:\s?\d){11})(?![ .-]?\d)", 0.95),)

    def validate(self, text: str, m: re.Match[str], pattern: str, ctx: str) -> dict[str, Any] | None:
        compact = re.sub(r"\s", "", m.group("v")).upper()
        account = compact[4:]
        if not (iban_ok(compact) and kontonr_ok(account)):
            return None
        return {
            "context_words": _found(ctx, KONTO_CONTEXT),
            "reason": "Norsk IBAN: kontrollsifrene (mod 97) og kontonummerets mod 11 stemmer",
            "account": account,
        }


class OrgnrRecognizer(Recognizer):
    name = "no_orgnr"
    type = "ORGNR"
    patterns = (
        ("orgnr_3_3_3", r"(?P<v>[89](?<![\d.,][89])(?<!\d[ .][89])\d{2}[ .]\d{3}[ .]\d{3})(?![ .]?\d)", 0.6),
        ("orgnr_9", r"(?P<v>[89](?<![\d.,][89])(?<!\d[ .][89])\d{8})(?![ .]?\d)", 0.5),
    )
    context = ORG_CONTEXT
    context_boost = 0.4

    def validate(self, text: str, m: re.Match[str], pattern: str, ctx: str) -> dict[str, Any] | None:
        number = re.sub(r"\D", "", m.group("v"))
        if not orgnr_ok(number):
            return None
        words = _found(ctx, ORG_CONTEXT)
        if not words and _found(ctx, ("tlf", "telefon*", "mobil*")):
            return None
        return {"checksum": "mod11 ok", "note": "En organisasjon, ikke en person", "context_words": words}


class PhoneRecognizer(Recognizer):
    name = "no_phone"
    type = "TELEFON"
    patterns = (
        (
            "intl",
            r"(?P<v>(?:\+(?<![\w+]\+)|00(?<![\w+]00))\s?47[\s-]?(?:\d{2}[\s-]?\d{2}[\s-]?\d{2}[\s-]?\d{2}|\d{3}[\s-]?\d{2}[\s-]?\d{3}))"
            r"(?![ .-]?\d)",
            0.9,
        ),
        (
            "national_spaced",
            r"(?P<v>[2-9](?<![\d.,/+-][2-9])(?<!\d[ .][2-9])(?:\d(?: \d{2}){3}|\d{2} \d{2} \d{3}))"
            r"(?![ .,-]?\d)",
            0.6,
        ),
        ("national_8", r"(?P<v>[2-9](?<![\d.,/+-][2-9])(?<!\d[ .][2-9])\d{7})(?![ .,-]?\d)", 0.4),
    )
    context = PHONE_CONTEXT
    context_boost = 0.45

    def validate(self, text: str, m: re.Match[str], pattern: str, ctx: str) -> dict[str, Any] | None:
        digits = re.sub(r"\D", "", m.group("v"))
        national = digits[-8:]
        mobile = national[0] in "49"
        words = _found(ctx, PHONE_CONTEXT)
        if pattern == "national_8" and not words:
            # A bare 8-digit number is often a case or invoice number: only mobiles pass without context.
            if not mobile:
                return None
        if pattern != "intl" and national[0] == "8" and not words:
            return None
        res: dict[str, Any] = {"mobile": mobile, "context_words": words}
        if mobile and not words and pattern != "intl":
            res["score"] = 0.55 if pattern == "national_spaced" else 0.45
        return res


class EmailRecognizer(Recognizer):
    name = "email"
    type = "EPOST"
    patterns = (("email", r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])", 0.95),)
    prefilter = "@"


STREET_SUFFIXES = (
    "veien",
    "vegen",
    "veg",
    "vei",
    "gata",
    "gaten",
    "gate",
    "stien",
    "stig",
    "stigen",
    "plassen",
    "plass",
    "torget",
    "torg",
    "allé",
    "alle",
    "alleen",
    "bakken",
    "brygga",
    "bryggen",
    "kaia",
    "kaien",
    "svingen",
    "løkka",
    "løkken",
    "tunet",
    "jordet",
    "ringen",
    "kroken",
    "grenda",
    "grend",
    "veita",
    "smauet",
    "sletta",
    "kollen",
    "haugen",
    "lia",
    "lien",
    "åsen",
    "tråkket",
    "vangen",
    "hagen",
    "parken",
    "stranda",
    "stranden",
    "tangen",
    "hallen",
    "myra",
    "myren",
    "bråten",
    "moen",
    "dalen",
    "berget",
    "høgda",
    "høyden",
    "lunden",
    "stubben",
    "gården",
    "toppen",
    "vollen",
    "engen",
    "enga",
    "kleiva",
    "skogen",
    "sundet",
    "promenaden",
)
_SUFFIX_RX = "|".join(sorted(STREET_SUFFIXES, key=len, reverse=True))
_CAP = r"[A-ZÆØÅ][a-zæøåéü]+"
# "Storgata 5", "Kongens gate 12 B", "Ole Vigs gate 3", "Fjellveien 12b", "Karl Johans gate 1, 0154 Oslo"
_STREET = (
    rf"(?:{_CAP}(?:[ -](?:{_CAP}|[a-zæøå]+s))?(?:{_SUFFIX_RX})"
    rf"|(?:{_CAP}s?\s){{1,2}}(?:gate|gata|vei|veg|plass|allé|alle|torg|gt\.|vn\.))"
)
_NUMBER = r"\d{1,4}(?:\s?[A-Ha-h])?(?![\w])(?:\s?-\s?\d{1,4})?"
_POST = r"(?:,?\s+(?:\d{4}|N-\d{4})\s+[A-ZÆØÅ][A-ZÆØÅa-zæøå]+(?:[ -][A-ZÆØÅ][A-ZÆØÅa-zæøå]+)?)"


class AddressRecognizer(Recognizer):
    name = "no_address"
    type = "ADRESSE"
    patterns = (
        ("street_number_postal", rf"(?<![\w])(?:{_STREET})\s{_NUMBER}{_POST}", 0.9),
        ("street_number", rf"(?<![\w])(?:{_STREET})\s{_NUMBER}", 0.65),
        ("postboks", rf"(?<![\w])(?:Postboks|Pb\.|Boks)\s\d{{1,5}}{_POST}?", 0.8),
        ("postnr_POSTSTED", r"\d(?<!\w\d)\d{3}\s[A-ZÆØÅ]{3,}(?:[ -][A-ZÆØÅ]{2,})?(?![\w])", 0.55),
    )
    context = ("adresse", "bor i", "bosatt", "bostedsadresse", "postadresse", "besøksadresse")
    context_boost = 0.25
    # A street pattern is only tried around an anchor: a word ending in a street suffix before a number.
    # Found from the number backwards (a regex for "word, space, digit" would try every word position).
    anchor_rx = re.compile(r"[\w.'-]\s\d")
    anchor_ends = tuple(STREET_SUFFIXES) + ("gt.", "vn.")

    def anchors(self, text: str) -> Iterator[tuple[int, int]]:
        """(start of the word, end of the digit) for each word ending in a street suffix before a number."""
        for t in self.anchor_rx.finditer(text):
            end = t.start() + 1
            start = end - 1
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_.'-"):
                start -= 1
            while start < end and not (text[start].isalnum() or text[start] == "_"):
                start += 1  # the word starts with a word character
            if start < end and text[start:end].lower().endswith(self.anchor_ends):
                yield start, t.end()

    def analyze(self, text: str) -> list[Finding]:
        out: list[Finding] = []
        seen: set[tuple[int, int]] = set()
        compiled = self.compiled()
        streets, others = compiled[:2], compiled[2:]
        for a_start, a_end in self.anchors(text):
            lo, hi = max(0, a_start - 60), min(len(text), a_end + 60)
            for pname, rx, base in streets:
                for m in rx.finditer(text, lo, hi):
                    if not (m.start() <= a_start and m.end() >= a_end - 1) or m.span() in seen:
                        continue
                    seen.add(m.span())
                    out.extend(self._finding(text, m, pname, base))
        low = text.lower()
        for pname, rx, base in others:
            if pname == "postboks" and "boks" not in low and "pb." not in low:
                continue
            for m in rx.finditer(text):
                if m.span() not in seen:
                    out.extend(self._finding(text, m, pname, base))
        return out

    def _finding(self, text: str, m: re.Match[str], pname: str, base: float) -> list[Finding]:
        start, end = m.span()
        ctx = _context(text, start, end)
        res = self.validate(text, m, pname, ctx)
        if res is None:
            return []
        words = _found(ctx, self.context)
        score = min(1.0, base + (self.context_boost if words else 0.0))
        return [
            Finding(
                self.type,
                start,
                end,
                text[start:end],
                round(score, 4),
                {"detector": self.name, "pattern": pname, "context_words": words},
            )
        ]

    def validate(self, text: str, m: re.Match[str], pattern: str, ctx: str) -> dict[str, Any] | None:
        s = m.group(0)
        if pattern == "postnr_POSTSTED":
            if int(s[:4]) == 0 and not s.startswith("0"):
                return None
        # "Gata 2" at sentence start alone is still an address; reject pure numbers like years after words
        if pattern.startswith("street") and re.search(r"\s(1[89]\d\d|20\d\d)$", s.split(",")[0]):
            return None
        return {}


class GnrBnrRecognizer(Recognizer):
    name = "no_gnr_bnr"
    type = "GNR_BNR"
    flags = re.IGNORECASE
    prefilter = r"g\.?nr|gårds|gards|g/bnr|\d/\d"
    patterns = (
        (
            "gnr_bnr",
            r"(?<![\w])(?:gnr|g\.nr|gårdsnr|gardsnr|gårdsnummer|gardsnummer)\.?\s*:?\s*\d{1,4}\s*[,/]?\s*(?:og\s+)?"
            r"(?:bnr|b\.nr|bruksnr|bruksnummer)\.?\s*:?\s*\d{1,4}"
            r"(?:\s*[,/]?\s*(?:fnr|festenr|festenummer)\.?\s*\d{1,4})?(?:\s*[,/]?\s*(?:snr|seksjonsnr|seksjonsnummer)\.?\s*\d{1,4})?",
            0.95,
        ),
        (
            "gnr_bnr_slash",
            r"(?<![\w])(?:gnr\.?\s*/\s*bnr\.?|g/bnr\.?|gnr\.?\s*og\s*bnr\.?)\s*:?\s*\d{1,4}\s*/\s*\d{1,4}(?:\s*/\s*\d{1,4}){0,2}",
            0.95,
        ),
        ("slash_with_context", r"(?P<v>\d(?<![\w/.]\d)\d{0,3}/\d{1,4}(?:/\d{1,4}){0,2})(?![\w/.])", 0.5),
    )

    def validate(self, text: str, m: re.Match[str], pattern: str, ctx: str) -> dict[str, Any] | None:
        if pattern == "slash_with_context":
            words = _found(ctx, GNR_CONTEXT)
            a = m.group("v").split("/")
            if not words or (len(a[0]) == 4 and a[0].startswith(("19", "20"))):  # 2024/123 is a case number
                return None
            return {"context_words": words, "score": 0.75}
        return {"context_words": []}


_MONTHS = (
    "januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember|"
    "jan\\.?|feb\\.?|mar\\.?|apr\\.?|jun\\.?|jul\\.?|aug\\.?|sep\\.?|sept\\.?|okt\\.?|nov\\.?|des\\.?"
)


class BirthDateRecognizer(Recognizer):
    """Dates right after a birth-date word ("født", "f.", "fødselsdato"): the context is found first."""

    name = "no_birth_date"
    type = "FODSELSDATO"
    flags = re.IGNORECASE
    patterns = (
        (
            "numeric",
            r"(?P<v>(?:0?[1-9]|[12]\d|3[01])[./-](?:0?[1-9]|1[0-2])[./-](?:\d{4}|\d{2}))(?![\d]|\.\d)",
            0.85,
        ),
        ("words", rf"(?P<v>(?:0?[1-9]|[12]\d|3[01])\.?\s(?:{_MONTHS})\s\d{{4}})(?![\d])", 0.85),
    )
    context_rx = re.compile(
        r"(?<!\w)(?:født|fødd|f\.\s?d\.|fødselsdato|fødselsdag|f\.)\s*(?:den\s+|:\s*)?", re.IGNORECASE
    )

    def analyze(self, text: str) -> list[Finding]:
        out: list[Finding] = []
        for c in self.context_rx.finditer(text):
            for pname, rx, base in self.compiled():
                m = rx.match(text, c.end())
                if m:
                    s, e = m.span("v")
                    out.append(
                        Finding(
                            self.type,
                            s,
                            e,
                            text[s:e],
                            base + 0.1,
                            {"detector": self.name, "pattern": pname, "context_words": [c.group().strip()]},
                        )
                    )
                    break
        return out


RECOGNIZERS: tuple[Recognizer, ...] = (
    IbanRecognizer(),
    PersonNumberRecognizer(),
    OrgnrRecognizer(),
    PhoneRecognizer(),
    EmailRecognizer(),
    AddressRecognizer(),
    GnrBnrRecognizer(),
    BirthDateRecognizer(),
)


def detect_identifiers(text: str) -> list[Finding]:
    out: list[Finding] = []
    for r in RECOGNIZERS:
        out.extend(r.analyze(text))
    return out


# ---------------------------------------------------------------------------------------------------------
# Generators (for tests, benchmarks and demo data): numbers valid under today's rule or the 2032 rule


def make_person_number(day: int, month: int, yy: int, individ: int, *, remainder: int = 0) -> str | None:
    """An 11-digit number with checksums; ``remainder`` 0 is today's rule, 1-3 the 2032 rule only.
    Pass the day/month already modified (day + 40 for a D-nummer, month + 40 / + 80 for H / Tenor).
    Returns None when no digit gives that remainder (k1 or k2 would be 10)."""
    base = [int(c) for c in f"{day:02d}{month:02d}{yy:02d}{individ:03d}"]
    s = sum(x * w for x, w in zip(base, K1_WEIGHTS, strict=False))
    k1 = (remainder - s) % 11
    if k1 == 10:
        return None
    d = base + [k1]
    k2 = mod11_check_digit(d, K2_WEIGHTS)
    if k2 is None:
        return None
    return "".join(map(str, d + [k2]))


def make_kontonr(first10: str) -> str | None:
    k = mod11_check_digit([int(c) for c in first10], K2_WEIGHTS)
    return None if k is None else first10 + str(k)


def make_orgnr(first8: str) -> str | None:
    k = mod11_check_digit([int(c) for c in first8], ORGNR_WEIGHTS)
    return None if k is None else first8 + str(k)
