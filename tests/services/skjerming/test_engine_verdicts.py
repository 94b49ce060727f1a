"""The skjerming engine: from findings to the innsyn and internet verdicts and the proposals. Findings
are built by hand here so the rules are tested on their own, independent of the detectors."""

from __future__ import annotations

from datetime import date

import jsonschema
import pytest

from kommuneki.core.suggestions import EXPLANATION_BASE_SCHEMA
from kommuneki.services.skjerming import TITLE_EXPLANATION_SCHEMA, VERDICT_EXPLANATION_SCHEMA, engine, legal
from kommuneki.text.pii import Finding


def at(text: str, needle: str, ftype: str, score: float = 0.9, **kw) -> Finding:
    s = text.index(needle)
    return Finding(ftype, s, s + len(needle), needle, score, {"detector": "test"}, **kw)


def test_fodselsnummer_alone_partial_with_offl_26_and_off_the_internet():
    text = "Fakturaen gjelder fødselsnummer 26078704828 og ble sendt i mars."
    a = engine.assess(text, [at(text, "26078704828", "FODSELSNUMMER")])
    assert a.decision == "partial" and a.internet == "partial"
    f = a.findings[0]
    assert f.innsyn.label == "offl. § 26 (5)"
    assert "§ 7" in f.internett.label and "bokstav c" in f.internett.label


def test_name_alone_is_not_withheld():
    # names are not withheld by default: a name in a byggesak letter is public
    text = "Kari Nordmann har søkt om tillatelse til å bygge garasje."
    a = engine.assess(text, [at(text, "Kari Nordmann", "PERSON")])
    assert a.decision == "publish" and a.internet == "publish"
    assert a.findings[0].reason == "not_linked"


def test_name_near_health_is_withheld_with_fvl_13():
    text = "Kari Nordmann har diabetes og trenger hjemmesykepleie. Saken gjelder også veien."
    findings = [
        at(text, "Kari Nordmann", "PERSON"),
        at(text, "diabetes", "SAERLIG_KATEGORI", category="HELSE"),
    ]
    a = engine.assess(text, findings)
    name, diag = a.findings
    assert name.innsyn.label == "offl. § 13 jf. fvl. § 13 (1) nr. 1" and name.linked_to == [1]
    assert diag.innsyn.id == "offl13_fvl13_1_1"
    assert diag.internett.id == "offf7_b"  # GDPR art. 9 data stay off the internet


def test_name_far_from_health_in_other_paragraph_is_not_withheld():
    text = "Kari Nordmann er saksbehandler.\n\n" + "Annen tekst. " * 40 + "\n\nOla Hansen har diabetes."
    findings = [
        at(text, "Kari Nordmann", "PERSON"),
        at(text, "Ola Hansen", "PERSON"),
        at(text, "diabetes", "SAERLIG_KATEGORI", category="HELSE"),
    ]
    a = engine.assess(text, findings)
    assert a.findings[0].innsyn is None and a.findings[1].innsyn is not None


def test_public_role_is_not_withheld():
    text = "Ordfører Per Hansen uttalte seg om rusomsorgen i kommunen."
    findings = [
        at(text, "Per Hansen", "PERSON", public_role=True),
        at(text, "rusomsorgen", "SAERLIG_KATEGORI", category="HELSE"),
    ]
    a = engine.assess(text, findings)
    assert a.findings[0].innsyn is None and a.findings[0].reason == "public_role"
    # no private person is identified, so the health term is general, not personal circumstances
    assert a.findings[1].innsyn is None and a.decision == "publish"


def test_mostly_confidential_document_is_withheld_whole():
    text = "Kari Nordmann er under barnevernets omsorg. Hun har depresjon. Hun får sosialhjelp."
    findings = [
        at(text, "Kari Nordmann", "PERSON"),
        at(text, "barnevernets omsorg", "SAERLIG_KATEGORI", category="BARNEVERN"),
        at(text, "depresjon", "SAERLIG_KATEGORI", category="HELSE"),
        at(text, "sosialhjelp", "SAERLIG_KATEGORI", category="SOSIAL"),
    ]
    a = engine.assess(text, findings)
    assert a.decision == "withhold" and a.internet == "withhold"
    assert a.whole_document.id == "offl12_c" and a.share == 1.0


def test_orgnr_is_public():
    text = "Leverandør: Eksempel AS, org.nr. 974760673."
    a = engine.assess(text, [at(text, "974760673", "ORGNR")])
    assert a.decision == "publish" and a.findings[0].reason == "not_confidential"


def test_proposals_match_the_declared_schemas():
    text = "Kari Nordmann (26078704828) har diabetes."
    findings = [
        at(text, "Kari Nordmann", "PERSON"),
        at(text, "26078704828", "FODSELSNUMMER"),
        at(text, "diabetes", "SAERLIG_KATEGORI", category="HELSE"),
    ]
    props = engine.proposals(text, engine.assess(text, findings))
    assert [p.kind for p in props] == [engine.KIND_INNSYN, engine.KIND_INTERNETT]
    for p in props:
        jsonschema.validate(p.explanation, EXPLANATION_BASE_SCHEMA)
        jsonschema.validate(p.explanation, VERDICT_EXPLANATION_SCHEMA)
        assert 0 <= p.confidence <= 1
    innsyn = props[0]
    assert {(w["start"], w["end"]) for w in innsyn.value["withheld"]} == {(f.start, f.end) for f in findings}
    assert {h["id"] for h in innsyn.explanation["hjemler"]} == {"offl13_fvl13_1_1", "offl26_5"}
    assert all(h["sources"] and h["valid_from"] for h in innsyn.explanation["hjemler"])


@pytest.mark.parametrize(
    "title, findings, expected",
    [
        # name + health in the title: the name goes
        (
            "Søknad om hjemmesykepleie - Kari Nordmann",
            [("Kari Nordmann", "PERSON", {}), ("hjemmesykepleie", "SAERLIG_KATEGORI", {"category": "HELSE"})],
            "Søknad om hjemmesykepleie - *****",
        ),
        # name in a byggesak title: stays (names are not withheld by default)
        (
            "Byggesøknad garasje - Kari Nordmann",
            [("Kari Nordmann", "PERSON", {})],
            "Byggesøknad garasje - Kari Nordmann",
        ),
    ],
)
def test_offentlig_tittel(title, findings, expected):
    fs = [at(title, n, t, **kw) for n, t, kw in findings]
    p = engine.propose_title(title, fs)
    assert p.value == {"offentlig_tittel": expected}
    jsonschema.validate(p.explanation, TITLE_EXPLANATION_SCHEMA)


def test_hjemler_are_data_with_source_and_dates():
    version, table = legal.load()
    assert version and len(table) >= 5
    for h in table:
        assert h.sources and all(s.startswith("https://") for s in h.sources)
        assert h.valid_from <= date.today()
    # a hjemmel is used only while in force
    assert (
        legal.hjemmel_for("FODSELSNUMMER", None, "innsyn", personal_context=False, day=date(2008, 12, 31))
        is None
    )


def test_bad_hjemler_table_refused():
    with pytest.raises(ValueError):
        legal.parse(
            {
                "hjemler": [
                    {
                        "id": "x",
                        "label": "x",
                        "text": "x",
                        "scope": "nowhere",
                        "when": "always",
                        "sources": ["https://lovdata.no"],
                        "valid_from": "2009-01-01",
                    }
                ]
            }
        )
