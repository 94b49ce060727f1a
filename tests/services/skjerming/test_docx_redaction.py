"""DOCX redaction against the layouts that leaked before: a finding over two paragraphs, Shift+Enter
line breaks (``w:br``), a tab or the next run right after the number; text only in footnotes, endnotes,
comments or headers. Each check reads every XML part of the output (``extract_everything_docx``)."""

from __future__ import annotations

import pytest
from tests.ingest.makers import docx_from_xml, extract_everything_docx, wp, wt

from kommuneki.core.errors import InvalidInput
from kommuneki.ingest import extract
from kommuneki.services.skjerming.redact import MARK, redact
from kommuneki.services.skjerming.service import analyse_text

FNR = "26078704828"


def redact_as_proposed(data: bytes) -> tuple[str, bytes]:
    """What `skjerming redact` does: extract, assess, withhold the proposal."""
    text = extract(data, "brev.docx").text
    spans = [(a.finding.start, a.finding.end) for _i, a in analyse_text(text).withheld("innsyn")]
    assert spans, "the proposal withholds something"
    return text, redact(data, "brev.docx", text, spans).data


@pytest.mark.parametrize(
    "paragraphs",
    [
        [wp(wt("Fødselsnummer:"), "<w:br/>", wt(f"{FNR} er oppgitt."))],  # Shift+Enter before
        [wp(wt(f"Fnr. {FNR}"), "<w:br/>", wt("Neste linje."))],  # Shift+Enter after
        [wp(wt(f"Fnr. {FNR}"), "<w:tab/>", wt("kr 200"))],  # a tab after the number
        [wp(wt(f"Fnr. {FNR}"), wt("Hei"))],  # the next run starts right after the number
        [wp(wt("Fnr. 260787"), wt("04828"), "<w:br/>", wt("x"))],  # the number over two runs and a break
    ],
    ids=["br-before", "br-after", "tab-after", "run-after", "split-and-br"],
)
def test_number_is_gone_whatever_surrounds_it(paragraphs):
    data = docx_from_xml("".join(paragraphs))
    _text, out = redact_as_proposed(data)
    assert FNR not in extract_everything_docx(out)
    assert "260787" not in extract(out, "x.docx").text
    assert MARK in extract(out, "x.docx").text


def test_a_finding_over_two_paragraphs():
    data = docx_from_xml(wp(wt("Søker bor i Storgata 12")) + wp(wt("0155 Oslo og søker om støtte.")))
    text = extract(data, "brev.docx").text
    start = text.index("Storgata")
    end = text.index("Oslo") + len("Oslo")
    out = redact(data, "brev.docx", text, [(start, end)]).data
    after = extract(out, "x.docx").text
    assert "Storgata" not in after and "0155" not in after and "Oslo" not in after
    assert after.startswith(f"Søker bor i {MARK}") and "og søker om støtte." in after


@pytest.mark.parametrize("where", ["footnotes", "endnotes", "comments", "header"])
def test_text_in_footnotes_endnotes_comments_and_headers_is_screened(where):
    inner = wp(wt(f"Klagerens fødselsnummer er {FNR}."))
    if where in ("footnotes", "endnotes"):
        tag = where[:-1]
        inner = f'<w:{tag} w:id="1">{inner}</w:{tag}>'
    elif where == "comments":
        inner = f'<w:comment w:id="0" w:author="Saksbehandler">{inner}</w:comment>'
    data = docx_from_xml(wp(wt("Brev uten personopplysninger i brødteksten.")), **{where: inner})
    text = extract(data, "brev.docx").text
    assert FNR in text  # screened: the text of that part is in the extraction
    _text, out = redact_as_proposed(data)
    assert FNR not in extract_everything_docx(out)


def test_a_document_whose_text_is_only_in_footnotes_is_not_refused():
    data = docx_from_xml(
        wp(),
        footnotes=f'<w:footnote w:id="1">{wp(wt(f"Fødselsnummer {FNR}"))}</w:footnote>',
    )
    assert FNR in extract(data, "fotnote.docx").text


def test_doctype_in_app_xml_is_refused_in_norwegian():
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
        ']><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Company>&lol2;</Company></Properties>"
    )
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><Properties '
        'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Company>&x;</Company></Properties>"
    )
    for app in (laughs, xxe):
        data = docx_from_xml(wp(wt(f"Fnr. {FNR}")), app_xml=app)
        with pytest.raises(InvalidInput, match="DOCTYPE"):
            extract(data, "brev.docx")
        with pytest.raises(InvalidInput, match="DOCTYPE"):
            redact(data, "brev.docx", f"Fnr. {FNR}", [(5, 16)])
