"""Reading a Noark 5 (v5.0) arkivuttrekk for saksinnsikt: every dokumentbeskrivelse with its file and the
metadata a case officer searches by and the access rules that apply to it.

Pure: a path in, records and Norwegian problems out; no database. What is kept per document: saksnummer
(saksaar/sakssekvensnummer of the nearest saksmappe, else mappeID), journalpost (journalaar/
journalsekvensnummer), dokumenttype, dates, parties (korrespondansepart), klassifikasjon (klasseID),
administrativ enhet, tittel and offentligTittel, and the skjerming in force.

Skjerming is inherited arkivdel → klasse → mappe → registrering → dokumentbeskrivelse (M500 «Arv»): the
nearest level that sets one wins. ``skjermingMetadata`` lists the fields hidden from users without the
grant (tittel → they see offentligTittel; korrespondansepart → no parties). ``virksomhetsspesifikkeMetadata``
is read for an outcome (any element named ``utfall`` or ``vedtaksutfall``).

Bad input: a DOCTYPE, XML that is not well-formed, or a file that is not an arkivstruktur is a Norwegian
problem for that part; a missing or unreadable document file is a problem for that document; the rest is
imported. (The Noark reader of postmottak reads incoming journalposts for training; the plugin issue moves
one shared reader into ``ingest/`` — until then this one reads what saksinnsikt needs.)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NOARK_NS = "http://www.arkivverket.no/standarder/noark5/arkivstruktur"
_N = f"{{{NOARK_NS}}}"
DOCUMENT_SUFFIXES = (".txt", ".pdf", ".docx", ".eml", ".msg")
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
LEVELS = ("arkivdel", "klasse", "mappe", "registrering", "dokumentbeskrivelse")


@dataclass
class Skjerming:
    tilgangsrestriksjon: str
    skjermingshjemmel: str
    metadata: list[str]  # field names hidden (skjermingMetadata)
    dokument: str  # skjermingDokument: «Hele dokumentet», «Delvis» …
    level: str  # where it was set


@dataclass
class NoarkDocument:
    external_id: str  # the dokumentbeskrivelse's systemID (or a path-based id)
    file: Path | None
    filename: str | None
    meta: dict[str, Any] = field(default_factory=dict)
    skjerming: Skjerming | None = None
    # a variant with parts skjermet (a dokumentobjekt of variantformat «Offentlig variant»/«Sladdet»)
    public_file: Path | None = None


@dataclass
class NoarkExtract:
    documents: list[NoarkDocument] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _t(el: ET.Element | None, name: str) -> str:
    if el is None:
        return ""
    child = el.find(_N + name)
    return " ".join((child.text or "").split()) if child is not None and child.text else ""


def refuse_doctype(data: bytes) -> bool:
    """True when the XML prolog holds a DOCTYPE or ENTITY declaration (never read: entity expansion)."""
    from xml.parsers import expat

    class _Prolog(Exception):
        pass

    found: list[bool] = []

    def doctype(*_args) -> None:
        found.append(True)
        raise _Prolog

    def root(*_args) -> None:
        raise _Prolog

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = root
    try:
        parser.Parse(data, True)
    except (_Prolog, expat.ExpatError):
        pass
    return bool(found)


def _inside(base: Path, ref: str) -> Path | None:
    p = (base / ref.replace("\\", "/")).resolve()
    return p if p.is_relative_to(base) else None


def _skjerming(el: ET.Element, level: str) -> Skjerming | None:
    s = el.find(_N + "skjerming")
    if s is None:
        return None
    code = _t(s, "tilgangsrestriksjon")
    if not code:
        return None
    hidden = [" ".join((m.text or "").split()) for m in s.findall(_N + "skjermingMetadata") if m.text]
    return Skjerming(code, _t(s, "skjermingshjemmel"), hidden, _t(s, "skjermingDokument"), level)


def _outcome(el: ET.Element) -> str | None:
    vsm = el.find(_N + "virksomhetsspesifikkeMetadata")
    if vsm is None:
        return None
    for child in vsm.iter():
        tag = child.tag.rsplit("}", 1)[-1].casefold()
        if tag in ("utfall", "vedtaksutfall") and child.text and child.text.strip():
            return child.text.strip()
    return None


def read_extract(path: Path) -> NoarkExtract:
    """The documents of one arkivstruktur.xml (``path``: the file, or a folder holding it)."""
    out = NoarkExtract()
    xml_path = path / "arkivstruktur.xml" if path.is_dir() else path
    try:
        data = xml_path.read_bytes()
    except OSError:
        out.problems.append(f"{xml_path.name}: filen finnes ikke eller kan ikke leses.")
        return out
    if refuse_doctype(data):
        out.problems.append(
            f"{xml_path.name}: XML-filen har en DOCTYPE-deklarasjon. Et Noark 5-uttrekk har ingen, og "
            "slike filer leses ikke av sikkerhetshensyn."
        )
        return out
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        out.problems.append(f"{xml_path.name}: ikke gyldig XML ({exc}).")
        return out
    if root.tag != _N + "arkiv":
        out.problems.append(
            f"{xml_path.name}: ikke et Noark 5-arkivuttrekk (rotelementet må være arkiv i navnerommet "
            f"{NOARK_NS})."
        )
        return out
    base = xml_path.resolve().parent
    _walk(root, base, {}, None, out)
    return out


def _walk(el: ET.Element, base: Path, ctx: dict[str, Any], inherited: Skjerming | None, out: NoarkExtract):
    for child in el:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag not in ("arkivdel", "klassifikasjonssystem", "klasse", "mappe", "registrering"):
            continue
        here = dict(ctx)
        skj = _skjerming(child, tag) if tag in LEVELS else None
        if tag == "klasse":
            here["klassifikasjon"] = _t(child, "klasseID") or here.get("klassifikasjon")
        elif tag == "mappe":
            aar, seq = _t(child, "saksaar"), _t(child, "sakssekvensnummer")
            here["saksnummer"] = (
                f"{aar}/{seq}" if aar and seq else _t(child, "mappeID") or here.get("saksnummer")
            )
            here["sakstittel"] = _t(child, "tittel") or here.get("sakstittel")
            here["sakstittel_offentlig"] = _t(child, "offentligTittel") or here.get("sakstittel_offentlig")
            here["unit"] = _t(child, "administrativEnhet") or here.get("unit")
            here["outcome"] = _outcome(child) or here.get("outcome")
        elif tag == "registrering":
            _registrering(child, base, here, skj or inherited, out)
            continue
        _walk(child, base, here, skj or inherited, out)


def _registrering(el: ET.Element, base: Path, ctx: dict[str, Any], inherited: Skjerming | None, out):
    aar, seq = _t(el, "journalaar"), _t(el, "journalsekvensnummer")
    parts = [
        {"navn": _t(p, "korrespondansepartNavn"), "type": _t(p, "korrespondanseparttype")}
        for p in el.findall(_N + "korrespondansepart")
        if _t(p, "korrespondansepartNavn")
    ]
    reg = {
        **{k: v for k, v in ctx.items() if v},
        "journalpost": f"{aar}/{seq}" if aar and seq else _t(el, "registreringsID") or None,
        "journalposttype": _t(el, "journalposttype") or None,
        "journaldato": _t(el, "journaldato") or None,
        "dokumentets_dato": _t(el, "dokumentetsDato") or None,
        "tittel": _t(el, "tittel") or None,
        "offentlig_tittel": _t(el, "offentligTittel") or None,
        "parter": parts,
        "outcome": _outcome(el) or ctx.get("outcome"),
    }
    reg["unit"] = _t(el, "administrativEnhet") or ctx.get("unit")
    label = reg["journalpost"] or _t(el, "systemID") or "uten nummer"
    for doc in el.findall(_N + "dokumentbeskrivelse"):
        skj = _skjerming(doc, "dokumentbeskrivelse") or inherited
        meta = {
            **{k: v for k, v in reg.items() if v},
            "dokumenttype": _t(doc, "dokumenttype") or None,
            "dokument_tittel": _t(doc, "tittel") or None,
            "tilknyttet": _t(doc, "tilknyttetRegistreringSom") or None,
        }
        meta = {k: v for k, v in meta.items() if v}
        ident = _t(doc, "systemID") or f"{label}#{_t(doc, 'dokumentnummer') or len(out.documents) + 1}"
        main: Path | None = None
        public: Path | None = None
        missing: list[str] = []
        for obj in doc.findall(_N + "dokumentobjekt"):
            ref = _t(obj, "referanseDokumentfil")
            p = _inside(base, ref) if ref else None
            if p is None or not p.is_file():
                missing.append(ref or "(uten filreferanse)")
                continue
            variant = _t(obj, "variantformat").casefold()
            if "offentlig" in variant or "sladdet" in variant or "skjermet" in variant:
                public = public or p
            else:
                main = main or p
        if main is None and public is None:
            what = ", ".join(missing) if missing else "ingen dokumentobjekt"
            out.problems.append(
                f"journalpost {label}: dokumentfilen mangler ({what}); dokumentet ble ikke lest."
            )
            continue
        out.documents.append(
            NoarkDocument(
                external_id=f"noark:{ident}",
                file=main or public,
                filename=(main or public).name,
                meta=meta,
                skjerming=skj,
                public_file=public if main is not None else None,
            )
        )
