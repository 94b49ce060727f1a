"""Fuzzing the ingest parsers (e-mail, DOCX, PDF): from the regression corpus and its mutations, only a
result or the domain's invalid-input error with a Norwegian message may come out. 300 derandomized
examples each; the longer, coverage-guided run is bench/fuzz_parsers.py (atheris)."""

from __future__ import annotations

from hypothesis import given

from kommuneki.ingest import extract
from kommuneki.ingest.email import parse_message
from kommuneki.ingest.pdf import pdf_layout
from tests.fuzz_support import FUZZ, assert_domain_error_or_result, mutated


@FUZZ
@given(mutated("email"))
def test_fuzz_email(data):
    assert_domain_error_or_result(lambda: parse_message(data))


@FUZZ
@given(mutated("docx"))
def test_fuzz_docx(data):
    assert_domain_error_or_result(lambda: extract(data, "fuzz.docx"))


@FUZZ
@given(mutated("pdf"))
def test_fuzz_pdf(data):
    # the text layer only: OCR of scanned pages is Tesseract's own parser and slow
    assert_domain_error_or_result(lambda: pdf_layout(data, ocr=False, boxes=False))
