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


def test_a_sender_address_with_non_ascii_letters_is_kept_as_a_name():
    """Found by atheris (10 minutes of `bench/fuzz_parsers.py --only history-noark`): a
    korrespondansepart's e-mail address with «ü» made `formataddr` raise UnicodeEncodeError and stopped
    the whole import. The address is now kept as the sender's name; the record is read."""
    data = (
        Path(__file__).resolve().parents[2] / "regression_corpus" / "noark" / "non-ascii-sender-address.xml"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "arkivstruktur.xml"
        path.write_bytes(data.read_bytes())
        assert_domain_error_or_result(lambda: history.from_noark(path))
    import email
    from email import policy

    raw = history.message_bytes("Søknad", "Jürgen <jürgen@exämple.no>", "Tekst")
    sender = email.message_from_bytes(raw, policy=policy.default)["From"]
    assert "jürgen@exämple.no" in str(sender)
