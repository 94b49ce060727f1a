"""The independent check after every redaction: a file from which a withheld string or any
fødselsnummer can still be read is refused, with a Norwegian error naming where; the CLI and the page
say "verifisert fjernet" only after the check."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from tests.ingest.makers import docx_from_xml, make_pdf, wp, wt

from kommuneki.cli import main
from kommuneki.ingest import extract
from kommuneki.services.skjerming.redact import redact
from kommuneki.services.skjerming.redact.verify import RedactionNotVerified, verify

FNR = "26078704828"
NAME = "Kari Nordmann"


def test_docx_with_a_number_in_a_part_nobody_screens_is_not_handed_out():
    chart = (
        '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        f"<c:v>Søker {FNR}</c:v></c:chartSpace>"
    )
    data = docx_from_xml(wp(wt(f"Vedtak for {NAME}.")), extra={"word/charts/chart1.xml": chart})
    text = extract(data, "vedtak.docx").text
    start = text.index(NAME)
    with pytest.raises(RedactionNotVerified) as err:
        redact(data, "vedtak.docx", text, [(start, start + len(NAME))])
    assert "word/charts/chart1.xml" in err.value.message and "fødselsnummer 260787*****" in err.value.message
    assert FNR not in err.value.message  # the error does not become the leak


def test_text_with_a_number_left_out_of_the_spans_is_refused():
    text = f"Søker {NAME} har fødselsnummer {FNR}."
    start = text.index(NAME)
    with pytest.raises(RedactionNotVerified, match="fødselsnummer 260787"):
        redact(text.encode(), "brev.txt", text, [(start, start + len(NAME))])


def test_verify_reads_pdf_text_metadata_and_annotations():
    page_text = make_pdf([[f"Fødselsnummer {FNR}"]])
    with pytest.raises(RedactionNotVerified, match="side 1"):
        verify(page_text, "pdf", [])
    meta = make_pdf([["Offentlig tekst."]], title=f"Vedtak {NAME}")
    with pytest.raises(RedactionNotVerified, match="metadata"):
        verify(meta, "pdf", [NAME])
    annotated = make_pdf([["Offentlig tekst."]], annotation=f"Merknad om {NAME}")
    with pytest.raises(RedactionNotVerified, match="merknader på side 1"):
        verify(annotated, "pdf", [NAME])
    assert verify(make_pdf([["Offentlig tekst."]]), "pdf", [NAME])["verified"]


def test_whitespace_and_run_splits_do_not_hide_a_string():
    split = docx_from_xml(wp(wt("Kari"), wt("Nordmann")) + wp(wt("Kari")) + wp(wt("Nordmannsen")))
    with pytest.raises(RedactionNotVerified, match="word/document.xml"):
        verify(split, "docx", [NAME])
    bergen = docx_from_xml(wp(wt("Berg"), wt("en er en by.")))
    assert verify(bergen, "docx", ["Berg"])["verified"]  # word boundaries: Bergen is not Berg


def test_cli_says_verified_only_after_the_check(tmp_path):
    src = tmp_path / "inn"
    src.mkdir()
    (src / "brev.txt").write_text(f"Søker med fødselsnummer {FNR} får svar.", encoding="utf-8")
    r = CliRunner().invoke(main, ["skjerming", "redact", str(src), "--out", str(tmp_path / "ut")])
    assert r.exit_code == 0, r.output
    assert "verifisert fjernet" in r.output
