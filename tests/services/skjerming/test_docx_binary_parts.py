"""DOCX binary parts (issue 12): an embedded image, embedded packages (an .xlsx in word/embeddings/, an
OLE object) and an altChunk are parts no screening reads; the redacted file leaves them out, with what
shows them in the document, and the independent check reads embedded packages and binary parts too."""

from __future__ import annotations

import io
import zipfile

import pytest
from tests.ingest.makers import docx_from_xml, wp, wt

from kommuneki.ingest import extract
from kommuneki.services.skjerming.redact import redact
from kommuneki.services.skjerming.redact.verify import RedactionNotVerified, verify

FNR = "26078704828"
RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
PIC = "http://schemas.openxmlformats.org/drawingml/2006/picture"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
BINARIES = (
    "word/media/image1.png",
    "word/embeddings/Microsoft_Excel_Worksheet.xlsx",
    "word/embeddings/oleObject1.bin",
    "word/afchunk.html",
)


def _xlsx_with(value: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Navn", "Fødselsnummer"])
    wb.active.append(["Kari Nordmann", value])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _docx() -> bytes:
    drawing = (
        f'<w:p><w:r><w:drawing><wp:inline xmlns:wp="{WP}"><a:graphic xmlns:a="{A}"><a:graphicData>'
        f'<pic:pic xmlns:pic="{PIC}"><pic:blipFill><a:blip r:embed="rIdImg"/></pic:blipFill></pic:pic>'
        "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
    )
    ole = (
        '<w:p><w:r><w:object><o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" '
        'ProgID="Excel.Sheet.12" r:id="rIdXlsx"/></w:object></w:r></w:p>'
        '<w:p><w:r><w:object><o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" '
        'ProgID="Package" r:id="rIdBin"/></w:object></w:r></w:p>'
    )
    body = wp(wt(f"Søker har fødselsnummer {FNR}.")) + drawing + ole + '<w:altChunk r:id="rIdAlt"/>'
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships">'
        f'<Relationship Id="rIdImg" Type="{RT}/image" Target="media/image1.png"/>'
        f'<Relationship Id="rIdXlsx" Type="{RT}/package" Target="embeddings/Microsoft_Excel_Worksheet.xlsx"/>'
        f'<Relationship Id="rIdBin" Type="{RT}/oleObject" Target="embeddings/oleObject1.bin"/>'
        f'<Relationship Id="rIdAlt" Type="{RT}/aFChunk" Target="afchunk.html"/>'
        "</Relationships>"
    )
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x19tEXtComment\x00fnr " + FNR.encode() + b"\x00\x00\x00\x00"
    return docx_from_xml(
        body,
        extra={
            "word/_rels/document.xml.rels": rels,
            "word/media/image1.png": png,
            "word/embeddings/Microsoft_Excel_Worksheet.xlsx": _xlsx_with(FNR),
            "word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0" + f"Kari {FNR}".encode("utf-16-le"),
            "word/afchunk.html": f"<html><body><p>Kari Nordmann, {FNR}</p></body></html>".encode(),
        },
    )


def test_the_independent_check_reads_embedded_packages_and_binary_parts():
    with pytest.raises(RedactionNotVerified) as err:
        verify(_docx(), "docx", [FNR])
    where = " ".join(d["where"] for d in err.value.details)
    for name in BINARIES:
        assert name in where, name
    assert "Microsoft_Excel_Worksheet.xlsx → xl/worksheets/sheet1.xml" in where  # opened, not just bytes


def test_binary_parts_are_removed_from_the_redacted_docx_with_what_shows_them():
    data = _docx()
    text = extract(data, "vedtak.docx").text
    at = text.index(FNR)
    result = redact(data, "vedtak.docx", text, [(at, at + len(FNR))])
    assert result.report["verified"] is True
    assert result.report["binary_parts_removed"] == len(BINARIES)
    assert result.report["binary_references_removed"] == 4  # the drawing, two objects, the altChunk
    with zipfile.ZipFile(io.BytesIO(result.data)) as z:
        names = z.namelist()
        members = {n: z.read(n) for n in names}
    assert not set(BINARIES) & set(names)
    for name, raw in members.items():
        assert FNR.encode() not in raw and FNR.encode("utf-16-le") not in raw, name
    document = members["word/document.xml"].decode()
    assert "altChunk" not in document and "rIdImg" not in document and "OLEObject" not in document
    rels = members["word/_rels/document.xml.rels"].decode()
    assert "media/" not in rels and "embeddings/" not in rels and "afchunk" not in rels
    assert "Søker har fødselsnummer" in extract(result.data, "x.docx").text  # still a Word file
