"""Special categories of personal data and confidential matters (GDPR art. 9 and 10, fvl. § 13).

Curated term lists (``data/categories.yaml``, with their source note) matched through simplemma's Bokmål
and Nynorsk lemmatisers, so inflected forms match ("diagnosene", "barnevernet", "sosialhjelpa"); compound
prefixes and suffixes ("barnevern*", "*depresjon"); phrases; and case-sensitive abbreviations (PPT, NAV).

Context decides the score: a term in the same sentence as a person's name weighs far more than a term
alone, and the explanation names the person finding and the distance that raised it. Weak terms
("behandling", "lønn") are reported only near a name.
"""

from __future__ import annotations

import bisect
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .finding import Finding

TERMS_PATH = Path(__file__).resolve().parent / "data" / "categories.yaml"

SCORE = {  # (strength, proximity) -> score
    ("strong", "alone"): 0.45,
    ("strong", "sentence"): 0.9,
    ("strong", "window"): 0.75,
    ("weak", "sentence"): 0.65,
    ("weak", "window"): 0.45,
}
WINDOW = 150  # characters: a name this close (outside the sentence) still counts
PUBLIC_ROLE_PENALTY = 0.2

_WORD = re.compile(r"\w+(?:[-+]\w+)*\+?")
_PARA_BOUNDARY = re.compile(r"\n\s*\n")
_SENT_BOUNDARY = re.compile(r"[.!?]+[\"»)]?\s+(?=[\"«(]?[A-ZÆØÅ0-9])|\n\s*\n|\n(?=\s*[-•*\d])")


@dataclass(frozen=True)
class Term:
    category: str
    term: str  # as written in the list
    strength: str  # strong / weak
    legal_basis_hint: str


class TermIndex:
    def __init__(self, data: dict[str, Any]) -> None:
        self.version = str(data.get("version", ""))
        self.words: dict[str, list[Term]] = {}
        self.phrases: dict[str, list[tuple[tuple[str, ...], Term]]] = {}
        prefixes: dict[str, Term] = {}
        suffixes: dict[str, Term] = {}
        exact: dict[str, Term] = {}
        for cat, spec in data["categories"].items():
            hint = spec.get("legal_basis_hint", "")
            for strength, key in (
                ("strong", "strong"),
                ("weak", "weak"),
                ("strong", "exact"),
                ("weak", "exact_weak"),
            ):
                for raw in spec.get(key) or ():
                    raw = str(raw)
                    t = Term(cat, raw, strength, hint)
                    if key.startswith("exact"):
                        exact[raw] = t
                    elif raw.endswith("*"):
                        prefixes[raw[:-1].lower()] = t
                    elif raw.startswith("*"):
                        suffixes[raw[1:].lower()] = t
                    elif " " in raw:
                        parts = tuple(raw.lower().split())
                        self.phrases.setdefault(parts[0], []).append((parts, t))
                    else:
                        self.words.setdefault(raw.lower(), []).append(t)
        self.prefixes, self.suffixes = prefixes, suffixes
        alt = lambda xs: "|".join(re.escape(x) for x in sorted(xs, key=len, reverse=True))  # noqa: E731
        self.prefix_rx = re.compile(rf"^(?:{alt(prefixes)})(?=\w)") if prefixes else None
        self.suffix_rx = re.compile(rf"(?<=\w)(?:{alt(suffixes)})$") if suffixes else None
        self.exact_rx = re.compile(rf"(?<![\w-])(?:{alt(exact)})(?![\w-])") if exact else None
        self.exact = exact
        self._token_cache: dict[str, tuple[tuple[str, ...], tuple[Term, str] | None]] = {}

    def token_info(self, low: str) -> tuple[tuple[str, ...], tuple[Term, str] | None]:
        """For a lower-cased token: the forms that start a phrase, and its single-word hit (cached)."""
        got = self._token_cache.get(low)
        if got is not None:
            return got
        forms = word_forms(low)
        ordered = (low, *sorted(f for f in forms if f != low))
        phrase_firsts = tuple(f for f in ordered if f in self.phrases)
        single: tuple[Term, str] | None = None
        for f in ordered:
            ts = self.words.get(f)
            if ts:
                single = (ts[0], "lemma" if f != low else "word")
                break
        if single is None and self.prefix_rx is not None:
            m = self.prefix_rx.match(low)
            if m:
                single = (self.prefixes[m.group()], "compound_prefix")
        if single is None and self.suffix_rx is not None:
            m = self.suffix_rx.search(low)
            if m:
                single = (self.suffixes[m.group()], "compound_suffix")
        got = (phrase_firsts, single)
        if len(self._token_cache) < 200_000:
            self._token_cache[low] = got
        return got


@lru_cache(maxsize=1)
def load_terms(path: Path = TERMS_PATH) -> TermIndex:
    import yaml

    return TermIndex(yaml.safe_load(path.read_text(encoding="utf-8")))


_lemma_lock = threading.Lock()


@lru_cache(maxsize=200_000)
def word_forms(low: str) -> frozenset[str]:
    """The lower-cased word and its Bokmål and Nynorsk lemmas."""
    import simplemma

    return frozenset((low, simplemma.lemmatize(low, lang="nb"), simplemma.lemmatize(low, lang="nn")))


def sentence_spans(text: str) -> list[int]:
    """Start offsets of sentences (sorted), for same-sentence tests."""
    return [0] + [m.end() for m in _SENT_BOUNDARY.finditer(text)]


def _match_terms(text: str, idx: TermIndex) -> list[tuple[int, int, Term, str]]:
    out: list[tuple[int, int, Term, str]] = []
    toks = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    lows = [t[0].lower() for t in toks]
    forms_cache: dict[int, frozenset[str]] = {}

    def forms(i: int) -> frozenset[str]:
        f = forms_cache.get(i)
        if f is None:
            f = forms_cache[i] = word_forms(lows[i])
        return f

    i = 0
    n = len(toks)
    while i < n:
        low = lows[i]
        if low.isdigit() or len(low) < 2:
            i += 1
            continue
        phrase_firsts, single = idx.token_info(low)
        hit = None
        # phrases first (longest match)
        for f in phrase_firsts:
            for parts, t in idx.phrases[f]:
                k = len(parts)
                if i + k <= n and all(parts[j] in forms(i + j) for j in range(1, k)):
                    if hit is None or k > hit[0]:
                        hit = (k, t, "phrase")
        if hit is None and single is not None:
            hit = (1, *single)
        if hit is not None:
            k, t, how = hit
            out.append((toks[i][1], toks[i + k - 1][2], t, how))
            i += k
        else:
            i += 1
    if idx.exact_rx is not None:
        for m in idx.exact_rx.finditer(text):
            if not any(s < m.end() and m.start() < e for s, e, _, _ in out):
                out.append((m.start(), m.end(), idx.exact[m.group()], "exact"))
    return out


#: Terms that name an institution or organisation (the police, a court, a hospital, a church): where a
#: person is, not what about them. They count only in the same sentence as a person's name, and weakly.
INSTITUTION_STEMS = (
    "politi",
    "tingrett",
    "lagmannsrett",
    "domstol",
    "sykehus",
    "sjukehus",
    "kirke",
    "kyrkje",
    "menighet",
    "kyrkjelyd",
    "trossamfunn",
    "moské",
    "synagoge",
)
_LAW_WORD = re.compile(
    r"(?:lov|loven|lova|lovens|lovas|forskrift|forskriften|forskrifta|forskriftens)$", re.I
)
_LAW_TITLE = re.compile(
    r"\b(?:lov|lova|loven|forskrift|forskrifta|forskriften)\s+(?:om|til|for)\b[^.!?\n]*$", re.I
)
#: Second words of the municipal unit names written "Helse og omsorg", "Oppvekst og kultur"
_UNIT_WORDS = frozenset(
    "omsorg velferd oppvekst kultur levekår rehabilitering mestring familie inkludering utdanning "
    "teknisk miljø arbeid sosial helse barnevern forebygging habilitering aktivitet".split()
)
_ABBREVIATION_DEFINED = re.compile(r"([^()\n]{1,80})\(([A-ZÆØÅ]{2,6})\)")


def _inside_a_name(text: str, s: int, e: int, t: Term, how: str, sentence_start: int) -> str | None:
    """Why a term found here is not the category but part of a name (of a law, a unit, a product), or
    None. Abbreviations (``exact``) are judged elsewhere."""
    word = text[s:e]
    if how == "exact":
        return None
    if _LAW_WORD.search(word.split()[-1]) or _LAW_TITLE.search(text[max(sentence_start, s - 60) : s]):
        return "law_name"
    if not (word[:1].isupper() and not word.isupper()) or t.term[:1].isupper():
        return None  # lower case, or an abbreviation in capitals ("ADHD", "KOLS"), or listed capitalised
    nxt = text[e : e + 40]
    if re.match(r"-\s*(?:og|eller)\s", nxt) or re.match(r"\s+[A-ZÆØÅ][a-zæøå]+", nxt):
        # "Helse- og omsorgsdepartementet", "Helse Bergen", "Helse Møre og Romsdal"
        return "proper_name"
    m = re.match(r"\s+og\s+([a-zæøå]+)", nxt)
    if m and m.group(1) in _UNIT_WORDS:
        return "proper_name"  # a unit: "Helse og omsorg", "Sosial og velferd"
    return None


def _redefined_abbreviations(text: str, idx: TermIndex) -> set[str]:
    """Abbreviations the text defines as something else: "bisfenol A (BPA)" is not brukerstyrt personlig
    assistanse. An abbreviation counts as the category only when its definition holds a term of it."""
    out = set()
    for m in _ABBREVIATION_DEFINED.finditer(text):
        abbr = m.group(2)
        t = idx.exact.get(abbr)
        if t is None:
            continue
        before = m.group(1)
        if not any(h[2].category == t.category and h[3] != "exact" for h in _match_terms(before, idx)):
            out.add(abbr)
    return out


def detect_categories(text: str, *, persons: list[Finding] | None = None) -> list[Finding]:
    idx = load_terms()
    persons = sorted(persons or [], key=lambda f: f.start)
    starts = sentence_spans(text)
    paras = [0] + [m.end() for m in _PARA_BOUNDARY.finditer(text)] if persons else [0]
    redefined = _redefined_abbreviations(text, idx) if "(" in text else set()
    out: list[Finding] = []
    for s, e, t, how in _match_terms(text, idx):
        if how == "exact" and text[s:e] in redefined:
            continue
        sentence_start = starts[bisect.bisect_right(starts, s) - 1]
        if _inside_a_name(text, s, e, t, how, sentence_start):
            continue
        institution = text[s:e].lower().startswith(INSTITUTION_STEMS)
        best: tuple[str, int, Finding] | None = None
        if persons:
            sent = bisect.bisect_right(starts, s) - 1
            para = bisect.bisect_right(paras, s) - 1
            for p in persons:
                dist = s - p.end if p.end <= s else p.start - e if p.start >= e else 0
                if dist > WINDOW * 4:
                    continue
                same = bisect.bisect_right(starts, p.start) - 1 == sent
                same_para = bisect.bisect_right(paras, p.start) - 1 == para
                prox = "sentence" if same else "window" if dist <= WINDOW and same_para else None
                if prox is None:
                    continue
                rank = (0 if prox == "sentence" else 1, dist)
                if best is None or rank < ((0 if best[0] == "sentence" else 1), best[1]):
                    best = (prox, dist, p)
        prox = best[0] if best else "alone"
        strength = "weak" if institution else t.strength
        if institution and prox != "sentence":
            continue  # an institution named with no person in its sentence
        if (strength, prox) not in SCORE:
            continue  # a weak term alone is not reported
        score = SCORE[(strength, prox)]
        expl: dict[str, Any] = {
            "detector": "term_list",
            "term": t.term,
            "match": how,
            "strength": strength,
            "legal_basis_hint": t.legal_basis_hint,
            "term_list_version": idx.version,
            "proximity": prox,
        }
        if best is not None:
            p = best[2]
            expl["near_person"] = {"text": p.text, "start": p.start, "end": p.end, "distance_chars": best[1]}
            if p.public_role:
                score -= PUBLIC_ROLE_PENALTY
                expl["lowered_by"] = "the person is named with a public role"
            expl["raised_by"] = f"name {'in the same sentence' if prox == 'sentence' else 'nearby'}"
        out.append(Finding("SAERLIG_KATEGORI", s, e, text[s:e], round(score, 4), expl, category=t.category))
    out.sort(key=lambda f: f.start)
    return out
