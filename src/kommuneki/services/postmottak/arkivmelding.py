"""Journalføring: the Fiks Arkiv ``arkivmelding`` (opprett, schema V1) for a message and its
attachments, and a CSV row for archive systems without Fiks.

The message becomes one inngående journalpost (journalposttype I, journalstatus M: midlertidig
registrering, for the arkivar to complete) with the sender as korrespondansepart (EA), the e-mail as
hoveddokument and each attachment as vedlegg. Files are referenced by name (``referanseDokumentfil``)
and travel beside the XML in the Fiks message; sjekksum is their SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime

from ...core import exports
from ...core.clock import local_date

NS = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1"
MDK = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/metadatakatalog/v1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
DOKUMENTTYPE_KODELISTE = "no.ks.fiks.arkiv.v1.kodelister.dokumenttype"


@dataclass
class Dokument:
    tittel: str
    filnavn: str
    data: bytes
    mime_type: str
    hoveddokument: bool = False


@dataclass
class Journalpost:
    tittel: str
    offentlig_tittel: str
    dokumenttype: str
    dokumenttype_beskrivelse: str
    mottatt: datetime
    avsender_navn: str
    avsender_epost: str
    dokumenter: list[Dokument] = field(default_factory=list)
    saksnummer: str | None = None  # links to the existing saksmappe when known
    skjermet: bool = False
    skjermingshjemmel: str = "Offl. § 13 jf. fvl. § 13 (1) nr. 1"
    system: str = "kommuneki-postmottak"
    ekstern_noekkel: str | None = None


def _el(parent, tag: str, text: str | None = None, ns: str = NS):
    e = ET.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        e.text = text
    return e


def _kode(parent, tag: str, kode: str, beskrivelse: str | None = None):
    e = _el(parent, tag)
    _el(e, "kode", kode, MDK)  # children of metadatakatalog types live in its namespace
    if beskrivelse:
        _el(e, "beskrivelse", beskrivelse, MDK)
    return e


def _safe_name(name: str, n: int) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:80] or "fil"
    return f"{n:02d}_{base}"


def build(jp: Journalpost) -> bytes:
    """The arkivmelding XML (UTF-8). Valid against arkivmelding.opprett.xsd (tested)."""
    ET.register_namespace("", NS)
    ET.register_namespace("n5mdk", MDK)
    root = ET.Element(f"{{{NS}}}arkivmelding")
    _el(root, "system", jp.system)
    _el(root, "antallFiler", str(len(jp.dokumenter)))
    reg = _el(root, "registrering")
    reg.set(f"{{{XSI}}}type", "journalpost")
    if jp.saksnummer:
        ref = _el(reg, "referanseForelderMappe")
        saksaar, _, seq = jp.saksnummer.partition("/")
        sn = _el(ref, "saksnummer", ns=MDK)
        _el(sn, "saksaar", saksaar, MDK)
        _el(sn, "sakssekvensnummer", seq, MDK)
    if jp.skjermet:
        skj = _el(reg, "skjerming")
        _kode(skj, "tilgangsrestriksjon", "13", "Unntatt offentlighet")
        _el(skj, "skjermingshjemmel", jp.skjermingshjemmel)
    for n, d in enumerate(jp.dokumenter, 1):
        db = _el(reg, "dokumentbeskrivelse")
        _kode(db, "dokumenttype", jp.dokumenttype, jp.dokumenttype_beskrivelse)
        _kode(db, "dokumentstatus", "F", "Dokumentet er ferdigstilt")
        _el(db, "tittel", d.tittel[:255] or jp.tittel)
        _kode(
            db,
            "tilknyttetRegistreringSom",
            "H" if d.hoveddokument else "V",
            "Hoveddokument" if d.hoveddokument else "Vedlegg",
        )
        _el(db, "dokumentnummer", str(n))
        obj = _el(db, "dokumentobjekt")
        _el(obj, "versjonsnummer", "1")
        _kode(obj, "variantformat", "P", "Produksjonsformat")
        _el(obj, "mimeType", d.mime_type)
        _el(obj, "filnavn", d.filnavn)
        _el(obj, "referanseDokumentfil", _safe_name(d.filnavn, n))
        _el(obj, "sjekksum", hashlib.sha256(d.data).hexdigest())
        _el(obj, "sjekksumAlgoritme", "SHA-256")
        _el(obj, "filstoerrelse", str(len(d.data)))
    _el(reg, "tittel", jp.tittel[:255])
    _el(reg, "offentligTittel", jp.offentlig_tittel[:255])
    kp = _el(reg, "korrespondansepart")
    _kode(kp, "korrespondanseparttype", "EA", "Avsender")
    _el(kp, "korrespondansepartNavn", jp.avsender_navn or jp.avsender_epost or "Ukjent avsender")
    if jp.avsender_epost:
        _el(kp, "epostadresse", jp.avsender_epost)
    if jp.ekstern_noekkel:
        key = _el(reg, "referanseEksternNoekkel")
        _el(key, "fagsystem", jp.system, MDK)
        _el(key, "noekkel", jp.ekstern_noekkel, MDK)
    _kode(reg, "journalposttype", "I", "Inngående dokument")
    _kode(reg, "journalstatus", "M", "Midlertidig registrering av innkommende dokument")
    _el(reg, "dokumentetsDato", local_date(jp.mottatt).isoformat())
    _el(reg, "mottattDato", jp.mottatt.isoformat())
    _el(reg, "antallVedlegg", str(max(0, len(jp.dokumenter) - 1)))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def document_files(jp: Journalpost) -> dict[str, bytes]:
    """The files to send beside the XML, by their ``referanseDokumentfil`` name."""
    return {_safe_name(d.filnavn, n): d.data for n, d in enumerate(jp.dokumenter, 1)}


CSV_FIELDS = [
    "ekstern_noekkel",
    "journalposttype",
    "dokumenttype",
    "tittel",
    "offentlig_tittel",
    "mottatt",
    "avsender_navn",
    "avsender_epost",
    "saksnummer",
    "skjermet",
    "skjermingshjemmel",
    "antall_filer",
    "filer_sha256",
]


def csv_rows(jps: list[Journalpost]) -> str:
    """One row per journalpost, for archive systems without Fiks Arkiv (semicolon, UTF-8)."""
    buf = io.StringIO()
    w = exports.csv_dict_writer(buf, CSV_FIELDS, delimiter=";")  # no cell can be a formula
    w.writeheader()
    for jp in jps:
        w.writerow(
            {
                "ekstern_noekkel": jp.ekstern_noekkel or "",
                "journalposttype": "I",
                "dokumenttype": jp.dokumenttype,
                "tittel": jp.tittel,
                "offentlig_tittel": jp.offentlig_tittel,
                "mottatt": jp.mottatt.isoformat(),
                "avsender_navn": jp.avsender_navn,
                "avsender_epost": jp.avsender_epost,
                "saksnummer": jp.saksnummer or "",
                "skjermet": "ja" if jp.skjermet else "nei",
                "skjermingshjemmel": jp.skjermingshjemmel if jp.skjermet else "",
                "antall_filer": len(jp.dokumenter),
                "filer_sha256": " ".join(hashlib.sha256(d.data).hexdigest() for d in jp.dokumenter),
            }
        )
    return buf.getvalue()
