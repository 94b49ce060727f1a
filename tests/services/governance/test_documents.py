"""DPIA and ROS: prefilled from the register and the model cards, the parts a person must write
marked, exported as DOCX and PDF whose text is read back; versions kept and audited."""

from __future__ import annotations

import io

import pytest

from kommuneki.core import audit
from kommuneki.core.errors import InvalidInput
from kommuneki.services.governance import documents, service

from .conftest import cli, require

# Rendering does not depend on the database; the register's storage is tested on both in test_register.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _docx_text(data: bytes) -> str:
    from docx import Document

    d = Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def _pdf_text(data: bytes) -> str:
    try:
        from pypdf import PdfReader
    except ImportError:
        PdfReader = None  # noqa: N806 - the class, or None when pypdf is missing
    require(PdfReader is not None, "pypdf (reads the exported PDF back)", "pip install -e '.[test]'")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _malform(platform, tid):
    return next(s for s in service.overview(platform, cli(tid))["systems"] if s["key"] == "service:malform")


@pytest.mark.parametrize("doc_type", ["dpia", "ros", "fria"])
def test_exported_files_hold_the_prefilled_facts_and_the_marked_parts(gov, doc_type):
    platform, ids = gov
    tid = ids["demo"]
    p = cli(tid)
    system = _malform(platform, tid)
    card = platform.registry.get("malform").model_cards()[0]
    doc = service.generate_document(platform, p, system["id"], doc_type)
    assert doc["version"] == 1
    open_parts = documents.todos(doc["content"])
    assert open_parts and all(not t["answer"] for t in open_parts)
    docx_bytes, media, name = service.export_document(platform, p, doc["id"], "docx")
    pdf_bytes, pdf_media, _ = service.export_document(platform, p, doc["id"], "pdf")
    assert media.endswith("wordprocessingml.document") and pdf_media == "application/pdf"
    assert name == f"{doc_type}-service-malform-v1.docx" and pdf_bytes.startswith(b"%PDF")
    facts = [
        system["name"],
        "Demo kommune",
        card["name"],
        card["limitations"][0],
        "Postmottak og arkiv",
        "Art. 6 nr. 1 bokstav e, jf. arkivlova og mållova",
        "Minimal risiko",
        "art. 4",
    ]
    for label, text in (("docx", _docx_text(docx_bytes)), ("pdf", " ".join(_pdf_text(pdf_bytes).split()))):
        for fact in facts:
            assert fact in text, (label, fact)
        assert text.count(documents.TODO_MARK) >= len(open_parts) // 2, label
    with platform.db.tenant_session(tid) as session:
        exported = [
            audit.decoded_data(e) for e in audit.query(session, tid, event="governance.document_exported")
        ]
    assert sorted(e["format"] for e in exported) == ["docx", "pdf"]


def test_answers_make_a_new_version_and_regenerating_keeps_them(gov):
    platform, ids = gov
    tid = ids["demo"]
    p = cli(tid)
    sid = _malform(platform, tid)["id"]
    v1 = service.generate_document(platform, p, sid, "dpia")
    answer = "Vurdert av personvernombudet 1. desember; ingen innvendinger."
    v2 = service.generate_document(
        platform, p, sid, "dpia", answers={"dpia.dpo_advice": answer, "dpia.r1.p": "Lav"}
    )
    assert v2["version"] == 2
    text = _docx_text(service.export_document(platform, p, v2["id"], "docx")[0])
    assert answer in text and "Lav" in text
    # nothing changed since: generating again returns the same version
    assert service.generate_document(platform, p, sid, "dpia")["version"] == 2
    # the register changes: a new version, prefilled anew, with the written answers carried over
    service.update(platform, p, sid, {"owner_person": "Arkivleder"})
    v3 = service.generate_document(platform, p, sid, "dpia")
    assert v3["version"] == 3
    answers = {t["id"]: t["answer"] for t in documents.todos(v3["content"])}
    assert answers["dpia.dpo_advice"] == answer
    assert "Arkivleder" in _docx_text(service.export_document(platform, p, v3["id"], "docx")[0])
    old = service.document(platform, p, v1["id"])  # older versions are kept as they were
    assert all(not t["answer"] for t in old["todos"])
    with pytest.raises(InvalidInput):
        service.generate_document(platform, p, sid, "dpia", answers={"no.such.part": "x"})
    with pytest.raises(InvalidInput):
        service.export_document(platform, p, v1["id"], "odt")
    with platform.db.tenant_session(tid) as session:
        versions = [
            audit.decoded_data(e)["version"]
            for e in audit.query(session, tid, event="governance.document_generated")
        ]
    assert versions == [1, 2, 3]


def test_external_system_ros_names_the_supplier_risk(gov):
    platform, ids = gov
    tid = ids["demo"]
    copilot = next(
        s for s in service.overview(platform, cli(tid))["systems"] if s["name"] == "Microsoft 365 Copilot"
    )
    doc = service.generate_document(platform, cli(tid), copilot["id"], "ros")
    text = _docx_text(service.export_document(platform, cli(tid), doc["id"], "docx")[0])
    assert "Leverandøren endrer modell eller vilkår" in text and "Microsoft" in text


def test_fria_for_a_high_risk_system_says_it_is_required(gov):
    platform, ids = gov
    p = cli(ids["demo"])
    sid = service.add_external(platform, p, {"name": "Vurdering av sosialhjelp", "status": "pilot"})["id"]
    service.run_assessment(
        platform,
        p,
        sid,
        {
            "ki_system": "ja",
            "role": "idriftsetter",
            "prohibited": [],
            "area": "ytelser",
            "individual": "enkeltpersoner",
            "narrow_task": "nei",
            "profiling": "ja",
            "interacts": "nei",
            "generates": "nei",
            "publishes_text": "nei",
            "emotion": "nei",
            "gpai": "nei",
            "public_body": "ja",
        },
    )
    doc = service.generate_document(platform, p, sid, "fria")
    text = _docx_text(service.export_document(platform, p, doc["id"], "docx")[0])
    assert (
        "klassifisert som høyrisiko" in text and "art. 27" in text and "Høy risiko" in text and "5a" in text
    )
    assert text.count(documents.TODO_MARK) >= 10
