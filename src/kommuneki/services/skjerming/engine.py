"""Skjerming engine (pure): from a document's findings to two verdicts and the proposals for review.

* **innsyn** (offentleglova): ``publish`` / ``partial`` (parts withheld) / ``withhold``, with the proposed
  skjermingshjemmel for each withheld finding.
* **internett** (offentlegforskrifta § 7): what must stay off the internet even where innsyn is granted —
  fødselsnummer and numbers like it, GDPR art. 9/10 data, anything under a duty of confidentiality.
* **offentlig_tittel** (Noark 5 offentligTittel): the journal title with a private person's name removed
  only where name and title together reveal personal circumstances.

Names are not withheld by default. A private person's name (and their address, phone, e-mail, date of
birth) is withheld where a special-category finding lies near it (:data:`LINK_WINDOW` characters, same
paragraph): together they reveal personal circumstances. A special-category term is withheld where the
document identifies a person at all. A person named with a public role ("ordfører") is left alone.
Which hjemmel applies comes from ``data/hjemler.yaml`` through :mod:`.legal`.

No database, no HTTP: text and findings in, plain data out.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kommuneki.text.pii import MODEL_NAME as DETECT_MODEL_NAME
from kommuneki.text.pii import MODEL_VERSION as DETECT_MODEL_VERSION
from kommuneki.text.pii import Finding
from kommuneki.text.pii.categories import word_forms

from ...core.proposal import Proposal
from . import legal

SERVICE = "skjerming"
KIND_INNSYN = "skjerming.innsyn"
KIND_INTERNETT = "skjerming.internett"
KIND_TITTEL = "skjerming.offentlig_tittel"
ENGINE_VERSION = "1"
DECISIONS = ("publish", "partial", "withhold")

#: Characters between a name (or contact detail) and a special-category term that still link them.
LINK_WINDOW = 300
#: offl. § 12 c: withhold the whole document when the sentences holding withheld personal circumstances
#: make up at least this share of its text.
WHOLE_DOCUMENT_SHARE = 0.5
#: ... and only when at least this many special-category findings are withheld (one diagnosis in a short
#: note is withheld on its own; the rest of the note stays public).
WHOLE_DOCUMENT_MIN_FINDINGS = 2
TITLE_MASK = "*****"

PERSONAL_IDS = {"FODSELSNUMMER", "D_NUMMER", "H_NUMMER", "SYNTETISK_ID"}
#: Findings that point at a person: they become confidential when linked to personal circumstances.
LINKABLE = {"PERSON", "ADRESSE", "TELEFON", "EPOST", "FODSELSDATO"}
TYPE_LABELS = {
    "PERSON": "Navn",
    "FODSELSNUMMER": "Fødselsnummer",
    "D_NUMMER": "D-nummer",
    "H_NUMMER": "H-nummer",
    "SYNTETISK_ID": "Syntetisk testnummer",
    "MULIG_ID": "Mulig identitetsnummer",
    "ORGNR": "Organisasjonsnummer",
    "KONTONR": "Kontonummer",
    "TELEFON": "Telefon",
    "EPOST": "E-post",
    "ADRESSE": "Adresse",
    "GNR_BNR": "Gårds- og bruksnummer",
    "FODSELSDATO": "Fødselsdato",
    "SAERLIG_KATEGORI": "Særlig kategori",
}
CATEGORY_LABELS = {
    "HELSE": "helse",
    "BARNEVERN": "barnevern",
    "SOSIAL": "sosiale tjenester",
    "ETNISITET": "etnisitet",
    "RELIGION": "religion eller livssyn",
    "SEKSUALITET": "seksualitet",
    "POLITIKK": "politisk oppfatning",
    "STRAFF": "straffbare forhold",
    "SKOLE": "skoleforhold",
    "PERSONAL": "personalsak",
    "FAGFORENING": "fagforeningsmedlemskap",
    "GENETIKK": "genetikk",
    "BIOMETRI": "biometri",
}
DECISION_LABELS = {"publish": "kan offentliggjøres", "partial": "delvis unntatt", "withhold": "unntas helt"}
INTERNET_LABELS = {
    "publish": "kan publiseres på internett",
    "partial": "kan publiseres med deler fjernet",
    "withhold": "kan ikke publiseres på internett",
}

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_PARAGRAPH = re.compile(r"\n\s*\n")


@dataclass
class Assessed:
    """One finding with what the engine proposes for it."""

    finding: Finding
    innsyn: legal.Hjemmel | None
    internett: legal.Hjemmel | None
    #: why: identifier | personal_context | public_role | alminnelig_kjent | no_person | not_linked |
    #: not_confidential | not_tied | role_activity | historical | no_membership | group | role_title
    reason: str
    linked_to: list[int] = field(default_factory=list)  # indices of the findings that gave the context

    def as_dict(self, index: int) -> dict[str, Any]:
        f = self.finding
        d: dict[str, Any] = {
            "index": index,
            "type": f.type,
            "start": f.start,
            "end": f.end,
            "text": f.text,
            "score": round(float(f.score), 4),
            "withhold": self.innsyn is not None,
            "hjemmel": self.innsyn.label if self.innsyn else None,
            "hjemmel_id": self.innsyn.id if self.innsyn else None,
            "internet_withhold": self.internett is not None,
            "internet_hjemmel": self.internett.label if self.internett else None,
            "internet_hjemmel_id": self.internett.id if self.internett else None,
            "reason": self.reason,
            "linked_to": self.linked_to,
            "explanation": f.explanation,
        }
        if f.category is not None:
            d["category"] = f.category
        if f.public_role is not None:
            d["public_role"] = f.public_role
        return d


@dataclass
class Assessment:
    text_length: int
    findings: list[Assessed]
    decision: str  # innsyn verdict
    internet: str  # internet verdict
    whole_document: legal.Hjemmel | None
    share: float  # share of the text in sentences holding withheld personal circumstances
    hjemler_version: str

    def withheld(self, scope: str = "innsyn") -> list[tuple[int, Assessed]]:
        attr = "innsyn" if scope == "innsyn" else "internett"
        return [(i, a) for i, a in enumerate(self.findings) if getattr(a, attr) is not None]


def _paragraph_index(text: str) -> list[int]:
    """Start offsets of paragraphs (blank-line separated)."""
    return [0] + [m.end() for m in _PARAGRAPH.finditer(text)]


def _para_of(starts: list[int], pos: int) -> int:
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= pos:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _sentences_share(text: str, spans: list[tuple[int, int]]) -> float:
    """Share of the text's non-blank characters in sentences that hold one of ``spans``."""
    if not spans or not text.strip():
        return 0.0
    bounds = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        bounds.append((pos, m.start()))
        pos = m.end()
    bounds.append((pos, len(text)))
    total = sum(len(text[s:e].strip()) for s, e in bounds) or 1
    hit = sum(len(text[s:e].strip()) for s, e in bounds if any(a < e and s < b for a, b in spans))
    return hit / total


#: Categories that describe what a person in a public role does in that role (their party, their
#: union): not "personlege forhold" for that person. Health, family and the rest still are.
ROLE_CATEGORIES = {"POLITIKK", "FAGFORENING"}
#: A sentence that refers to a person without naming them ("hun", "pasienten", "eleven").
_PERSON_REFERENCE = re.compile(
    r"\b(?:han|hun|ho|hen|vedkommende|vedkomande|henne|hennes|hans|honom|søker(?:en)?|søkjar(?:en)?|"
    r"pasient(?:en)?|elev(?:en)?|bruker(?:en)?|brukar(?:en)?|klient(?:en)?|beboer(?:en)?|bebuar(?:en)?|"
    r"barnet|gutten|jenta|mor|far|moren|faren|foreldrene|foreldra|den\s+ansatte|arbeidstaker(?:en)?|"
    r"arbeidstakar(?:en)?|parten)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)")
HISTORICAL_BEFORE = 1925
_BORN = re.compile(r"\b(?:født|fødd|f\.)\s*(?:i\s+|den\s+)?(?:\d{1,2}\.?\s*\w*\s*)?$", re.IGNORECASE)


#: Weak political and union terms (a party's name, "parti", "politisk", "forbundet") name an organisation
#: or a subject; they reveal a private person's political opinion or union membership only where the
#: sentence ties the person to them: membership, a vote, support, a candidacy.
_MEMBERSHIP = re.compile(
    r"\b(?:medlem\w*|innmeld\w*|meldt\w*|meld(?:e|te|er|a)\s+seg|stemt[ea]?|stemmer|stemme|røyst\w*|"
    r"sympatis\w*|tilhører|tilhøyrer|tilhørighet|aktiv|engasjert|kandidat\w*|nominert|verv|"
    r"tillitsvalgt\w*|tillitsvald\w*|kontingent\w*|organisert|fagorganisert|partifelle\w*|"
    r"engasjement\w*|representer\w*|representant\w*|\w*kandidat\w*|valgt|stilte|stiller|"
    r"(?:sitt|sin|sine|hans|hennes|deres)\s+politiske?)\b",
    re.IGNORECASE,
)
#: Terms that are themselves the tie ("tillitsvalgt": the person holds a union office).
_SELF_TYING = re.compile(r"^(?:hoved|hovud)?tillitsval", re.IGNORECASE)
#: Categories of groups of people: a plural ("jøder", "katolikkene", "jødiske innbyggere") speaks of a
#: group, not of an identifiable person — unless it is said of named people ("foreldrene er muslimer").
GROUP_CATEGORIES = {"RELIGION", "ETNISITET"}
_PLURAL_ENDING = re.compile(r"\w{3,}(?:er|ere|erne|ene|ane|ar|arne)$", re.IGNORECASE)
_ADJECTIVE_E = re.compile(r"\w{3,}e$", re.IGNORECASE)


def _plural_noun(word: str) -> bool:
    """A plural noun: a plural ending and a shorter lemma it starts with ("jøder" → "jøde", "katolikker"
    → "katolikk"); "asylsøker" and "innvandrer" are their own lemma, so singular."""
    if not _PLURAL_ENDING.fullmatch(word):
        return False
    low = word.lower()
    return any(len(f) < len(low) and low.startswith(f) for f in word_forms(low))


_PREDICATE_BEFORE = re.compile(
    r"\b(?:er|var|ble|blei|blir|vert|vart|som|begge|alle\s+tre)\s+(?:\w+\s+){0,2}$", re.IGNORECASE
)


def _group_plural(text: str, f: Finding) -> bool:
    """The term names a group of people: a plural noun, or an adjective before a plural noun, not said
    of someone ("foreldrene er muslimer" is about two identifiable people)."""
    if f.category not in GROUP_CATEGORIES or " " in f.text:
        return False
    word = f.text
    if _PREDICATE_BEFORE.search(text[max(0, f.start - 40) : f.start]):
        return False
    if _plural_noun(word):
        return True
    nxt = re.match(r"\s+(\w+)", text[f.end : f.end + 40])
    return bool(_ADJECTIVE_E.fullmatch(word) and nxt and _plural_noun(nxt.group(1)))


#: Public only because the name is on a list: a private namesake is possible.
LIST_SOURCES = {"well_known", "kommune_list"}


def _known_from_list(f: Finding) -> bool:
    e = f.explanation
    return bool(f.public_role) and (
        e.get("public_role_source") in LIST_SOURCES or e.get("public_via") in LIST_SOURCES
    )


def _needs_membership(f: Finding) -> bool:
    return (
        f.category in ROLE_CATEGORIES
        and f.explanation.get("strength") == "weak"
        and not _SELF_TYING.match(f.text)
    )


def _role_title(text: str, c: Finding, people: list[Finding]) -> bool:
    """The term is the title of the person right after it ("lege Ove Talsnes"): their profession."""
    for p in people:
        if p.start >= c.end and not text[c.end : p.start].strip() and p.public_role:
            word = str(p.explanation.get("role_word") or "")
            return word.lower() == c.text.lower()
    return False


def _sentence_of(text: str, pos: int) -> tuple[int, int]:
    start = max(
        text.rfind(". ", 0, pos), text.rfind("\n", 0, pos), text.rfind("! ", 0, pos), text.rfind("? ", 0, pos)
    )
    ends = [
        i
        for i in (text.find(". ", pos), text.find("\n", pos), text.find("! ", pos), text.find("? ", pos))
        if i >= 0
    ]
    return (start + 1 if start >= 0 else 0), (min(ends) if ends else len(text))


_OWN_PREDICATE = re.compile(
    r"^[^.!?]{0,40}?\b(?:har|hadde|fikk|får|fått|er|var|ble|blir|blitt|lider|lei|led)\b(?:\s+[\wæøå-]+){0,3}\s+$",
    re.IGNORECASE,
)


def _about_themselves(text: str, person: Finding, term: Finding) -> bool:
    """The term is said of the person ("X har/fikk/ble ... <term>"), not a subject they speak about in
    their role ("X uttalte seg om <term>")."""
    if person.end > term.start:
        return False
    between = text[person.end : term.start]
    return bool(_OWN_PREDICATE.match(between)) and not re.search(r"\bom\b", between)


def _historical(text: str, f: Finding) -> bool:
    """Told as history: the finding's paragraph dates events, and only before 1925."""
    s = max(text.rfind("\n\n", 0, f.start), -1) + 1
    e = text.find("\n\n", f.end)
    e = len(text) if e < 0 else e
    # a birth year is no event: "Ola (født 1924) har demens" is not history
    years = [
        int(m.group(1))
        for m in _YEAR.finditer(text, s, e)
        if not _BORN.search(text, max(s, m.start() - 12), m.start())
    ]
    return bool(years) and max(years) < HISTORICAL_BEFORE


def assess(text: str, findings: list[Finding], *, day: date | None = None) -> Assessment:
    """Propose, for every finding, whether to withhold it from innsyn and from the internet and under
    which hjemmel, and the two document verdicts. ``findings`` must be spans of ``text``."""
    day = day or date.today()
    paras = _paragraph_index(text)
    categories = [i for i, f in enumerate(findings) if f.type == "SAERLIG_KATEGORI"]
    # a name known only from a list (well-known persons, the kommune's own list) may be a namesake: it is
    # released only when no personal circumstance is tied to it, so it ties categories like a private name
    known_only = {i for i, f in enumerate(findings) if f.type == "PERSON" and _known_from_list(f)}
    private_people = [
        i for i, f in enumerate(findings) if f.type == "PERSON" and (not f.public_role or i in known_only)
    ]
    identifies_person = bool(private_people) or any(
        f.type in PERSONAL_IDS | LINKABLE - {"PERSON"} for f in findings
    )
    # A special category counts only when tied to an identifiable natural person: near a private
    # person's name, an identity number or a contact detail, or in a sentence that refers to a person
    # ("hun", "pasienten") in a document that identifies one. Organisations are not persons, and a term
    # with no person is a subject word ("helse" in a law). For a person in a public role, what they do
    # in that role (party, union) is not personlege forhold; their health or family still is.
    identifiers_at = [i for i, f in enumerate(findings) if f.type in PERSONAL_IDS | (LINKABLE - {"PERSON"})]
    public_people = [i for i, f in enumerate(findings) if f.type == "PERSON" and f.public_role]
    tied: dict[int, tuple[str, list[int]]] = {}
    people = [f for f in findings if f.type == "PERSON"]
    for ci in categories:
        c = findings[ci]
        near_private = [
            j
            for j in private_people
            if _near(findings[j], c, paras, text) and not (j in known_only and c.category in ROLE_CATEGORIES)
        ]
        near_ids = [j for j in identifiers_at if _near(findings[j], c, paras, text)]
        s0, e0 = _sentence_of(text, c.start)
        if _role_title(text, c, people):
            tied[ci] = ("role_title", [])
        elif _group_plural(text, c):
            tied[ci] = ("group", [])
        elif _needs_membership(c) and not _MEMBERSHIP.search(text, s0, e0):
            tied[ci] = ("no_membership", [])
        elif near_private or near_ids:
            if _historical(text, c):
                tied[ci] = ("historical", near_private[:5])
            else:
                tied[ci] = ("personal_context", (near_private or near_ids)[:5])
        elif identifies_person and _PERSON_REFERENCE.search(text[s0:e0]):
            tied[ci] = ("personal_context", [])
        else:
            same_public = [j for j in public_people if _sentence_of(text, findings[j].start)[0] == s0]
            if same_public and c.category in ROLE_CATEGORIES:
                tied[ci] = ("role_activity", same_public[:5])
            elif [j for j in same_public if _about_themselves(text, findings[j], c)]:
                # "Ordfører Per Hansen har fått kreft": the person's own health, not the role
                tied[ci] = ("personal_context", same_public[:5])
            else:
                tied[ci] = ("not_tied" if identifies_person or findings else "no_person", [])
    withheld_categories = [ci for ci, (r, _l) in tied.items() if r == "personal_context"]
    out: list[Assessed] = []
    for i, f in enumerate(findings):
        linked: list[int] = []
        if f.type == "SAERLIG_KATEGORI":
            reason, linked = tied[i]
            context = reason == "personal_context"
            if reason == "not_tied" and not identifies_person:
                reason = "no_person"
        elif f.type in LINKABLE:
            if f.type == "PERSON" and f.public_role and i not in known_only:
                context, reason = False, "public_role"
                if f.explanation.get("public_role_source") == "press":
                    reason = "alminnelig_kjent"
            elif i in known_only:
                linked = [j for j in withheld_categories if _near(f, findings[j], paras, text)][:5]
                context = bool(linked)
                reason = "personal_context" if context else "alminnelig_kjent"
            else:
                linked = [j for j in withheld_categories if _near(f, findings[j], paras, text)][:5]
                context = bool(linked)
                reason = "personal_context" if context else "not_linked"
                if context and _historical(text, f):
                    context, reason = False, "historical"
        else:
            context = False
            reason = "identifier" if f.type in PERSONAL_IDS | {"MULIG_ID"} else "not_confidential"
        innsyn = legal.hjemmel_for(f.type, f.category, "innsyn", personal_context=context, day=day)
        internett = legal.hjemmel_for(f.type, f.category, "internett", personal_context=context, day=day)
        if innsyn is not None and internett is None:
            # whatever is withheld from innsyn stays off the internet too (offentlegforskrifta § 7 a)
            internett = legal.hjemmel_for(f.type, f.category, "internett", personal_context=True, day=day)
        out.append(Assessed(f, innsyn, internett, reason, linked))
    sensitive = [
        (a.finding.start, a.finding.end)
        for a in out
        if a.innsyn is not None and a.finding.type == "SAERLIG_KATEGORI"
    ]
    share = _sentences_share(text, sensitive)
    whole = None
    if any(a.innsyn for a in out):
        decision = "partial"
        if share >= WHOLE_DOCUMENT_SHARE and len(sensitive) >= WHOLE_DOCUMENT_MIN_FINDINGS:
            whole = legal.by_id("offl12_c")
            decision = "withhold" if whole is not None and whole.applies_on(day) else "partial"
    else:
        decision = "publish"
    if decision == "withhold":
        internet = "withhold"
    elif any(a.internett for a in out):
        internet = "partial"
    else:
        internet = "publish"
    return Assessment(len(text), out, decision, internet, whole, round(share, 4), legal.version())


def _near(a: Finding, b: Finding, paras: list[int], text: str) -> bool:
    gap = max(a.start, b.start) - min(a.end, b.end)
    if gap > LINK_WINDOW:
        return False
    return _para_of(paras, a.start) == _para_of(paras, b.start) or gap <= 40


# --- proposals ------------------------------------------------------------------------------------------


def _span(a: Assessed, hjemmel: legal.Hjemmel) -> dict[str, Any]:
    return {"start": a.finding.start, "end": a.finding.end, "type": a.finding.type, "hjemmel": hjemmel.id}


def _confidence(assessment: Assessment, scope: str) -> float:
    withheld = assessment.withheld(scope)
    if withheld:
        return round(sum(a.finding.score for _i, a in withheld) / len(withheld), 4)
    doubt = max(
        (
            a.finding.score
            for a in assessment.findings
            if a.finding.type in ("SAERLIG_KATEGORI", "PERSON", "MULIG_ID")
        ),
        default=0.0,
    )
    return round(min(0.99, max(0.5, 1.0 - 0.5 * doubt)), 4)


def _summary(assessment: Assessment, scope: str) -> str:
    withheld = assessment.withheld(scope)
    if scope == "innsyn":
        head = f"Forslag ved innsyn: {DECISION_LABELS[assessment.decision]}"
        if assessment.decision == "withhold" and assessment.whole_document:
            head += (
                f" ({assessment.whole_document.label}: opplysninger som er unntatt utgjør "
                f"{round(assessment.share * 100)} % av teksten)"
            )
    else:
        head = f"Forslag for internett: {INTERNET_LABELS[assessment.internet]}"
    if not withheld:
        return head + ". Ingen opplysninger foreslås skjermet."
    types = sorted({TYPE_LABELS.get(a.finding.type, a.finding.type).lower() for _i, a in withheld})
    return head + f". {len(withheld)} opplysning(er) foreslås skjermet: " + ", ".join(types) + "."


def proposals(text: str, assessment: Assessment) -> list[Proposal]:
    """The innsyn and internett proposals for one document (both always, so a reviewer confirms a
    'publish' too)."""
    start = time.process_time()
    input_hash = hashlib.sha256(text.encode()).hexdigest()
    evidence = [a.as_dict(i) for i, a in enumerate(assessment.findings)]
    out = []
    for scope, kind, verdict in (
        ("innsyn", KIND_INNSYN, assessment.decision),
        ("internett", KIND_INTERNETT, assessment.internet),
    ):
        attr = "innsyn" if scope == "innsyn" else "internett"
        value = {
            "decision": verdict,
            "withheld": [_span(a, getattr(a, attr)) for _i, a in assessment.withheld(scope)],
        }
        if scope == "innsyn":
            value["whole_document_hjemmel"] = (
                assessment.whole_document.id
                if (assessment.decision == "withhold" and assessment.whole_document)
                else None
            )
        used = {getattr(a, attr).id: getattr(a, attr) for _i, a in assessment.withheld(scope)}
        if scope == "innsyn" and value["whole_document_hjemmel"]:
            used[assessment.whole_document.id] = assessment.whole_document
        explanation = {
            "summary": _summary(assessment, scope),
            "evidence": evidence,
            "verdict": verdict,
            "scope": scope,
            "share_withheld_sentences": assessment.share,
            "hjemler": [h.as_dict() for h in used.values()],
            "hjemler_version": assessment.hjemler_version,
            "method": (
                "Regler i data/hjemler.yaml anvendt på funnene fra deteksjonen: identitetsnumre alltid; "
                f"navn og kontaktopplysninger bare innen {LINK_WINDOW} tegn (samme avsnitt) fra en særlig "
                "kategori; særlige kategorier når dokumentet identifiserer en person."
            ),
        }
        out.append(
            Proposal(
                kind=kind,
                value=value,
                confidence=_confidence(assessment, scope),
                explanation=explanation,
                model_name=f"{SERVICE}-{DETECT_MODEL_NAME}",
                model_version=f"{DETECT_MODEL_VERSION}+regler{ENGINE_VERSION}",
                input_hash=input_hash,
            )
        )
    cpu = (time.process_time() - start) * 1000
    for p in out:
        p.cpu_ms = cpu / len(out)
    return out


def propose_title(title: str, findings: list[Finding], *, day: date | None = None) -> Proposal:
    """offentligTittel for a journal title: a private person's name (and any personal number) is
    replaced by ``*****`` only where the title also reveals personal circumstances; otherwise the
    title is proposed unchanged. ``findings`` are spans of ``title``."""
    start = time.process_time()
    assessment = assess(title, findings, day=day)
    masked = []
    for i, a in enumerate(assessment.findings):
        f = a.finding
        if f.type in PERSONAL_IDS or f.type == "MULIG_ID" or (f.type in LINKABLE and a.innsyn is not None):
            masked.append((i, a))
    public = title
    for _i, a in sorted(masked, key=lambda x: -x[1].finding.start):
        public = public[: a.finding.start] + TITLE_MASK + public[a.finding.end :]
    if masked:
        summary = (
            f"Foreslått offentlig tittel skjuler {len(masked)} opplysning(er): tittelen røper "
            "personlige forhold sammen med navnet."
        )
    elif any(a.finding.type == "PERSON" for a in assessment.findings):
        summary = "Tittelen nevner en person, men røper ikke personlige forhold: navnet kan stå."
    else:
        summary = "Tittelen har ingen opplysninger som bør skjermes."
    confidence = (
        _confidence(assessment, "innsyn")
        if masked
        else round(
            min(0.99, max(0.5, 1.0 - 0.5 * max((a.finding.score for a in assessment.findings), default=0.0))),
            4,
        )
    )
    explanation = {
        "summary": summary,
        "evidence": [a.as_dict(i) for i, a in enumerate(assessment.findings)],
        "masked": [i for i, _a in masked],
        "mask": TITLE_MASK,
        "hjemler_version": assessment.hjemler_version,
    }
    return Proposal(
        kind=KIND_TITTEL,
        value={"offentlig_tittel": public},
        confidence=confidence,
        explanation=explanation,
        model_name=f"{SERVICE}-{DETECT_MODEL_NAME}",
        model_version=f"{DETECT_MODEL_VERSION}+regler{ENGINE_VERSION}",
        input_hash=hashlib.sha256(title.encode()).hexdigest(),
        cpu_ms=(time.process_time() - start) * 1000,
    )


def scan_record(path: str, text: str, assessment: Assessment, *, with_text: bool = False) -> dict[str, Any]:
    """The CLI/API record of one document: one JSON object per document."""
    rec: dict[str, Any] = {
        "path": path,
        "decision": assessment.decision,
        "internet": assessment.internet,
        "findings": [a.as_dict(i) for i, a in enumerate(assessment.findings)],
    }
    if assessment.decision == "withhold" and assessment.whole_document:
        rec["whole_document_hjemmel"] = assessment.whole_document.label
    if with_text:
        rec["text"] = text
    return rec


def selected_spans(text: str, assessment: Assessment, indices: list[int]) -> list[tuple[int, int]]:
    """Spans of the findings a person chose to withhold (by index into ``assessment.findings``)."""
    out = []
    for i in indices:
        if not 0 <= i < len(assessment.findings):
            continue
        f = assessment.findings[i].finding
        out.append((f.start, f.end))
    return out
