"""Formats in: plain text in several encodings, PDF text layer, scanned PDF through Tesseract, DOCX,
e-mail — and bad input, each refused with a clear Norwegian error."""

from __future__ import annotations

import shutil

import pytest

from kommuneki.core.errors import InvalidInput, PayloadTooLarge
from kommuneki.ingest import extract, sniff_format
from tests.conftest import require
from tests.ingest.makers import make_docx, make_eml, make_pdf, make_scanned_pdf, make_zip_bomb_docx

TEXT = "Søknad om støtte til Ærlige Åse på Øvre Blåbærstien 5. «Sitat» – tankestrek €."


@pytest.mark.parametrize(
    "encoding, why",
    [
        ("utf-8", "the default today"),
        ("utf-8-sig", "Windows Notepad writes a BOM"),
        ("utf-16", "UTF-16 with BOM (little endian), from Windows tools"),
        ("utf-16-be", None),  # without BOM this is not recognisable text: see the next test
        ("cp1252", "older Norwegian systems: æøå, « » – and € in Windows-1252"),
    ],
)
def test_text_encodings(encoding, why):
    data = TEXT.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # UTF-16 big endian with its BOM
    assert extract(data, "brev.txt").text == TEXT


def test_latin1_text():
    text = "Blåbærsyltetøy på Ørsta"  # Latin-1 and cp1252 agree on these letters
    assert extract(text.encode("latin-1"), "brev.txt").text == text


def test_pdf_text_layer_two_pages():
    data = make_pdf([["Hei Kari Nordmann,", "takk for brevet."], ["Side to: æøå ÆØÅ."]], title="Brev")
    ex = extract(data, "brev.pdf")
    assert "Hei Kari Nordmann," in ex.text and "Side to: æøå ÆØÅ." in ex.text
    assert ex.meta["format"] == "pdf" and ex.meta["pages"] == 2 and ex.meta["ocr_pages"] == []


def test_scanned_pdf_goes_through_tesseract():
    require(
        shutil.which("tesseract") is not None, "Tesseract", "apt-get install tesseract-ocr tesseract-ocr-nor"
    )
    data = make_scanned_pdf(["Søknad om støtte fra", "Kari Nordmann, Storgata 5"])
    ex = extract(data, "skannet.pdf")
    assert ex.meta["ocr_pages"] == [1]
    assert "Kari Nordmann" in ex.text and "Søknad" in ex.text  # the Norwegian model reads ø


def test_docx_body_table_header_footer():
    data = make_docx(
        body=["Første avsnitt."],
        table=[["Navn", "Kari Nordmann"]],
        header="Topptekst Unntatt",
        footer="Bunntekst side 1",
        split_run=("Ola ", "Nord", "mann"),
    )
    ex = extract(data, "brev.docx")
    for part in ("Første avsnitt.", "Kari Nordmann", "Topptekst Unntatt", "Bunntekst side 1", "Ola Nordmann"):
        assert part in ex.text


def test_eml_subject_and_body():
    ex = extract(make_eml("Søknad om barnehageplass", "Hei, jeg søker plass for Ola."), "melding.eml")
    assert "Søknad om barnehageplass" in ex.text and "jeg søker plass for Ola" in ex.text


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"", "tom.txt", "tom"),  # empty file
        (b"   \n\n", "blank.txt", "tom"),  # only whitespace
        (bytes(range(256)) * 50, "junk.bin", "binære data"),  # binary junk
        (b"%PDF-1.7\n" + b"\x00garbage" * 100, "skadet.pdf", "skadet"),  # corrupt PDF
        (b"this is not a pdf", "feil.pdf", "ikke en gyldig PDF"),  # wrong extension
        (b"PK\x03\x04broken zip", "skadet.docx", "skadet"),  # corrupt DOCX
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "bilde.png", "støttes ikke"),  # unsupported format
    ],
)
def test_bad_input_gives_norwegian_error(data, name, message):
    with pytest.raises(InvalidInput) as err:
        extract(data, name)
    assert message in err.value.message


def test_encrypted_pdf_refused():
    data = make_pdf([["Hemmelig"]], password="hemmelig")
    with pytest.raises(InvalidInput) as err:
        extract(data, "kryptert.pdf")
    assert "kryptert" in err.value.message


def test_docx_zip_bomb_refused_before_reading():
    data = make_zip_bomb_docx(30)
    assert len(data) < 100 * 1024  # 30 MB of zeros packs to a few dozen KB: refused by ratio
    with pytest.raises(InvalidInput) as err:
        extract(data, "bombe.docx")
    assert "zip-bombe" in err.value.message


def test_size_limit():
    with pytest.raises(PayloadTooLarge):
        extract(b"a" * 2048, "stor.txt", max_bytes=1024)


def test_sniff_by_content_not_name():
    assert sniff_format(make_pdf([["x"]]), "uten-endelse") == "pdf"
    assert sniff_format(make_docx(body=["x"]), None) == "docx"
    assert sniff_format(make_eml("Emne", "Tekst"), None) == "email"
    assert sniff_format("Hei".encode(), None) == "text"
