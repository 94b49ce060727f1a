"""Parsing real-world mail: lenient on broken mail (recorded as defects), strict only on non-mail."""

from __future__ import annotations

import io
import zipfile

import pytest
from pm_helpers import make_eml

from kommuneki.core.errors import InvalidInput
from kommuneki.ingest import extract
from kommuneki.ingest.email import parse_message, split_mbox


def test_plain_message_headers_and_body():
    m = parse_message(make_eml("Søknad om tiltak", "Hei, vedlagt søknad.\nMvh Kari"))
    assert m.subject == "Søknad om tiltak"
    assert (m.sender, m.sender_address) == ("Kari Nordmann", "kari.nordmann@gmail.com")
    assert m.message_id == "<fast-1@example.test>"
    assert m.date.isoformat() == "2025-04-01T09:00:00+02:00"
    assert "vedlagt søknad" in m.body and m.defects == []


@pytest.mark.parametrize(
    "raw, defect",
    [
        # no Date, no Message-ID: still a message, the gaps are recorded
        (b"From: a@b.no\r\nSubject: hei\r\n\r\ntekst\r\n", "missing-date"),
        (b"From: a@b.no\r\nSubject: hei\r\n\r\ntekst\r\n", "missing-message-id"),
        # a Date header that is not a date
        (b"From: a@b.no\r\nDate: i morgen\r\nSubject: x\r\n\r\ny\r\n", "bad-date"),
        # a charset Python does not know: decoded as UTF-8/cp1252 instead, recorded
        (
            b"From: a@b.no\r\nSubject: x\r\nContent-Type: text/plain; "
            b"charset=x-ukjent\r\n\r\nbl\xe5b\xe6r\r\n",
            "charset:x-ukjent",
        ),
    ],
)
def test_broken_mail_is_read_and_defects_recorded(raw, defect):
    m = parse_message(raw)
    assert defect in m.defects


def test_8bit_header_and_wrong_charset_are_repaired():
    # raw Latin-1 bytes in the Subject (no RFC 2047 encoding) and a body declared UTF-8 but in cp1252
    raw = (
        b"From: =?utf-8?q?P=C3=A5l?= <pal@x.no>\r\nSubject: S\xf8knad om barnehageplass\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nVi s\xf8ker om plass i \xe5r.\r\n"
    )
    m = parse_message(raw)
    assert m.subject == "Søknad om barnehageplass"
    assert m.sender == "Pål"
    assert "søker om plass i år" in m.body


def test_nested_eml_and_zip_listing_without_extraction():
    inner = make_eml("Indre melding", "Dette er den videresendte teksten.", message_id="<inner@x>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("nuller.bin", b"\x00" * 5_000_000)  # compresses ~1000:1: a bomb-like ratio
    boundary = "BOUND"
    raw = (
        (
            f"From: a@b.no\r\nSubject: Fwd\r\nMessage-ID: <outer@x>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n--{boundary}\r\n"
            f"Content-Type: text/plain\r\n\r\nSe vedlegg.\r\n--{boundary}\r\nContent-Type: "
            f"message/rfc822\r\n\r\n"
        ).encode()
        + inner
        + f"\r\n--{boundary}\r\nContent-Type: application/zip; name=a.zip\r\nContent-Disposition: "
        f"attachment; filename=a.zip\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n".encode()
        + __import__("base64").encodebytes(buf.getvalue())
        + f"\r\n--{boundary}--\r\n".encode()
    )
    m = parse_message(raw)
    nested = next(a for a in m.attachments if a.content_type == "message/rfc822")
    assert nested.nested.subject == "Indre melding"
    assert "videresendte teksten" in m.full_text
    z = next(a for a in m.attachments if a.filename == "a.zip")
    assert z.text is None and "utpakkingsbombe" in z.note


@pytest.mark.parametrize("data", [b"", b"   ", b"%PDF-1.7 binary junk without headers"])
def test_not_a_message_is_refused_clearly(data):
    with pytest.raises(InvalidInput) as exc:
        parse_message(data)
    assert "e-post" in exc.value.message or "tom" in exc.value.message


def test_mbox_split_and_dispatch():
    mbox = (
        b"From a@b Tue Apr  1 09:00:00 2025\n"
        + make_eml("En", "første\n>From here")
        + b"\nFrom c@d Tue Apr  1 10:00:00 2025\n"
        + make_eml("To", "andre", message_id="<2@x>")
    )
    parts = split_mbox(mbox)
    assert [parse_message(p).subject for p in parts] == ["En", "To"]
    assert "From here" in parse_message(parts[0]).body
    assert extract(mbox, "inbox.mbox").meta == {"format": "mbox", "messages": 2}
    assert extract(make_eml("Hei", "tekst"), "a.eml").meta["subject"] == "Hei"


def test_outlook_msg_from_properties_and_from_transport_headers():
    from pm_helpers import make_msg

    props = {
        "0037": "Søknad om barnehageplass",
        "1000": "Vi søker om plass for Emma fra august.",
        "0C1A": "Kari Nordmann",
        "0C1F": "kari@example.no",
    }
    m = parse_message(make_msg(props), "soknad.msg")
    assert (m.format, m.subject, m.sender, m.sender_address) == (
        "msg",
        "Søknad om barnehageplass",
        "Kari Nordmann",
        "kari@example.no",
    )
    assert "plass for Emma" in m.body and "no-transport-headers" in m.defects
    headers = (
        "From: Ola <ola@example.no>\r\nSubject: =?utf-8?q?Klage_p=C3=A5_vedtak?=\r\n"
        "Date: Tue, 01 Apr 2025 09:00:00 +0200\r\nMessage-ID: <msg-1@example.no>\r\nAuto-Submitted: no\r\n"
    )
    m2 = parse_message(make_msg({**props, "007D": headers}), "klage.msg")
    assert (m2.subject, m2.sender_address, m2.message_id) == (
        "Klage på vedtak",
        "ola@example.no",
        "<msg-1@example.no>",
    )
    assert m2.date.isoformat() == "2025-04-01T09:00:00+02:00" and "plass for Emma" in m2.body
    assert extract(make_msg(props), "soknad.msg").meta["format"] == "msg"


def test_broken_msg_is_refused_clearly():
    with pytest.raises(InvalidInput) as exc:
        parse_message(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "x.msg")
    assert "Outlook" in exc.value.message
