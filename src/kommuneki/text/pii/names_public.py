"""Person names, the document-level public signals (issue 13) that run after the model: a name that is
«alminnelig kjent» (fvl. § 13 a nr. 3) or said in a public role elsewhere in the same document.

* **Well-known public persons**: a full name on the shipped list (``data/public_persons.txt``, built from
  NorNE train by ``scripts/build_public_lists.py``) or on the kommune's own list of names it publishes
  itself (``public_names``: its politicians, its staff in the postliste).
* **Statements to the press**: a person quoted as saying something to a named news medium ("sier Jensen
  til NRK", "Johnson skriver i en uttalelse til NRK"): what they told the press they made public
  themselves.
* **Bylines**: the name of a photographer or writer credited as such ("Foto: Kari Berg").
* **The same person**: a later mention of a person named with a public role ("Janne Kroglund,
  vaktleder …" … "sier Kroglund") is that person, with that role.

Only the name becomes public this way; what the document says of the person's own health, family or
other personal circumstances is still judged by the engine's rules. Part of
:mod:`kommuneki.text.pii.names`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from .finding import Finding
from .names_lexicon import public_persons

#: Norwegian and international news media a person may speak to.
MEDIA = (
    r"NRK|NTB|TV ?2|VG|Dagbladet|Aftenposten|Dagens Næringsliv|DN|E24|Nettavisen|Klassekampen|Vårt Land|"
    r"Dagsavisen|Bergens Tidende|BT|Adresseavisen|Adressa|Stavanger Aftenblad|Aftenbladet|Fædrelandsvennen|"
    r"iTromsø|Nordlys|Medier24|Journalisten|ABC Nyheter|Avisa Nordland|Romerikes Blad|Budstikka|Firda|"
    r"Sunnmørsposten|Tidens Krav|Varden|Telemarksavisa|Drammens Tidende|Hamar Arbeiderblad|"
    r"Oppland Arbeiderblad|"
    r"Harstad Tidende|Finnmark Dagblad|Altaposten|Dagens Medisin|Finansavisen|Morgenbladet|Bistandsaktuelt|"
    r"Rett24|Khrono|Uniforum|P4|Radio Norge|BBC|CNN|Reuters|AFP|AP|Bloomberg|The Guardian|The New York Times|"
    r"Washington Post|Le Monde|Der Spiegel|Politiken|Expressen|Aftonbladet|Dagens Nyheter|SVT|DR|YLE|"
    r"lokalavisen|lokalavisa|avisen|avisa|pressen|media|mediene|journalisten"
)
_SAY = (
    r"sier|sa|seier|uttaler|uttalte|uttalar|skriver|skrev|opplyser|opplyste|opplyser|forteller|fortalte|"
    r"fortel|fortalde|bekrefter|bekreftet|bekreftar|stadfester|understreker"
)
#: "sier Jensen til NRK": the verb, the name, then "til <medium>"
_AFTER_NAME = re.compile(rf"^[\s,]*(?:\(\d{{1,3}}\)\s*)?til\s+(?:{MEDIA})\b")
_BEFORE_NAME = re.compile(rf"\b(?:{_SAY})\s+$", re.IGNORECASE)
#: "Johnson skriver i en uttalelse til NRK", "Kari Berg sier til VG at"
_NAME_THEN_SAY = re.compile(
    rf"^\s*(?:\(\d{{1,3}}\)\s*)?(?:{_SAY})\b[^.!?\n]{{0,40}}?\btil\s+(?:{MEDIA})\b", re.IGNORECASE
)
_MEDIA_CASE = re.compile(rf"\btil\s+(?:{MEDIA})\b")
_BYLINE = re.compile(r"\b(?:Foto|Fotograf|Illustrasjon|Grafikk|Tekst|Video|Kilde)\s*:\s*$")


def _norm(name: str) -> str:
    name = " ".join(name.split())
    return name[:-1] if len(name) > 3 and name.endswith("s") and not name.endswith("ss") else name


def _to_press(text: str, f: Finding) -> bool:
    after = text[f.end : f.end + 120]
    if _BEFORE_NAME.search(text[max(0, f.start - 30) : f.start]) and _AFTER_NAME.match(after):
        return True
    m = _NAME_THEN_SAY.match(after)
    # the medium's name keeps its capitals ("til NRK", not "til nrk")
    return bool(m) and bool(_MEDIA_CASE.search(m.group()))


def _public(f: Finding, source: str, reason: str, **extra: object) -> Finding:
    expl = {**f.explanation, "public_role_source": source, "public_reason": reason, **extra}
    return replace(f, public_role=True, explanation=expl)


def mark_public(text: str, found: list[Finding], public_names: Iterable[str] = ()) -> list[Finding]:
    """``found`` (PERSON findings of ``text``) with the document-level public signals set."""
    shipped = public_persons()
    own = {_norm(n) for n in public_names if n and n.strip()}
    out = list(found)
    # surnames that a full name in this document gives to someone else ("Kari Breivik" … "Breivik")
    taken = {w for f in out for w in _norm(f.text).split()[1:] if " " in _norm(f.text)}
    for i, f in enumerate(out):
        if f.public_role:
            continue
        name = _norm(f.text)
        plain = " ".join(f.text.split())
        if name in own or plain in own:
            out[i] = _public(
                f,
                "kommune_list",
                f"«{name}» står på kommunens liste over navn den selv offentliggjør",
            )
        elif (name in shipped or plain in shipped) and (" " in name or name not in taken):
            out[i] = _public(
                f,
                "well_known",
                f"«{name}» er en kjent offentlig person (alminnelig kjent, fvl. § 13 a nr. 3)",
            )
        elif _to_press(text, f):
            out[i] = _public(f, "press", "Personen uttaler seg til pressen under eget navn")
        elif _BYLINE.search(text[max(0, f.start - 20) : f.start]):
            out[i] = _public(f, "byline", "Navnet står som fotograf eller forfatter (byline)")
    # a later mention of the same person: its tokens are part of a public person's name
    public = [f for f in out if f.public_role]
    for i, f in enumerate(out):
        if f.public_role or not public:
            continue
        tokens = set(_norm(f.text).split())
        for p in public:
            ptoks = set(_norm(p.text).split())
            if len(ptoks) >= 2 and tokens and tokens <= ptoks:
                out[i] = _public(
                    f,
                    "same_person",
                    f"Samme person som «{p.text}», nevnt i en offentlig rolle i dokumentet",
                    same_person_as=p.text,
                    public_via=p.explanation.get("public_role_source") or "role_word",
                )
                break
    return out
