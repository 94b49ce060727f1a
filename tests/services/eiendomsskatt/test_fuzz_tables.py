"""Fuzzing the table reader of eiendomsskatt (CSV and .xlsx) from the regression corpus and its
mutations: only a table or InvalidInput with a Norwegian message may come out."""

from __future__ import annotations

from hypothesis import given
from tests.fuzz_support import FUZZ, assert_domain_error_or_result, mutated

from kommuneki.services.eiendomsskatt.engine.mapping import read_table


@FUZZ
@given(mutated("csv"))
def test_fuzz_read_table_csv(data):
    assert_domain_error_or_result(lambda: read_table(data, "salg.csv"))


@FUZZ
@given(mutated("xlsx"))
def test_fuzz_read_table_xlsx(data):
    assert_domain_error_or_result(lambda: read_table(data, "salg.xlsx"))
