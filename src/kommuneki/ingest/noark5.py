"""The one Noark 5 (v5.0) arkivstruktur reader: ``arkivstruktur.xml`` of an arkivuttrekk, streamed.

Every service that takes in an arkivuttrekk reads it here (postmottak trains on its incoming
journalposts, saksinnsikt indexes its documents); each keeps only its own choices (which journalposts,
which unit, which file).

What a :class:`Registrering` holds: systemID, journalpost number (journalaar/journalsekvensnummer, else
registreringsID), journalposttype and -status, the dates (journaldato, dokumentetsDato, mottattDato,
sendtDato), tittel and offentligTittel, the parties (korrespondansepart and part), administrativEnhet,
virksomhetsspesifikkeMetadata (as a flat ``{element: text}``), the skjerming in force, the enclosing
mappes nearest first (saksnummer, sakstittel, administrativ enhet …), the nearest klasse
(klassifikasjon) and its dokumentbeskrivelser with their dokumentobjekt file references, resolved inside
the extract's folder (a reference that points outside it, ``..`` or an absolute path elsewhere, resolves
to ``None``; nothing is opened here).

Streaming (``iterparse``): each registrering is read when it ends and then dropped, so the size of the
extract does not matter. In the schema a saksmappe's own fields (saksaar, sakssekvensnummer,
administrativEnhet) come *after* its registreringer, so the registreringer of a mappe are handed out
when the outermost mappe ends; a mappe's are small (text only, no file contents).

Skjerming is inherited arkivdel → klasse → mappe → registrering → dokumentbeskrivelse (M500 «Arv»): the
nearest level that sets a tilgangsrestriksjon wins; ``Registrering.skjerming`` is the one in force for
the registrering, :meth:`Dokument.skjerming_i_kraft` for a document.

Safety: a DOCTYPE or ENTITY declaration is refused before the XML is parsed (no entity expansion, no
external entity: billion laughs and XXE are impossible), whatever the encoding and however long the
comments before it; XML that is not well-formed or is not an arkivstruktur is refused. All refusals are
:class:`~kommuneki.core.errors.InvalidInput` with a Norwegian message naming the file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..core.errors import InvalidInput

NOARK_NS = "http://www.arkivverket.no/standarder/noark5/arkivstruktur"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_N = f"{{{NOARK_NS}}}"
LEVELS = ("arkivdel", "klasse", "mappe", "registrering", "dokumentbeskrivelse")
#: variantformat values of a dokumentobjekt that is a version with parts skjermet
PUBLIC_VARIANTS = ("offentlig", "sladdet", "skjermet")


@dataclass(frozen=True)
class Skjerming:
    tilgangsrestriksjon: str
    skjermingshjemmel: str
    metadata: list[str]  # the fields hidden (skjermingMetadata): tittel, korrespondansepart …
    dokument: str  # skjermingDokument: «Hele dokumentet», «Delvis» …
    level: str  # where it was set: arkivdel, klasse, mappe, registrering or dokumentbeskrivelse


@dataclass(frozen=True)
class Part:
    navn: str
    type: str  # korrespondanseparttype («Avsender», «EA» …) or partRolle
    element: str  # korrespondansepart or part
    epostadresse: str = ""
    administrativ_enhet: str = ""


@dataclass(frozen=True)
class Dokumentobjekt:
    referanse: str  # referanseDokumentfil as written
    base: Path = field(repr=False)  # the extract's folder (resolved)
    variantformat: str = ""
    format: str = ""

    @property
    def path(self) -> Path | None:
        """The file, resolved (symbolic links followed) inside the extract's folder; None when the
        reference points outside it (``..``, an absolute path elsewhere, a link out). Resolved when
        asked for, not while reading: most readers want one file of a registrering, if any."""
        return _inside(self.base, self.referanse)

    @property
    def is_public_variant(self) -> bool:
        """A variant with parts skjermet («Offentlig variant», «Sladdet» …)."""
        variant = self.variantformat.casefold()
        return any(word in variant for word in PUBLIC_VARIANTS)


@dataclass
class Dokument:
    system_id: str
    dokumenttype: str
    tittel: str
    tilknyttet: str  # tilknyttetRegistreringSom: «Hoveddokument», «Vedlegg» …
    dokumentnummer: str
    skjerming: Skjerming | None  # set on the dokumentbeskrivelse itself
    objekter: list[Dokumentobjekt] = field(default_factory=list)
    registrering: Registrering | None = field(default=None, repr=False)

    @property
    def is_hoveddokument(self) -> bool:
        return self.tilknyttet.casefold() in ("hoveddokument", "h")

    def skjerming_i_kraft(self) -> Skjerming | None:
        """The document's own skjerming, else the registrering's (inherited from above)."""
        return self.skjerming or (self.registrering.skjerming if self.registrering else None)


@dataclass
class Mappe:
    system_id: str = ""
    mappe_id: str = ""
    type: str = ""  # xsi:type: saksmappe, moetemappe …
    tittel: str = ""
    offentlig_tittel: str = ""
    saksaar: str = ""
    sakssekvensnummer: str = ""
    administrativ_enhet: str = ""
    saksansvarlig: str = ""
    saksdato: date | None = None
    virksomhetsspesifikke: dict[str, str] = field(default_factory=dict)
    skjerming: Skjerming | None = None

    @property
    def saksnummer(self) -> str:
        """saksaar/sakssekvensnummer, else mappeID."""
        if self.saksaar and self.sakssekvensnummer:
            return f"{self.saksaar}/{self.sakssekvensnummer}"
        return self.mappe_id


@dataclass
class Registrering:
    system_id: str
    type: str  # xsi:type: journalpost, arkivnotat … (empty when not given)
    journalaar: str
    journalsekvensnummer: str
    registrerings_id: str
    journalposttype: str
    journalstatus: str
    journaldato: date | None
    dokumentets_dato: date | None
    mottatt_dato: date | None
    sendt_dato: date | None
    tittel: str
    offentlig_tittel: str
    administrativ_enhet: str  # on the registrering itself (some exports write it there)
    parter: list[Part]
    virksomhetsspesifikke: dict[str, str]
    skjerming: Skjerming | None  # in force: its own, else inherited (mappe, klasse, arkivdel)
    dokumenter: list[Dokument]
    mapper: list[Mappe] = field(default_factory=list)  # enclosing mappes, nearest first
    klasse_id: str = ""  # the nearest enclosing klasse's klasseID
    klasse_tittel: str = ""
    arkivdel: str = ""  # the arkivdel's tittel

    @property
    def journalpost(self) -> str:
        """journalaar/journalsekvensnummer, else registreringsID; empty when neither is given."""
        if self.journalaar and self.journalsekvensnummer:
            return f"{self.journalaar}/{self.journalsekvensnummer}"
        return self.registrerings_id

    @property
    def label(self) -> str:
        """How messages name it: the journalpost number, else systemID, else «uten nummer»."""
        return self.journalpost or self.system_id or "uten nummer"

    @property
    def saksnummer(self) -> str:
        """Of the nearest mappe with saksaar/sakssekvensnummer, else the nearest mappe's mappeID."""
        for mappe in self.mapper:
            if mappe.saksaar and mappe.sakssekvensnummer:
                return mappe.saksnummer
        return self.mapper[0].mappe_id if self.mapper else ""

    def from_mappe(self, attribute: str) -> str:
        """The nearest enclosing mappe's non-empty ``attribute`` (tittel, administrativ_enhet …)."""
        return next((v for v in (getattr(m, attribute) for m in self.mapper) if v), "")

    def hoveddokument(self) -> Dokument | None:
        """The dokumentbeskrivelse tilknyttet as Hoveddokument, else the first."""
        return next(
            (d for d in self.dokumenter if d.is_hoveddokument),
            self.dokumenter[0] if self.dokumenter else None,
        )

    def parter_av(self, *types: str) -> list[Part]:
        """Parties whose type is one of ``types`` (compared without case: «Avsender», «EA»)."""
        wanted = {t.casefold() for t in types}
        return [p for p in self.parter if p.type.casefold() in wanted]


# --- reading ---------------------------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _text(el: ET.Element | None, name: str) -> str:
    if el is None:
        return ""
    child = el.find(_N + name)
    return _clean(child.text) if child is not None else ""


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _skjerming(el: ET.Element, level: str) -> Skjerming | None:
    found = el.find(_N + "skjerming")
    return None if found is None else _skjerming_of(found, level)


def _skjerming_of(found: ET.Element, level: str) -> Skjerming | None:
    code = _text(found, "tilgangsrestriksjon")
    if not code:
        return None
    hidden = [_clean(m.text) for m in found.findall(_N + "skjermingMetadata") if _clean(m.text)]
    return Skjerming(
        code, _text(found, "skjermingshjemmel"), hidden, _text(found, "skjermingDokument"), level
    )


def _virksomhetsspesifikke(el: ET.Element) -> dict[str, str]:
    """virksomhetsspesifikkeMetadata (any content, any namespace) as ``{local element name: text}``;
    a name met twice keeps its first value."""
    found = el.find(_N + "virksomhetsspesifikkeMetadata")
    return {} if found is None else _flatten(found)


def _flatten(found: ET.Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for child in found.iter():
        if child is found or len(child):
            continue
        value = _clean(child.text)
        if value:
            out.setdefault(_local(child.tag), value)
    return out


def _parter(el: ET.Element) -> list[Part]:
    out = [
        Part(
            navn=_text(p, "korrespondansepartNavn"),
            type=_text(p, "korrespondanseparttype"),
            element="korrespondansepart",
            epostadresse=_text(p, "epostadresse"),
            administrativ_enhet=_text(p, "administrativEnhet"),
        )
        for p in el.findall(_N + "korrespondansepart")
    ]
    out += [
        Part(
            navn=_text(p, "partNavn"),
            type=_text(p, "partRolle"),
            element="part",
            epostadresse=_text(p, "epostadresse"),
        )
        for p in el.findall(_N + "part")
    ]
    return out


def _inside(base: Path, reference: str) -> Path | None:
    """``reference`` under ``base``; None when it points outside (``..``, an absolute path elsewhere)."""
    if not reference or "\x00" in reference:
        return None
    path = (base / reference.replace("\\", "/")).resolve()
    return path if path.is_relative_to(base) else None


def _dokument(el: ET.Element, base: Path) -> Dokument:
    return Dokument(
        system_id=_text(el, "systemID"),
        dokumenttype=_text(el, "dokumenttype"),
        tittel=_text(el, "tittel"),
        tilknyttet=_text(el, "tilknyttetRegistreringSom"),
        dokumentnummer=_text(el, "dokumentnummer"),
        skjerming=_skjerming(el, "dokumentbeskrivelse"),
        objekter=[
            Dokumentobjekt(
                referanse=_text(obj, "referanseDokumentfil"),
                base=base,
                variantformat=_text(obj, "variantformat"),
                format=_text(obj, "format"),
            )
            for obj in el.findall(_N + "dokumentobjekt")
        ],
    )


def _registrering(el: ET.Element, base: Path) -> Registrering:
    reg = Registrering(
        system_id=_text(el, "systemID"),
        type=_xsi_type(el),
        journalaar=_text(el, "journalaar"),
        journalsekvensnummer=_text(el, "journalsekvensnummer"),
        registrerings_id=_text(el, "registreringsID"),
        journalposttype=_text(el, "journalposttype"),
        journalstatus=_text(el, "journalstatus"),
        journaldato=_date(_text(el, "journaldato")),
        dokumentets_dato=_date(_text(el, "dokumentetsDato")),
        mottatt_dato=_date(_text(el, "mottattDato")),
        sendt_dato=_date(_text(el, "sendtDato")),
        tittel=_text(el, "tittel"),
        offentlig_tittel=_text(el, "offentligTittel"),
        administrativ_enhet=_text(el, "administrativEnhet"),
        parter=_parter(el),
        virksomhetsspesifikke=_virksomhetsspesifikke(el),
        skjerming=_skjerming(el, "registrering"),
        dokumenter=[_dokument(d, base) for d in el.findall(_N + "dokumentbeskrivelse")],
    )
    for doc in reg.dokumenter:
        doc.registrering = reg
    return reg


# A mappe's own fields, read from its direct children as they end (they follow its registreringer).
_MAPPE_FIELDS = {
    "systemID": "system_id",
    "mappeID": "mappe_id",
    "tittel": "tittel",
    "offentligTittel": "offentlig_tittel",
    "saksaar": "saksaar",
    "sakssekvensnummer": "sakssekvensnummer",
    "administrativEnhet": "administrativ_enhet",
    "saksansvarlig": "saksansvarlig",
}


@dataclass
class _Level:
    """One open element of the hierarchy (arkivdel, klasse or mappe) while it is being read."""

    tag: str
    element: ET.Element
    depth: int
    mappe: Mappe | None = None
    waiting: list[Registrering] = field(default_factory=list)  # registreringer of a mappe, until it ends
    klasse_id: str = ""
    tittel: str = ""
    skjerming: Skjerming | None = None


def check_xml(path: Path) -> None:
    """Refuse a DOCTYPE or ENTITY declaration (entity expansion, external entities) and XML that is not
    well-formed, before anything is read from it: one pass of the XML parser alone (no tree, no
    handlers but these), in any encoding and after comments of any length. So a reader never hands
    out half an extract that breaks further on."""
    from xml.parsers import expat

    class _Doctype(Exception):
        pass

    def doctype(*_args) -> None:
        raise _Doctype

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Doctype:
        raise InvalidInput(
            f"{path.name}: XML-filen har en DOCTYPE-deklarasjon. Et Noark 5-uttrekk har ingen, "
            "og slike filer leses ikke av sikkerhetshensyn."
        ) from None
    except expat.ExpatError as exc:
        what = f"{expat.ErrorString(exc.code)}: linje {exc.lineno}, kolonne {exc.offset}"
        raise InvalidInput(f"{path.name}: ikke gyldig XML ({what}).") from None


def arkivstruktur_path(path: Path) -> Path:
    """``path`` itself, or ``arkivstruktur.xml`` in it when it is a folder."""
    return path / "arkivstruktur.xml" if path.is_dir() else path


def read(path: Path) -> Iterator[Registrering]:
    """Every registrering of an arkivstruktur.xml (``path``: the file or the folder holding it), in
    document order within a mappe. Raises :class:`InvalidInput` for a file that cannot be read, a
    DOCTYPE, XML that is not well-formed, or XML that is not an arkivstruktur; a consumer that wants all
    or nothing uses :func:`read_all`."""
    xml_path = arkivstruktur_path(Path(path))
    if not xml_path.is_file():
        raise InvalidInput(f"{xml_path.name}: filen finnes ikke eller kan ikke leses.")
    check_xml(xml_path)
    base = xml_path.resolve().parent
    stack: list[_Level] = []
    depth = 0  # how deep the element just started or ended lies (the root is 1)
    try:
        for event, el in ET.iterparse(xml_path, events=("start", "end")):
            if event == "start":
                depth += 1
                if depth == 1 and el.tag != _N + "arkiv":
                    raise InvalidInput(
                        f"{xml_path.name}: ikke et Noark 5-arkivuttrekk (arkivstruktur.xml med "
                        f"rotelementet arkiv i navnerommet {NOARK_NS})."
                    )
                tag = _local(el.tag) if el.tag.startswith(_N) else ""
                if tag in ("arkivdel", "klasse", "mappe"):
                    mappe = Mappe(type=_xsi_type(el)) if tag == "mappe" else None
                    stack.append(_Level(tag, el, depth, mappe=mappe))
                continue
            ended_at, depth = depth, depth - 1
            level = stack[-1] if stack else None
            if level is not None and el is level.element:
                stack.pop()
                yield from _close(level, stack)
                el.clear()
                if stack and ended_at == stack[-1].depth + 1:
                    stack[-1].element.remove(el)
                continue
            direct = level is not None and ended_at == level.depth + 1
            if el.tag == _N + "registrering":
                reg = _registrering(el, base)
                el.clear()
                if direct:
                    level.element.remove(el)
                yield from _place(reg, stack)
            elif direct and el.tag.startswith(_N):
                _direct_child(level, _local(el.tag), el)
    except ET.ParseError as exc:
        raise InvalidInput(f"{xml_path.name}: ikke gyldig XML ({exc}).") from None


def read_all(path: Path) -> list[Registrering]:
    """All registreringer, or the Norwegian :class:`InvalidInput` and none (an extract that breaks half
    way is refused whole, so importing it again when fixed takes in nothing twice)."""
    return list(read(path))


def _xsi_type(el: ET.Element) -> str:
    return (el.get(XSI_TYPE) or "").rsplit(":", 1)[-1]


def _direct_child(level: _Level, tag: str, el: ET.Element) -> None:
    """A field of an open arkivdel, klasse or mappe, read when it ends."""
    if tag == "skjerming":
        level.skjerming = _skjerming_of(el, level.tag)
        if level.mappe is not None:
            level.mappe.skjerming = level.skjerming
        return
    if level.mappe is not None:
        if tag in _MAPPE_FIELDS:
            setattr(level.mappe, _MAPPE_FIELDS[tag], _clean(el.text))
        elif tag == "saksdato":
            level.mappe.saksdato = _date(_clean(el.text))
        elif tag == "virksomhetsspesifikkeMetadata":
            level.mappe.virksomhetsspesifikke = _flatten(el)
    elif tag == "klasseID" and level.tag == "klasse":
        level.klasse_id = _clean(el.text)
    elif tag == "tittel":
        level.tittel = _clean(el.text)


def _place(reg: Registrering, stack: list[_Level]) -> Iterator[Registrering]:
    """A registrering waits for its mappe to end; one directly under a klasse or arkivdel is done."""
    mappe = next((level for level in reversed(stack) if level.mappe is not None), None)
    if mappe is not None:
        mappe.waiting.append(reg)
    else:
        yield _finish(reg, stack)


def _close(level: _Level, stack: list[_Level]) -> Iterator[Registrering]:
    if level.mappe is None:
        return
    for reg in level.waiting:
        reg.mapper.append(level.mappe)
        if reg.skjerming is None and level.mappe.skjerming is not None:
            reg.skjerming = level.mappe.skjerming
    outer = next((lv for lv in reversed(stack) if lv.mappe is not None), None)
    if outer is not None:
        outer.waiting += level.waiting
    else:
        for reg in level.waiting:
            yield _finish(reg, stack)
    level.waiting = []


def _finish(reg: Registrering, stack: list[_Level]) -> Registrering:
    """What the enclosing klasse and arkivdel (read before their mappes, as the schema orders them) add."""
    for level in reversed(stack):
        if level.tag == "klasse" and not reg.klasse_id:
            reg.klasse_id, reg.klasse_tittel = level.klasse_id, level.tittel
        elif level.tag == "arkivdel" and not reg.arkivdel:
            reg.arkivdel = level.tittel
        if reg.skjerming is None and level.mappe is None and level.skjerming is not None:
            reg.skjerming = level.skjerming
    return reg
