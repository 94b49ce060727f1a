"""Writes the odd inputs of this corpus (made here, by hand, for kommuneki; nothing copied). Run once;
the files are committed. Each is a shape that broke, or could break, one of our parsers: the fuzz tests
(``tests/**/test_fuzz_*.py``) start from them and mutate them.

    .venv/bin/python tests/regression_corpus/make_corpus.py
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from tests.ingest.makers import docx_from_xml, wp, wt  # noqa: E402

APP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"


def write(folder: str, name: str, data: bytes | str) -> None:
    path = HERE / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def docx() -> None:
    write("docx", "plain.docx", docx_from_xml(wp(wt("Fødselsnummer 26078704828"))))
    write(
        "docx",
        "br-tab-runs.docx",
        docx_from_xml(wp(wt("Fnr:"), "<w:br/>", wt("260787"), wt("04828"), "<w:tab/>")),
    )
    write(
        "docx",
        "footnote-only.docx",
        docx_from_xml(wp(), footnotes=f'<w:footnote w:id="1">{wp(wt("Bare i fotnoten"))}</w:footnote>'),
    )
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">'
        f']><Properties xmlns="{APP_NS}"><Company>&b;</Company></Properties>'
    )
    write("docx", "doctype-app.docx", docx_from_xml(wp(wt("x")), app_xml=laughs))
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        f'<Properties xmlns="{APP_NS}"><Company>&x;</Company></Properties>'
    )
    write("docx", "xxe-app.docx", docx_from_xml(wp(wt("x")), app_xml=xxe))
    write("docx", "undefined-entity.docx", docx_from_xml(wp(wt("&nbsp; og &foo;"))))
    write("docx", "deep-nesting.docx", docx_from_xml("<w:p>" + "<w:r>" * 300 + "</w:r>" * 300 + "</w:p>"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    write("docx", "no-content-types.docx", buf.getvalue())
    write("docx", "truncated.docx", docx_from_xml(wp(wt("Avkortet fil")))[:300])
    write(
        "docx",
        "utf16-part.docx",
        docx_from_xml(
            wp(wt("x")),
            extra={"word/settings.xml": '<?xml version="1.0" encoding="UTF-16"?><a/>'.encode("utf-16")},
        ),
    )


def pdf() -> None:
    minimal = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
        b"4 0 obj<</Length 44>>stream\nBT /F1 12 Tf 20 100 Td (Fnr 26078704828) Tj ET\nendstream endobj\n"
        b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    write("pdf", "minimal-no-xref.pdf", minimal)
    write("pdf", "huge-page.pdf", minimal.replace(b"[0 0 200 200]", b"[0 0 14400 14400]"))
    write("pdf", "zero-pages.pdf", minimal.replace(b"/Kids[3 0 R]/Count 1", b"/Kids[]/Count 0"))
    write("pdf", "bad-length.pdf", minimal.replace(b"/Length 44", b"/Length 99999"))
    write("pdf", "self-parent.pdf", minimal.replace(b"/Parent 2 0 R", b"/Parent 3 0 R"))
    write("pdf", "truncated.pdf", minimal[:120])
    write("pdf", "header-only.pdf", b"%PDF-1.7\n")
    write("pdf", "negative-mediabox.pdf", minimal.replace(b"[0 0 200 200]", b"[0 0 -5 1e30]"))


def tables() -> None:
    write(
        "csv",
        "trailing-separator.csv",
        "bruksenhet;pris;dato;\n1;1000000;2024-01-01;\n2;2000000;2024-02-01;\n",
    )
    write("csv", "bom-semicolon.csv", "\ufeffbruksenhet;pris\n1;100\n")
    write("csv", "cp1252.csv", "adresse;pris\nSkøyen;100\n".encode("cp1252"))
    write("csv", "unclosed-quote.csv", 'a,b\n"1,2\n3,4\n')
    write("csv", "nul-bytes.csv", b"a;b\n1\x00;2\n")
    write("csv", "header-only.csv", "subject;from;body;action;unit\n")
    write("csv", "ragged.csv", "subject;action;unit\nHei\nA;journalfores;Teknisk;ekstra;mer\n")
    write("csv", "formula.csv", 'subject;action;unit\n=HYPERLINK("x");journalfores;@SUM(1)\n')
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["bruksenhet", "pris", "dato"])
    ws.append([1, 1000000, "2024-01-01"])
    buf = io.BytesIO()
    wb.save(buf)
    good = buf.getvalue()
    write("xlsx", "small.xlsx", good)
    write("xlsx", "truncated.xlsx", good[: len(good) // 2])
    src = zipfile.ZipFile(io.BytesIO(good))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY e "eeeeeeeeee">]>', 1)
            if info.filename != "xl/styles.xml":
                z.writestr(info.filename, data)
    write("xlsx", "doctype-and-no-styles.xlsx", out.getvalue())


def _xlsx_with(parts: dict[str, bytes]) -> bytes:
    """A small valid workbook with some of its parts replaced (or added)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["bruksenhet", "pris"])
    ws.append(["H0101", "tekst"])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, parts.pop(info.filename, src.read(info.filename)))
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def hostile_tables() -> None:
    """Attacker-shaped tables (issue 12's review of the tabular readers): each is refused in Norwegian
    before openpyxl or pandas spends memory on it."""
    pad = b" " * (150 * 1024 * 1024)
    sheet = (
        f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}"><sheetData/>'.encode() + pad + b"</worksheet>"
    )
    write("xlsx", "bomb-150mb-sheet.xlsx", _xlsx_with({"xl/worksheets/sheet1.xml": sheet}))
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        f'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><sst xmlns="{SHEET_NS}" count="1" uniqueCount="1">'
        "<si><t>&c;</t></si></sst>"
    )
    write("xlsx", "doctype-shared-strings.xlsx", _xlsx_with({"xl/sharedStrings.xml": laughs.encode()}))
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        f'<workbook xmlns="{SHEET_NS}"><sheets>&x;</sheets></workbook>'
    )
    write("xlsx", "xxe-workbook.xlsx", _xlsx_with({"xl/workbook.xml": xxe.encode()}))
    strings = b"".join(b"<si><t>a</t></si>" for _ in range(2_100_000))
    sst = f'<?xml version="1.0"?><sst xmlns="{SHEET_NS}">'.encode() + strings + b"</sst>"
    write("xlsx", "many-shared-strings.xlsx", _xlsx_with({"xl/sharedStrings.xml": sst}))
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["bruksenhet", "pris"])
    ws.append(['=WEBSERVICE("http://127.0.0.1:9/")', '=HYPERLINK("http://127.0.0.1:9/","klikk")'])
    ws.append(["H0102", "=1+1"])
    buf = io.BytesIO()
    wb.save(buf)
    write("xlsx", "formulas.xlsx", buf.getvalue())


def _mka(seconds: float, stated_s: float | None = None) -> bytes:
    """A Matroska file of a 440 Hz tone (16 kHz mono PCM); ``stated_s``: the length its header claims."""
    import struct

    import av
    import numpy as np

    buf = io.BytesIO()
    with av.open(buf, "w", format="matroska") as out:
        stream = out.add_stream("pcm_s16le", rate=16000, layout="mono")
        n = int(16000 * seconds)
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / 16000) * 32767).astype(np.int16).reshape(1, -1)
        for i in range(0, n, 1600):
            frame = av.AudioFrame.from_ndarray(tone[:, i : i + 1600], format="s16", layout="mono")
            frame.rate, frame.pts = 16000, i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    data = buf.getvalue()
    if stated_s is not None:  # the Segment's Duration element (ID 0x4489, an 8-byte float, in ms)
        at = data.index(b"\x44\x89\x88") + 3
        data = data[:at] + struct.pack(">d", stated_s * 1000.0) + data[at + 8 :]
    return data


def audio() -> None:
    """Hostile audio for tale (issue 12): a 1-second file that claims 10 hours, a 3-second one that
    claims 1 second, a file cut off mid-stream, and a PDF named like an MP3."""
    write("audio", "claims-10-hours.mka", _mka(1.0, stated_s=36000))
    write("audio", "claims-1-second-is-3.mka", _mka(3.0, stated_s=1))
    whole = _mka(2.0)
    write("audio", "truncated.mka", whole[: len(whole) // 2])
    write(
        "audio", "pdf-named.mp3", b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def noark() -> None:
    ns = "http://www.arkivverket.no/standarder/noark5/arkivstruktur"
    jp = (
        '<registrering xsi:type="journalpost" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<tittel>Søknad</tittel><journalposttype>Inngående dokument</journalposttype>"
        "<journaldato>2025-13-45</journaldato>"
        "<korrespondansepart><korrespondanseparttype>Avsender</korrespondanseparttype>"
        "<korrespondansepartNavn>Kari</korrespondansepartNavn></korrespondansepart>"
        "<dokumentbeskrivelse><tilknyttetRegistreringSom>Hoveddokument</tilknyttetRegistreringSom>"
        "<dokumentobjekt><referanseDokumentfil>../../../etc/hostname</referanseDokumentfil></dokumentobjekt>"
        "</dokumentbeskrivelse></registrering>"
    )
    write(
        "noark",
        "traversal-and-bad-date.xml",
        f'<arkiv xmlns="{ns}"><arkivdel><mappe>{jp}</mappe></arkivdel></arkiv>',
    )
    write(
        "noark",
        "doctype.xml",
        f'<?xml version="1.0"?><!DOCTYPE arkiv [<!ENTITY t "x">]><arkiv xmlns="{ns}">&t;</arkiv>',
    )
    write("noark", "wrong-namespace.xml", f"<arkiv><arkivdel><mappe>{jp}</mappe></arkivdel></arkiv>")
    write("noark", "unclosed.xml", f'<arkiv xmlns="{ns}"><arkivdel><mappe>')
    write("noark", "deep.xml", f'<arkiv xmlns="{ns}">' + "<mappe>" * 500 + "</mappe>" * 500 + "</arkiv>")
    write("noark", "empty.xml", b"")


if __name__ == "__main__":
    docx()
    pdf()
    tables()
    hostile_tables()
    audio()
    noark()
