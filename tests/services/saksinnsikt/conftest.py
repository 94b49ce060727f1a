"""A small Noark 5 arkivuttrekk written for these tests, and a tenant with users of different rights."""

from __future__ import annotations

from pathlib import Path

import pytest

NS = "http://www.arkivverket.no/standarder/noark5/arkivstruktur"

OPEN_VEDTAK = (
    "Vedtak i byggesak 2024/17. Søknaden om dispensasjon for garasje nær nabogrensen innvilges med "
    "hjemmel i plan- og bygningsloven § 19-2. Garasjen kan oppføres 2 meter fra grensen."
)
SECRET = (
    "Barnevernet har mottatt bekymringsmelding om familien Hansen på Solbakken. Meldingen gjelder "
    "omsorgssvikt og er taushetsbelagt."
)
SECRET_PUBLIC = "Barnevernet har mottatt en bekymringsmelding. Navn og adresse er skjermet."
UNIT_ONLY = "Intern vurdering fra teknisk drift: vannledningen i Storgata må skiftes før vinteren."


def _skjerming(code: str, *hidden: str) -> str:
    meta = "".join(f"<skjermingMetadata>{h}</skjermingMetadata>" for h in hidden)
    return (
        f"<skjerming><tilgangsrestriksjon>{code}</tilgangsrestriksjon>"
        f"<skjermingshjemmel>Offl. § 13, jf. bvl. § 13-1</skjermingshjemmel>{meta}</skjerming>"
    )


def _part(kind: str, name: str) -> str:
    return (
        f"<korrespondansepart><korrespondanseparttype>{kind}</korrespondanseparttype>"
        f"<korrespondansepartNavn>{name}</korrespondansepartNavn></korrespondansepart>"
    )


PUBLIC_FILES = [
    ("dokumenter/melding.txt", "Produksjonsformat"),
    ("dokumenter/melding-offentlig.txt", "Offentlig variant"),
]


def _doc(sysid: str, title: str, dtype: str, files: list[tuple[str, str]], skjerming: str = "") -> str:
    objs = "".join(
        f"<dokumentobjekt><versjonsnummer>1</versjonsnummer><variantformat>{v}</variantformat>"
        f"<referanseDokumentfil>{f}</referanseDokumentfil></dokumentobjekt>"
        for f, v in files
    )
    return (
        f"<dokumentbeskrivelse><systemID>{sysid}</systemID><dokumenttype>{dtype}</dokumenttype>"
        f"<tittel>{title}</tittel><tilknyttetRegistreringSom>Hoveddokument</tilknyttetRegistreringSom>"
        f"<dokumentnummer>1</dokumentnummer>{skjerming}{objs}</dokumentbeskrivelse>"
    )


def write_extract(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dokumenter").mkdir(exist_ok=True)
    (folder / "dokumenter" / "vedtak.txt").write_text(OPEN_VEDTAK, encoding="utf-8")
    (folder / "dokumenter" / "melding.txt").write_text(SECRET, encoding="utf-8")
    (folder / "dokumenter" / "melding-offentlig.txt").write_text(SECRET_PUBLIC, encoding="utf-8")
    (folder / "dokumenter" / "intern.txt").write_text(UNIT_ONLY, encoding="utf-8")
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<arkiv xmlns="{NS}"><systemID>a1</systemID><tittel>Arkiv</tittel>
 <arkivdel><systemID>ad1</systemID><tittel>Saksarkiv</tittel>
  <mappe><systemID>m1</systemID><saksaar>2024</saksaar><sakssekvensnummer>17</sakssekvensnummer>
   <tittel>Dispensasjon garasje, Kari Nordmann</tittel><offentligTittel>Dispensasjon garasje</offentligTittel>
   <registrering><systemID>r1</systemID><journalaar>2024</journalaar><journalsekvensnummer>101</journalsekvensnummer>
    <journalposttype>Utgående dokument</journalposttype><journaldato>2024-03-01</journaldato>
    <tittel>Vedtak dispensasjon</tittel>
    {_part("Mottaker", "Kari Nordmann")}
    {_doc("d1", "Vedtak dispensasjon", "Vedtak", [("dokumenter/vedtak.txt", "Produksjonsformat")])}
   </registrering>
   <registrering><systemID>r9</systemID><journalaar>2024</journalaar><journalsekvensnummer>109</journalsekvensnummer>
    <tittel>Vedlegg som mangler</tittel>
    {_doc("d9", "Mangler", "Vedlegg", [("dokumenter/finnes-ikke.pdf", "Produksjonsformat")])}
   </registrering>
  </mappe>
  <mappe><systemID>m2</systemID><saksaar>2024</saksaar><sakssekvensnummer>55</sakssekvensnummer>
   <tittel>Bekymringsmelding familien Hansen</tittel><offentligTittel>Bekymringsmelding</offentligTittel>
   {_skjerming("13", "tittel", "korrespondansepart")}
   <registrering><systemID>r2</systemID><journalaar>2024</journalaar><journalsekvensnummer>202</journalsekvensnummer>
    <journalposttype>Inngående dokument</journalposttype><journaldato>2024-04-02</journaldato>
    <tittel>Bekymringsmelding familien Hansen</tittel><offentligTittel>Bekymringsmelding</offentligTittel>
    {_part("Avsender", "Ola Hansen")}
    {_doc("d2", "Bekymringsmelding familien Hansen", "Brev", PUBLIC_FILES)}
   </registrering>
  </mappe>
  <mappe><systemID>m3</systemID><saksaar>2024</saksaar><sakssekvensnummer>60</sakssekvensnummer>
   <tittel>Vannledning Storgata</tittel><administrativEnhet>Teknisk drift</administrativEnhet>
   <registrering><systemID>r3</systemID><journalaar>2024</journalaar><journalsekvensnummer>303</journalsekvensnummer>
    <tittel>Intern vurdering vannledning</tittel>
    {_doc("d3", "Intern vurdering vannledning", "Notat", [("dokumenter/intern.txt", "Produksjonsformat")])}
   </registrering>
  </mappe>
 </arkivdel>
</arkiv>"""
    (folder / "arkivstruktur.xml").write_text(xml, encoding="utf-8")
    return folder


@pytest.fixture
def extract_dir(tmp_path) -> Path:
    return write_extract(tmp_path / "uttrekk")


@pytest.fixture
def sak_tenant(platform):
    """(platform, tenant id, make_user(role, units=None) -> Principal, user id)."""
    from kommuneki.core import accounts
    from kommuneki.core.models import Membership, User
    from kommuneki.core.permissions import Principal

    with platform.db.installation_session() as s:
        tid = accounts.create_tenant(
            s, slug="sakstest", name="Saksinnsikt test", kommunenummer="9991", actor="t"
        ).id

    def make_user(name: str, role: str = "saksbehandler", units: list[str] | None = None):
        with platform.db.installation_session() as s:
            uid = accounts.create_user(s, username=name, password="passord-for-test", actor="t").id
        with platform.db.tenant_session(tid) as s:
            m = accounts.grant_role(s, tid, s.get(User, uid), role, actor="t")
            if units is not None:
                s.get(Membership, m.id).units = units
        principal = Principal(
            user_id=uid,
            tenant_id=tid,
            roles=frozenset({role}),
            policy=platform.policy,
            units=frozenset(units) if units is not None else None,
        )
        return principal

    return platform, tid, make_user
