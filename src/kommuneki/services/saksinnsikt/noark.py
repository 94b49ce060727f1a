"""A Noark 5 (v5.0) arkivuttrekk as saksinnsikt indexes it: every dokumentbeskrivelse with its file,
the metadata a case officer searches by and the access rules that apply to it. The XML is read by the
one Noark reader of the platform (:mod:`kommuneki.ingest.noark5`: streamed, DOCTYPE and broken XML
refused, skjerming inherited arkivdel → klasse → mappe → registrering → dokumentbeskrivelse, M500
«Arv»); this module only chooses what saksinnsikt keeps.

Pure: a path in, records and Norwegian problems out; no database. What is kept per document: saksnummer
(saksaar/sakssekvensnummer of the nearest saksmappe, else mappeID), journalpost (journalaar/
journalsekvensnummer), dokumenttype, dates, parties (korrespondansepart), klassifikasjon (klasseID),
administrativ enhet, tittel and offentligTittel, and the skjerming in force. ``skjermingMetadata`` lists
the fields hidden from users without the grant (tittel → they see offentligTittel; korrespondansepart →
no parties). ``virksomhetsspesifikkeMetadata`` is read for an outcome (any element named ``utfall`` or
``vedtaksutfall``).

Bad input: a DOCTYPE, XML that is not well-formed, or a file that is not an arkivstruktur is a Norwegian
problem for the whole extract (nothing of it is imported); a missing or unreadable document file is a
problem for that document; the rest is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...core.errors import InvalidInput
from ...ingest import noark5
from ...ingest.noark5 import NOARK_NS, Skjerming

__all__ = ["NOARK_NS", "NoarkDocument", "NoarkExtract", "Skjerming", "read_extract"]

OUTCOME_FIELDS = ("utfall", "vedtaksutfall")


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


def _outcome(fields: dict[str, str]) -> str | None:
    return next((v for k, v in fields.items() if k.casefold() in OUTCOME_FIELDS), None)


def read_extract(path: Path) -> NoarkExtract:
    """The documents of one arkivstruktur.xml (``path``: the file, or a folder holding it)."""
    out = NoarkExtract()
    try:
        registreringer = noark5.read_all(path)
    except InvalidInput as exc:
        out.problems.append(exc.message)
        return out
    for reg in registreringer:
        _registrering(reg, out)
    return out


def _registrering(reg: noark5.Registrering, out: NoarkExtract) -> None:
    outcome = _outcome(reg.virksomhetsspesifikke) or next(
        (o for o in (_outcome(m.virksomhetsspesifikke) for m in reg.mapper) if o), None
    )
    fields = {
        "klassifikasjon": reg.klasse_id,
        "saksnummer": reg.saksnummer,
        "sakstittel": reg.from_mappe("tittel"),
        "sakstittel_offentlig": reg.from_mappe("offentlig_tittel"),
        "journalpost": reg.journalpost,
        "journalposttype": reg.journalposttype,
        "journaldato": reg.journaldato.isoformat() if reg.journaldato else None,
        "dokumentets_dato": reg.dokumentets_dato.isoformat() if reg.dokumentets_dato else None,
        "tittel": reg.tittel,
        "offentlig_tittel": reg.offentlig_tittel,
        "parter": [
            {"navn": p.navn, "type": p.type}
            for p in reg.parter
            if p.element == "korrespondansepart" and p.navn
        ],
        "outcome": outcome,
        "unit": reg.administrativ_enhet or reg.from_mappe("administrativ_enhet"),
    }
    for doc in reg.dokumenter:
        meta = {
            **fields,
            "dokumenttype": doc.dokumenttype,
            "dokument_tittel": doc.tittel,
            "tilknyttet": doc.tilknyttet,
        }
        meta = {k: v for k, v in meta.items() if v}
        ident = doc.system_id or f"{reg.label}#{doc.dokumentnummer or len(out.documents) + 1}"
        main: Path | None = None
        public: Path | None = None
        missing: list[str] = []
        for obj in doc.objekter:
            path = obj.path
            if path is None or not path.is_file():
                missing.append(obj.referanse or "(uten filreferanse)")
            elif obj.is_public_variant:
                public = public or path
            else:
                main = main or path
        if main is None and public is None:
            what = ", ".join(missing) if missing else "ingen dokumentobjekt"
            out.problems.append(
                f"journalpost {reg.label}: dokumentfilen mangler ({what}); dokumentet ble ikke lest."
            )
            continue
        out.documents.append(
            NoarkDocument(
                external_id=f"noark:{ident}",
                file=main or public,
                filename=(main or public).name,
                meta=meta,
                skjerming=doc.skjerming_i_kraft(),
                public_file=public if main is not None else None,
            )
        )
