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
from typing import Any

from ...core.errors import InvalidInput

DEFAULT_DAYS = 3
DEEMED_REFUSAL_DAYS = 5

# --- detection ---------------------------------------------------------------------------------------
#
# A request is modelled, not keyed on a word: an act of asking (first person, a question to the kommune,
# an imperative or a passive "begjæres") + a wish to receive or see + a document, a case or a journal
# entry, in the same sentence (or the asking sentence right after the one naming the document). The
# sender may be anyone (offl. § 3 «alle»: other authorities and the kommune's own staff too); one outside
# the kommune raises the prior a little. Headers lower it: a newsletter (List-Unsubscribe, Precedence
# bulk/list), a machine message (Auto-Submitted), a reply to a message the kommune sent (In-Reply-To or
# References naming the kommune's own domain), and so does wording that answers or reports on an earlier
# request ("viser til kommunens innsynskrav", "innsyn blir gitt"). At and above AUTO_THRESHOLD the request
# is detected; between POSSIBLE_THRESHOLD and it, it is flagged for a person as a possible request rather
# than dropped (a missed request breaks offl. § 29 (1) and § 32 (1)).

AUTO_THRESHOLD = 1.0
POSSIBLE_THRESHOLD = 0.5

_I = re.IGNORECASE
_SUBJ = r"(?:jeg|eg|vi|me|i)"
_ASK = re.compile(
    rf"\b(?:(?:kan|kunne|får|kunn|må)\s+{_SUBJ}\b|(?:kan|kunne)\s+(?:dere|de|du|ni|kommunen)\b|"
    rf"{_SUBJ}\s+(?:kan|kunne|får)\b|\b(?:ønsker|ønskjer|ynskjer|ber|bed|krever|anmoder|begjærer)\b|"
    rf"{_SUBJ}\s+(?:\w+\s+){{0,2}}?(?:ber|bed|be|ønsker|ønskjer|ynskjer|ønsket|vil|ville|krever|krev|"
    r"anmoder|begjærer|trenger|treng|bestiller|lurer|skal\s+gjerne)\b|"
    r"(?:^|(?<=[\n.!?:;,]\s)|(?<=^\s))(?:ber|be|send|oversend|vennligst|bestill|ønsker|ønskjer|ynskjer|"
    r"vil|kan)\b|\bber\s+(?:\w+\s+){0,2}?om\b|\bbe\s+om\b|\bbegjæres\b|\bvennligst\b|\bgjerne\b|"
    r"\ber\s+det\s+mulig\b|\bhvordan\s+får\b|\bkorleis\s+får\b|\bwould\s+like\b|\brequest\w*\b|"
    r"\bplease\s+send\b)",
    _I | re.M,
)
_DOC_STEMS = (
    "vedtak|kontrakt|avtal|brev|dokument|journalpost|postlist|postjournal|referat|rapport|notat|protokoll|"
    "tegning|korrespondans|e-post|epost|fakturaer|fakturaene|fakturaane|anbudsdokument|anbud|evaluering|utredning|uttalels|høringssvar|"
    "sakspapir|saksfremlegg|saksframlegg|saksdokument|vedlegg|attest|ferdigattest|lydopptak|budsjettforslag|"
    "klag|planskildring|analys|oversikt|grunnlagsdata|møtebok|journal|skjøt|contract|report|document"
)
_DOC = re.compile(
    rf"(?<![\wæøå-])(?:[\wæøå]*?(?:{_DOC_STEMS})(?:e|en|et|er|ene|a|ar|ane|na|ne|s|aer|aen|aene)?|sak|saka|saken|saker|"
    r"sakene|saki|saksnr\.?|\d{2,4}/\d{1,6}(?:-\d{1,4})?)(?![\wæøå-])",
    _I,
)
_NOT_DOC = frozenset(("timeavtale", "timeavtalen", "samværsavtale", "samværsavtalen"))
_DET = r"(?:(?:en|ein|et|eit|alle|de|dei|den|det|hele|heile|selve|dette|disse|ny|nytt|kopi\s+av)\s+)*"
_ACCESS = re.compile(
    r"\b(?:tilsendt|tilsend|utlever\w*|oversend\w*|kopi|kopien|kopiar|kopier|se(?!\s+på)|sjå(?!\s+på)|lese|"
    r"lesa|tilgang|innsyn|dokumentinnsyn|partsinnsyn|bestille|bestiller|send\s+(?:meg|oss)|sende\s+(?:meg|"
    r"oss|den|det|han|ho|dei|dem|dette)|skicka|copies|copy|access)\b"
    # "få notatet", "ber om sakspapirene", "ber i tillegg om vedlegget": the document is the object
    rf"|\b(?:få|ber\s+(?:\w+\s+){{0,2}}?om|be\s+om|bed\s+om|anmoder\s+om)\s+(?:å\s+få\s+)?{_DET}(?={_DOC.pattern})",
    _I,
)
_GIVING = re.compile(
    r"\b(?:vedlagt|vedlegges|her\s+er|her\s+kommer|her\s+følger|følger\s+vedlagt|som\s+avtalt|"
    r"til\s+orientering|dere\s+ba\s+om|de\s+bad\s+om|du\s+ba\s+om|kommunen\s+ba\s+om)\b",
    _I,
)
_ANSWERING = re.compile(
    r"\b(?:viser\s+til\s+(?:kommunens|kommunen\s+sitt|dykkar|deres|ditt|din|vårt|vår)\b|svar\s+på\s+"
    r"(?:ditt\s+|dykkar\s+|vårt\s+)?(?:innsynskrav|krav\s+om\s+innsyn|begjæring)|"
    r"(?:ditt|dykkar|vårt|kommunens)\s+(?:innsynskrav\w*|krav\s+om\s+innsyn|begjæring\w*|førespurnad\w*)|"
    r"innsyn\s+(?:blir|vert|er)\s+(?:gitt|gjeve|avslått)|innsyn\s+avslås|gir\s+(?:delvis\s+)?innsyn|"
    r"avslår\s+\w+\s+(?:innsynskrav|krav)|innsynskravet\s+du\s+sendte|er\s+registrert|kvittering)",
    _I,
)
_TOPIC = re.compile(
    r"\b(?:kurs\w*|webinar\w*|seminar\w*|konferans\w*|meld\s+deg\s+på|påmeld\w*|nyhetsbrev\w*|"
    r"program(?:met)?|sjekkliste|veileder\w*|årsmelding\w*|rutine\w*|opplæring\w*|statistikk\w*)\b",
    _I,
)
_PHRASE = re.compile(
    r"\b(?:innsyns(?:krav|begjæring|begjering)\w*|(?:krav|begjæring|begjering|anmodning|oppmoding|"
    r"forespørsel|førespurnad|søknad)\s+om\s+(?:dokument)?innsyn|(?:ber|be|krever|krev|ønsker|ønskjer)\s+"
    r"(?:\w+\s+){0,2}?(?:om\s+)?innsyn)\b",
    _I,
)
# the standard closing of a request: "Dersom innsyn (helt eller delvis) avslås, ber jeg om hjemmelen"
_CLOSING = re.compile(r"\b(?:dersom|om|viss|hvis)\s+innsyn\b[^.?!]{0,40}?\bavsl(?:ag|å|ås|ått|es)\w*", _I)
_REQUEST_TITLE = re.compile(
    r"(?:re:\s*|sv:\s*)?(?:krav|begjæring|begjering|anmodning|oppmoding|forespørsel|førespurnad)\s+om\s+"
    r"(?:dokument)?innsyn(?:\s+(?:i|etter|jf\.?)\b.*)?|innsyn(?:skrav|sbegjæring)?(?:\s+(?:i|etter)\b.*)?",
    _I,
)
_LAW = re.compile(r"\boffentle(?:g|ga)lov(?:a|en)\b|\boffl\.?\s*§|\bforvaltningsloven\s+§\s*18\b", _I)
_JOURNAL = re.compile(r"\b(?:postlist\w*|postjournal\w*|offentlig journal|offentleg journal|einnsyn)\b", _I)
_ORDER = re.compile(
    r"\b(?:saksnr|saksnummer|dokumentnr|dok\.nr|dokumentnummer|bestiller|bestillar|ordrenummer)\b", _I
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*", re.M)


@dataclass
class InnsynDetection:
    detected: bool
    score: float
    via_einnsyn: bool
    evidence: list[dict] = field(default_factory=list)  # {"rule", "start", "end", "text", "weight"}
    #: below the automatic threshold but enough that a person should look: flagged, never dropped
    possible: bool = False
    raw_score: float = 0.0

    @property
    def flagged(self) -> bool:
        return self.detected or self.possible


def _doc_hits(sentence: str, offset: int) -> list[re.Match[str]]:
    return [m for m in _DOC.finditer(sentence) if m.group().lower() not in _NOT_DOC]


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip(" >").lower() if "@" in address else ""


def detect(
    text: str,
    sender_address: str = "",
    *,
    headers: dict[str, str] | None = None,
    own_domains: tuple[str, ...] = (),
    subject: str = "",
) -> InnsynDetection:
    """Score ``text`` (subject and body) as an innsyn request. ``headers`` (lower-cased names) and
    ``own_domains`` (the kommune's mail domains) let the headers weigh in; see the module comment."""
    headers = headers or {}
    evidence: list[dict] = []

    def add(rule: str, weight: float, start: int = -1, end: int = -1, what: str = "") -> None:
        evidence.append({"rule": rule, "start": start, "end": end, "text": what, "weight": weight})

    # sentence by sentence: ask + access + document
    best, prev_doc = 0.0, None
    for sm in _SENTENCE.finditer(text):
        sent, off = sm.group(), sm.start()
        giving = _GIVING.search(sent)
        ask, access, docs = _ASK.search(sent), _ACCESS.search(sent), _doc_hits(sent, off)
        phrase = _PHRASE.search(sent)
        if giving:
            prev_doc = None
            continue
        if ask and (access or phrase) and (docs or phrase):
            what = docs[0] if docs else phrase
            w = 1.0
            if w > best:
                best = w
                hits = [("ask", ask), ("access", access or phrase), ("document", what)]
                found = [(r, h.start() + off, h.end() + off, h.group()) for r, h in hits]
        elif ask and access and prev_doc is not None and 0.7 > best:
            best = 0.7
            found = [
                ("ask", ask.start() + off, ask.end() + off, ask.group()),
                ("access", access.start() + off, access.end() + off, access.group()),
                prev_doc,
            ]
        elif phrase and docs and 0.8 > best:
            best = 0.8
            found = [
                ("phrase", phrase.start() + off, phrase.end() + off, phrase.group()),
                ("document", docs[0].start() + off, docs[0].end() + off, docs[0].group()),
            ]
        elif phrase and 0.4 > best:
            best = 0.4
            found = [("phrase", phrase.start() + off, phrase.end() + off, phrase.group())]
        if docs:
            d = docs[0]
            prev_doc = ("document", d.start() + off, d.end() + off, d.group())
    closing = _CLOSING.search(text)
    if closing and best < 1.0:
        best = 1.0
        found = [("closing", closing.start(), closing.end(), closing.group())]
    score = best
    if best:
        for rule, s, e, t in found:
            add(rule, round(best / len(found), 3), s, e, t)
    sender_domain = _domain(sender_address)
    einnsyn_sender = "einnsyn" in sender_domain
    einnsyn_forward = bool(re.search(r"@einnsyn\.no|\beinnsyn\b", text, _I)) and bool(_ORDER.search(text))
    if (einnsyn_sender or einnsyn_forward) and re.search(r"innsynskrav", text, _I) and _ORDER.search(text):
        score += 1.2
        m = _ORDER.search(text)
        add("einnsyn_order", 1.2, m.start(), m.end(), m.group())
    elif einnsyn_sender:
        score += 0.3
        add("sender_einnsyn", 0.3, what=sender_address)
    title = (subject or text.split("\n", 1)[0]).strip(" :.!")
    if _REQUEST_TITLE.fullmatch(title):
        # the subject names the message a request ("Krav om innsyn", "Innsynskrav", "Innsyn i sak 25/77")
        score += 0.6
        add("subject", 0.6, what=title)
    for rule, rx, w in (("law", _LAW, 0.3), ("journal", _JOURNAL, 0.3)):
        m = rx.search(text)
        if m and score > 0:
            score += w
            add(rule, w, m.start(), m.end(), m.group())
    own = tuple(d.lower() for d in own_domains if d)
    if sender_domain and own and not any(sender_domain == d or sender_domain.endswith("." + d) for d in own):
        if score > 0:
            score += 0.1
            add("sender_outside", 0.1, what=sender_address)
    # what lowers it
    unsubscribe = headers.get("list-unsubscribe") or headers.get("list-id")
    bulk = headers.get("precedence", "").lower() in ("bulk", "list", "junk")
    if unsubscribe or bulk:
        add("newsletter_header", -score, what="List-Unsubscribe" if unsubscribe else "Precedence: bulk")
        score = 0.0
    auto = headers.get("auto-submitted", "").lower()
    if auto and auto != "no":
        score -= 0.8
        add("auto_submitted", -0.8, what=f"Auto-Submitted: {auto}")
    refs = " ".join(headers.get(h, "") for h in ("in-reply-to", "references"))
    if own and refs and any(re.search(rf"@(?:[\w.-]+\.)?{re.escape(d)}\b", refs, _I) for d in own):
        w = 0.3 if best >= 1.0 else 0.6
        score -= w
        add("reply_to_own_message", -w, what=refs.strip()[:120])
    answering = _ANSWERING.search(text)
    if answering and best < 1.0:
        score -= 0.8
        add("answers_a_request", -0.8, answering.start(), answering.end(), answering.group())
    topic = _TOPIC.search(text)
    if topic and best < 1.0:
        score -= 0.4
        add("about_innsyn", -0.4, topic.start(), topic.end(), topic.group())
    via = einnsyn_sender or einnsyn_forward
    detected = score >= AUTO_THRESHOLD
    return InnsynDetection(
        detected=detected,
        score=round(max(0.0, min(score, 3.0)) / 3.0 if detected else max(0.0, min(score, 0.99)) / 3.0, 4),
        via_einnsyn=via and detected,
        evidence=evidence,
        possible=not detected and score >= POSSIBLE_THRESHOLD,
        raw_score=round(score, 3),
    )


def detect_message(m: Any, own_domains: tuple[str, ...] = ()) -> InnsynDetection:
    """``detect`` on a parsed message: subject and body, its headers, and the kommune's own domains
    (given, else the domains it was addressed to: a reply naming that domain answers the kommune)."""
    own = own_domains or tuple(dict.fromkeys(_domain(a) for a in [*m.to, *m.cc] if _domain(a)))
    text = f"{m.subject}\n\n{m.body}" if m.subject else m.body
    return detect(text, m.sender_address, headers=m.headers, own_domains=own, subject=m.subject)


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
