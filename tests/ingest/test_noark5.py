"""The one Noark 5 arkivstruktur reader (kommuneki.ingest.noark5). The extract is written here and
validated against the published Noark 5 v5.0 arkivstruktur XSD, so it is a real Noark 5 document; the
refusals (DOCTYPE, entity expansion, external entities, broken XML, another root) are checked on files
written here and on the regression corpus."""

from __future__ import annotations

import tempfile
import uuid
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import given

from kommuneki.core.errors import InvalidInput
from kommuneki.ingest import noark5
from tests.conftest import SHARED, require
from tests.fuzz_support import FUZZ, assert_domain_error_or_result, mutated

NOARK_XSD = SHARED / "data" / "noark5" / "xsd-v5.0" / "arkivstruktur.xsd"
CORPUS = Path(__file__).resolve().parents[1] / "regression_corpus" / "noark"
NS = noark5.NOARK_NS


def uid(name: str) -> str:
    """A systemID (the schema wants a UUID) that the assertions can name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def _el(name: str, value) -> str:
    if name == "systemID":
        value = uid(value)
    return f"<{name}>{escape(str(value))}</{name}>"


def _stamp(name: str = "opprettet") -> str:
    return _el(f"{name}Dato", "2025-03-01T10:00:00") + _el(f"{name}Av", "arkivar")


def _skjerming(code: str, hjemmel: str, *hidden: str) -> str:
    return (
        "<skjerming>"
        + _el("tilgangsrestriksjon", code)
        + _el("skjermingshjemmel", hjemmel)
        + "".join(_el("skjermingMetadata", h) for h in hidden)
        + "</skjerming>"
    )


def _dokument(
    sysid: str, dtype: str, tittel: str, som: str, nr: int, files: list[tuple[str, str]], skj=""
) -> str:
    objects = "".join(
        "<dokumentobjekt>"
        + _el("systemID", f"{ref}-{variant}")
        + _el("versjonsnummer", 1)
        + _el("variantformat", variant)
        + _el("format", "TXT")
        + _stamp()
        + _el("referanseDokumentfil", ref)
        + _el("sjekksum", "0" * 64)
        + _el("sjekksumAlgoritme", "SHA256")
        + _el("filstoerrelse", 100)
        + "</dokumentobjekt>"
        for ref, variant in files
    )
    return (
        "<dokumentbeskrivelse>"
        + _el("systemID", sysid)
        + _el("dokumenttype", dtype)
        + _el("dokumentstatus", "Dokumentet er ferdigstilt")
        + _el("tittel", tittel)
        + _stamp()
        + _el("tilknyttetRegistreringSom", som)
        + _el("dokumentnummer", nr)
        + _el("tilknyttetDato", "2025-03-01T10:00:00")
        + _el("tilknyttetAv", "arkivar")
        + skj
        + objects
        + "</dokumentbeskrivelse>"
    )


def _part(kind: str, name: str, epost: str = "", enhet: str = "") -> str:
    return (
        "<korrespondansepart>"
        + _el("korrespondanseparttype", kind)
        + _el("korrespondansepartNavn", name)
        + (_el("epostadresse", epost) if epost else "")
        + (_el("administrativEnhet", enhet) if enhet else "")
        + "</korrespondansepart>"
    )


def _journalpost(
    sysid: str, seq: int, kind: str, tittel: str, docs: str, parts: str = "", skj="", vsm=""
) -> str:
    return (
        '<registrering xsi:type="journalpost">'
        + _el("systemID", sysid)
        + _stamp()
        + _stamp("arkivert")
        + skj
        + docs
        + _el("tittel", tittel)
        + _el("offentligTittel", tittel.split(",")[0])
        + vsm
        + parts
        + _el("journalaar", 2025)
        + _el("journalsekvensnummer", seq)
        + _el("journalpostnummer", seq)
        + _el("journalposttype", kind)
        + _el("journalstatus", "Journalført")
        + _el("journaldato", "2025-03-02")
        + _el("dokumentetsDato", "2025-02-27")
        + _el("mottattDato", "2025-03-01T08:00:00")
        + "</registrering>"
    )


def write_extract(folder: Path) -> Path:
    """Two arkivdeler. «Sakarkiv»: a klasse 614 holding a saksmappe 2025/7 (unit and saksnummer written after
    its registreringer, as the schema orders them; an outcome in virksomhetsspesifikkeMetadata) with one
    incoming journalpost (a restricted attachment, a file reference pointing outside the extract); a
    second saksmappe holding an undermappe restricted as a whole. «Personalarkiv»: restricted as a whole,
    one journalpost directly under it."""
    (folder / "dokumenter").mkdir(parents=True, exist_ok=True)
    (folder / "dokumenter" / "soknad.txt").write_text("Søknad om dispensasjon.", encoding="utf-8")
    (folder / "dokumenter" / "vedlegg.txt").write_text("Helseopplysninger.", encoding="utf-8")
    (folder / "dokumenter" / "vedlegg-sladdet.txt").write_text("[skjermet]", encoding="utf-8")
    vsm = (
        '<virksomhetsspesifikkeMetadata><kommune:sak xmlns:kommune="urn:testkommune">'
        "<kommune:utfall>Innvilget</kommune:utfall><kommune:hjemmel>pbl. § 19-2</kommune:hjemmel>"
        "</kommune:sak></virksomhetsspesifikkeMetadata>"
    )
    r1 = _journalpost(
        "r1",
        11,
        "Inngående dokument",
        "Søknad om dispensasjon, Kari Nordmann",
        _dokument(
            "d1", "Søknad", "Søknad", "Hoveddokument", 1, [("dokumenter/soknad.txt", "Produksjonsformat")]
        )
        + _dokument(
            "d2",
            "Vedlegg",
            "Legeerklæring",
            "Vedlegg",
            2,
            [
                ("dokumenter/vedlegg.txt", "Produksjonsformat"),
                ("dokumenter/vedlegg-sladdet.txt", "Offentlig variant"),
                ("../../etc/passwd", "Arkivformat"),
            ],
            skj=_skjerming("13", "Offl. § 13, jf. fvl. § 13", "korrespondansepart"),
        ),
        parts=_part("Avsender", "Kari Nordmann", "kari@example.no")
        + _part("Intern mottaker", "Saksbehandler", enhet="Byggesak"),
    )
    r2 = _journalpost(
        "r2",
        12,
        "Utgående dokument",
        "Vedtak",
        _dokument(
            "d3", "Vedtak", "Vedtak", "Hoveddokument", 1, [("dokumenter/soknad.txt", "Produksjonsformat")]
        ),
        parts=_part("Mottaker", "Kari Nordmann"),
        vsm="<virksomhetsspesifikkeMetadata><utfall>Delvis innvilget</utfall>"
        "</virksomhetsspesifikkeMetadata>",
    )
    undermappe = (
        "<mappe>"
        + _el("systemID", "m1a")
        + _el("mappeID", "2025/8-1")
        + _el("tittel", "Klage")
        + _stamp()
        + _stamp("avsluttet")
        + _skjerming("26", "Offl. § 26 første ledd", "tittel")
        + r2
        + "</mappe>"
    )
    saksmappe = (
        '<mappe xsi:type="saksmappe">'
        + _el("systemID", "m1")
        + _el("mappeID", "2025/7")
        + _el("tittel", "Dispensasjon garasje, Kari Nordmann")
        + _el("offentligTittel", "Dispensasjon garasje")
        + _stamp()
        + _stamp("avsluttet")
        + vsm
        + r1
        + _el("saksaar", 2025)
        + _el("sakssekvensnummer", 7)
        + _el("saksdato", "2025-02-28")
        + _el("administrativEnhet", "Byggesak")
        + _el("saksansvarlig", "Saksbehandler")
        + _el("saksstatus", "Under behandling")
        + "</mappe>"
        # a second case whose journalpost lies in an undermappe
        + '<mappe xsi:type="saksmappe">'
        + _el("systemID", "m2")
        + _el("mappeID", "2025/8")
        + _el("tittel", "Klagesak")
        + _stamp()
        + _stamp("avsluttet")
        + undermappe
        + _el("saksaar", 2025)
        + _el("sakssekvensnummer", 8)
        + _el("saksdato", "2025-02-28")
        + _el("administrativEnhet", "Plan og geodata")
        + _el("saksansvarlig", "Saksbehandler")
        + _el("saksstatus", "Under behandling")
        + "</mappe>"
    )
    r3 = _journalpost(
        "r3",
        40,
        "Inngående dokument",
        "Søknad om permisjon",
        _dokument(
            "d4", "Søknad", "Søknad", "Hoveddokument", 1, [("dokumenter/soknad.txt", "Produksjonsformat")]
        ),
    )
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<arkiv xmlns="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        + _el("systemID", "a1")
        + _el("tittel", "Arkiv for Testkommune")
        + _stamp()
        + _stamp("avsluttet")
        + "<arkivskaper>"
        + _el("arkivskaperID", "9990")
        + _el("arkivskaperNavn", "Testkommune")
        + "</arkivskaper>"
        + "<arkivdel>"
        + _el("systemID", "ad1")
        + _el("tittel", "Sakarkiv")
        + _el("arkivdelstatus", "Avsluttet periode")
        + _stamp()
        + _stamp("avsluttet")
        + "<klassifikasjonssystem>"
        + _el("systemID", "ks1")
        + _el("tittel", "Emnekoder")
        + _stamp()
        + "<klasse>"
        + _el("systemID", "k1")
        + _el("klasseID", "614")
        + _el("tittel", "Byggesaker")
        + _stamp()
        + saksmappe
        + "</klasse></klassifikasjonssystem></arkivdel>"
        + "<arkivdel>"
        + _el("systemID", "ad2")
        + _el("tittel", "Personalarkiv")
        + _el("arkivdelstatus", "Avsluttet periode")
        + _stamp()
        + _stamp("avsluttet")
        + _skjerming("25", "Offl. § 25", "tittel", "korrespondansepart")
        + r3
        + "</arkivdel></arkiv>\n"
    )
    path = folder / "arkivstruktur.xml"
    path.write_text(xml, encoding="utf-8")
    return path


def assert_valid_noark5(path: Path) -> None:
    try:
        from lxml import etree
    except ImportError:
        require(False, "lxml", "pip install lxml")
    require(NOARK_XSD.exists(), "the Noark 5 v5.0 XSD", f"put it in {NOARK_XSD.parent}")
    schema = etree.XMLSchema(etree.parse(str(NOARK_XSD)))
    assert schema.validate(etree.parse(str(path))), schema.error_log


@pytest.fixture
def extract(tmp_path) -> Path:
    path = write_extract(tmp_path / "uttrekk")
    assert_valid_noark5(path)
    return path


def test_reads_every_registrering_with_case_class_parties_dates_and_files(extract):
    regs = {r.system_id: r for r in noark5.read(extract.parent)}  # the folder or the file
    assert set(regs) == {uid("r1"), uid("r2"), uid("r3")}
    r1 = regs[uid("r1")]
    assert (r1.journalpost, r1.journalposttype, r1.type) == ("2025/11", "Inngående dokument", "journalpost")
    assert (r1.journaldato, r1.dokumentets_dato, r1.mottatt_dato) == (
        date(2025, 3, 2),
        date(2025, 2, 27),
        date(2025, 3, 1),
    )
    assert (
        r1.tittel == "Søknad om dispensasjon, Kari Nordmann"
        and r1.offentlig_tittel == "Søknad om dispensasjon"
    )
    # the saksmappe's own fields come after its registreringer in the file, and are still there
    assert r1.saksnummer == "2025/7" and r1.from_mappe("administrativ_enhet") == "Byggesak"
    assert r1.mapper[0].type == "saksmappe" and r1.mapper[0].saksdato == date(2025, 2, 28)
    assert r1.mapper[0].virksomhetsspesifikke == {"utfall": "Innvilget", "hjemmel": "pbl. § 19-2"}
    assert (r1.klasse_id, r1.klasse_tittel, r1.arkivdel) == ("614", "Byggesaker", "Sakarkiv")
    assert [(p.type, p.navn, p.epostadresse, p.administrativ_enhet) for p in r1.parter] == [
        ("Avsender", "Kari Nordmann", "kari@example.no", ""),
        ("Intern mottaker", "Saksbehandler", "", "Byggesak"),
    ]
    assert [p.navn for p in r1.parter_av("avsender", "EA")] == ["Kari Nordmann"]
    main, attachment = r1.dokumenter
    assert r1.hoveddokument() is main and main.dokumenttype == "Søknad" and main.is_hoveddokument
    assert main.objekter[0].path == (extract.parent / "dokumenter" / "soknad.txt").resolve()
    production, public, outside = attachment.objekter
    assert public.is_public_variant and not production.is_public_variant
    assert outside.referanse == "../../etc/passwd" and outside.path is None  # never outside the extract


def test_skjerming_is_inherited_from_the_nearest_level(extract):
    regs = {r.system_id: r for r in noark5.read_all(extract)}
    r1, r2, r3 = (regs[uid(name)] for name in ("r1", "r2", "r3"))
    assert r1.skjerming is None and r1.dokumenter[0].skjerming_i_kraft() is None
    attachment = r1.dokumenter[1].skjerming_i_kraft()
    assert (attachment.tilgangsrestriksjon, attachment.level, attachment.metadata) == (
        "13",
        "dokumentbeskrivelse",
        ["korrespondansepart"],
    )
    # the undermappe's skjerming; its saksnummer is the enclosing saksmappe's
    assert (r2.skjerming.tilgangsrestriksjon, r2.skjerming.level) == ("26", "mappe")
    assert r2.dokumenter[0].skjerming_i_kraft() is r2.skjerming
    assert r2.saksnummer == "2025/8" and [m.mappe_id for m in r2.mapper] == ["2025/8-1", "2025/8"]
    assert r2.from_mappe("administrativ_enhet") == "Plan og geodata" and r2.from_mappe("tittel") == "Klage"
    assert r2.virksomhetsspesifikke == {"utfall": "Delvis innvilget"}
    # directly under an arkivdel restricted as a whole
    assert (r3.skjerming.tilgangsrestriksjon, r3.skjerming.skjermingshjemmel, r3.skjerming.level) == (
        "25",
        "Offl. § 25",
        "arkivdel",
    )
    assert r3.mapper == [] and r3.saksnummer == "" and r3.klasse_id == "" and r3.arkivdel == "Personalarkiv"


def test_a_registrering_under_an_arkivdel_comes_out_before_the_rest_is_parsed(tmp_path):
    """Streaming: registreringer are handed out while the parser is still in the file, and the element
    tree of what is done is dropped (what stays is the parser's read-ahead, not the file)."""
    reg = "<registrering><systemID>r{n}</systemID><tittel>Nr {n}</tittel></registrering>"
    path = tmp_path / "arkivstruktur.xml"
    path.write_text(
        f'<arkiv xmlns="{NS}"><arkivdel><tittel>A</tittel>'
        + "".join(reg.format(n=n) for n in range(3000))
        + "</arkivdel></arkiv>",
        encoding="utf-8",
    )
    regs = noark5.read(path)
    first = next(regs)  # a generator: nothing is read before the first is asked for
    assert first.system_id == "r0" and first.tittel == "Nr 0" and first.arkivdel == "A"
    frame = regs.gi_frame
    stack = frame.f_locals["stack"]
    assert [level.tag for level in stack] == ["arkivdel"]
    for _ in range(2000):
        next(regs)
    assert len(stack[0].element) < 500  # not the 2001 read so far
    assert sum(1 for _ in regs) == 999


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        # billion laughs
        (
            '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;">]><arkiv xmlns="' + NS + '">&c;</arkiv>',
            "DOCTYPE",
        ),
        # an external entity (XXE)
        (
            '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
            '<arkiv xmlns="' + NS + '"><arkivdel><tittel>&x;</tittel></arkivdel></arkiv>',
            "DOCTYPE",
        ),
        ("<arkiv xmlns='x'><ikke lukket>", "ikke gyldig XML"),  # broken before it is foreign
        (f'<arkiv xmlns="{NS}"><arkivdel><mappe>', "ikke gyldig XML"),
        ("<arkiv><arkivdel/></arkiv>", "ikke et Noark 5-arkivuttrekk"),
        ("", "ikke gyldig XML"),
    ],
)
def test_refuses_doctype_broken_xml_and_other_roots_in_norwegian(tmp_path, xml, message):
    path = tmp_path / "arkivstruktur.xml"
    path.write_text(xml, encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        noark5.read_all(path)
    assert message in exc.value.message and "arkivstruktur.xml" in exc.value.message


def test_a_doctype_is_found_in_any_encoding_after_a_long_comment(tmp_path):
    hidden = tmp_path / "skjult.xml"
    hidden.write_text(
        '<?xml version="1.0" encoding="UTF-16"?><!--' + "x" * 200_000 + "--><!DOCTYPE arkiv "
        '[<!ENTITY a "aaaa">]><arkiv>&a;</arkiv>',
        encoding="utf-16",
    )
    with pytest.raises(InvalidInput, match="DOCTYPE"):
        noark5.read_all(hidden)
    with pytest.raises(InvalidInput, match="finnes ikke"):
        noark5.read_all(tmp_path / "mangler")


def test_a_broken_extract_gives_nothing_not_half(tmp_path, extract):
    """The well-formedness pass comes first: an extract broken at its end hands out no registrering."""
    broken = tmp_path / "arkivstruktur.xml"
    broken.write_bytes(extract.read_bytes()[:-20])
    seen = []
    with pytest.raises(InvalidInput, match="ikke gyldig XML"):
        for reg in noark5.read(broken):
            seen.append(reg)
    assert seen == []


def test_regression_corpus_gives_a_result_or_a_norwegian_refusal():
    files = sorted(CORPUS.glob("*.xml"))
    assert len(files) >= 5
    for path in files:
        try:
            list(noark5.read(path))
        except InvalidInput as exc:
            assert exc.message.startswith(path.name + ":")


@FUZZ
@given(mutated("noark"))
def test_fuzz_noark5_reader(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "arkivstruktur.xml"
        path.write_bytes(data)
        assert_domain_error_or_result(lambda: noark5.read_all(path))
