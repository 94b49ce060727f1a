"""Fuzzing the history readers of postmottak (CSV and Noark 5 arkivstruktur.xml) from the regression
corpus and its mutations: only a result or InvalidInput with a Norwegian message may come out."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from tests.fuzz_support import FUZZ, assert_domain_error_or_result, mutated

from kommuneki.services.postmottak import history


def _in_file(data: bytes, name: str, read) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        assert_domain_error_or_result(lambda: read(path))


@FUZZ
@given(mutated("csv"))
def test_fuzz_history_csv(data):
    _in_file(data, "historikk.csv", history.from_csv)


@FUZZ
@given(mutated("noark"))
def test_fuzz_history_noark(data):
    _in_file(data, "arkivstruktur.xml", lambda p: history.from_noark(p, documents=True))
