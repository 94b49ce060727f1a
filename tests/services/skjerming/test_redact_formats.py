"""Redaction really removes the text. The check, for each format: nothing extracted from the redacted
file — text, metadata, comments, tracked changes, attachments, raw streams — contains a withheld string."""

from __future__ import annotations

import shutil

import pytest
from tests.conftest import require
from tests.ingest.makers import (
    extract_everything_docx,
    extract_everything_pdf,
    make_docx,
    make_pdf,
    make_scanned_pdf,
)

from kommuneki.ingest import extract
from kommuneki.services.skjerming.redact import MARK, redact, sweep_pattern
from kommuneki.services.skjerming.redact.txt import redact_text

NAME = "Kari Nordmann"
FNR = "26078704828"
DIAG = "diabetes"


def spans_of(text: str, *needles: str) -> list[tuple[int, int]]:
    out = []
    for n in needles:
        s = text.index(n)
        out.append((s, s + len(n)))
    return out


def test_txt_spans_and_further_occurrences():
    text = f"Hei {NAME}, fnr. {FNR}.\nVi har snakket med {NAME} igjen. Kari er ikke nevnt alene."
    out, report = redact_text(text, spans_of(text, NAME, FNR))
    assert NAME not in out and FNR not in out
    assert out.startswith(f"Hei {MARK}, fnr. {MARK}.")
    assert report["further_occurrences"] == 1 and "Kari er ikke nevnt alene" in out


def test_txt_whitespace_variants_are_swept():
    # the same name broken over a line elsewhere is still the withheld string
    pattern = sweep_pattern([NAME])
    assert pattern.sub(MARK, "til Kari\nNordmann.") == f"til {MARK}."
    assert pattern.sub(MARK, "Karianne Nordmannsen") == "Karianne Nordmannsen"  # word boundaries


def test_txt_via_dispatch_from_cp1252_bytes():
    text = f"Søknad fra {NAME} om støtte."
    data = text.encode("cp1252")
    extracted = extract(data, "brev.txt").text
    result = redact(data, "brev.txt", extracted, spans_of(extracted, NAME))
    assert result.filename == "brev-skjermet.txt"
    assert NAME not in result.data.decode("utf-8") and "Søknad fra" in result.data.decode("utf-8")


def test_docx_removes_text_everywhere():
    data = make_docx(
        body=[f"Vedtak for {NAME}, fødselsnummer {FNR}.", "Dette avsnittet er offentlig."],
        table=[["Pasient", NAME], ["Diagnose", DIAG]],
        header=f"Unntatt offentlighet – {NAME}",
        footer=f"Saksnummer 2025/17 – {FNR}",
        split_run=("Navnet står i flere løp: Kari ", "Nord", "mann."),
        comment=("Kommentert avsnitt.", f"Husk å ringe {NAME} om {DIAG}"),
        inserted=f"innsatt tekst om {NAME}",
        deleted=f"slettet tekst om {NAME} og {DIAG}",
        core={
            "author": NAME,
            "title": f"Vedtak {NAME}",
            "subject": DIAG,
            "keywords": FNR,
            "last_modified_by": NAME,
            "comments": DIAG,
        },
        custom={"Pasientnavn": NAME, "Fnr": FNR},
    )
    before = extract_everything_docx(data)
    assert all(s in before for s in (NAME, FNR, DIAG))  # the test file really holds them everywhere
    text = extract(data, "vedtak.docx").text
    spans = spans_of(text, NAME, FNR, DIAG)
    result = redact(data, "vedtak.docx", text, spans)
    after = extract_everything_docx(result.data)
    for s in (NAME, FNR, DIAG, "Kari Revisor"):
        assert s not in after, s
    assert "Dette avsnittet er offentlig." in extract(result.data, "x.docx").text
    assert "innsatt tekst om" in after  # insertion accepted, name removed from it
    assert "slettet tekst" not in after  # deletion gone with its text
    assert "comments.xml" not in after and "docProps/custom.xml" not in after
    assert result.report["replacements"] >= 6


def _pdf_with_everything() -> bytes:
    return make_pdf(
        [
            [f"Vedtak for {NAME}", f"Fødselsnummer {FNR}.", "Denne linjen er offentlig."],
            [f"Side to nevner {NAME} og {DIAG}."],
        ],
        title=f"Vedtak {NAME}",
        author=NAME,
        annotation=f"Merknad: {NAME} har {DIAG}",
        attachment=f"Vedlegg om {NAME}, {FNR}".encode(),
    )


def test_pdf_removes_text_metadata_annotations_attachments():
    data = _pdf_with_everything()
    before = extract_everything_pdf(data)
    assert all(s in before for s in (NAME, FNR, DIAG))
    text = extract(data, "vedtak.pdf").text
    result = redact(data, "vedtak.pdf", text, spans_of(text, NAME, FNR, DIAG), text_layer=False)
    after = extract_everything_pdf(result.data)
    for s in (NAME, FNR, DIAG, "Nordmann"):
        assert s not in after, s
    assert result.report["boxes_painted"] > 0 and result.report["further_occurrences"] >= 1
    assert result.report["pages"] == 2


def test_pdf_with_ocr_text_layer_keeps_the_rest_searchable():
    require(
        shutil.which("tesseract") is not None, "Tesseract", "apt-get install tesseract-ocr tesseract-ocr-nor"
    )
    # the FreeText annotation is drawn on the page but is not in the text layer: it must not survive
    data = make_pdf(
        [[f"Vedtak for {NAME}", f"Fødselsnummer {FNR}.", "Denne linjen er offentlig."]],
        free_text=f"Merknad om {NAME}",
    )
    text = extract(data, "vedtak.pdf").text
    result = redact(data, "vedtak.pdf", text, spans_of(text, NAME, FNR), text_layer=True)
    after = extract_everything_pdf(result.data)
    assert NAME not in after and FNR not in after and "Nordmann" not in after
    assert "offentlig" in extract(result.data, "x.pdf").text  # the OCR layer reads what is left
    assert result.report["text_layer"] == "ocr"


def test_scanned_pdf_redacted_through_ocr_boxes():
    require(
        shutil.which("tesseract") is not None, "Tesseract", "apt-get install tesseract-ocr tesseract-ocr-nor"
    )
    data = make_scanned_pdf(["Søknad om støtte fra", f"{NAME}, Storgata 5"])
    text = extract(data, "skannet.pdf").text
    assert NAME in text
    result = redact(data, "skannet.pdf", text, spans_of(text, NAME), text_layer=True)
    again = extract(result.data, "x.pdf").text
    assert "Nordmann" not in again and "Kari" not in again
    assert "Storgata" in again  # what was not withheld is still there


def test_bad_span_refused():
    from kommuneki.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        redact(b"kort tekst", "a.txt", "kort tekst", [(3, 99)])
