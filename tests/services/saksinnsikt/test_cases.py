"""Outcome suggestions at indexing, similar cases grouped by outcome, and the dense embedding task
(background, through core.tasks; BM25 answers while it runs)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from kommuneki.core import jobs
from kommuneki.core.models import Suggestion
from kommuneki.services.saksinnsikt import service
from kommuneki.services.saksinnsikt.models import SaksDocument, SaksPassage

VEDTAK = {
    "v1.txt": "Vedtak. Søknaden om dispensasjon for garasje nær nabogrensen innvilges, jf. plan- og "
    "bygningsloven § 19-2.",
    "v2.txt": "Vedtak. Søknaden om dispensasjon for carport nær nabogrensen innvilges med hjemmel i plan- og "
    "bygningsloven § 19-2.",
    "v3.txt": "Vedtak. Søknaden om dispensasjon for bod nær nabogrensen avslås, jf. plan- og bygningsloven "
    "§ 19-2. Ulempene for naboen er for store.",
    "annet.txt": "Referat fra møte i eldrerådet om sykehjemsplasser.",
}


def _folder(tmp_path):
    folder = tmp_path / "vedtak"
    folder.mkdir()
    for name, text in VEDTAK.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_vedtak_get_an_outcome_suggestion_with_its_evidence_span(sak_tenant, tmp_path):
    platform, tid, _ = sak_tenant
    service.import_folder(platform, tid, _folder(tmp_path), actor="test")
    with platform.db.tenant_session(tid) as s:
        docs = {d.external_id: d for d in s.scalars(select(SaksDocument))}
        v3 = docs["file:v3.txt"]
        assert v3.outcome is None  # a suggestion, not a fact
        ev = v3.outcome_evidence
        assert ev["suggested"] == "avslatt" and ev["hjemmel"] == "plan- og bygningsloven § 19-2"
        assert "avslås" in VEDTAK["v3.txt"][ev["start"] : ev["end"]]
        assert docs["file:annet.txt"].outcome_evidence == {}
        kinds = [x.kind for x in s.scalars(select(Suggestion))]
        assert kinds.count("saksinnsikt.outcome") == 3


def test_similar_cases_are_grouped_by_outcome_with_counts_and_decisive_passages(sak_tenant, tmp_path):
    platform, tid, make_user = sak_tenant
    service.import_folder(platform, tid, _folder(tmp_path), actor="test")
    user = make_user("lik")
    found = service.similar_cases(
        platform, user, text="Søknad om dispensasjon for garasje nær nabogrensen", record=True
    )
    assert found["summary"] == "3 like saker: 2 innvilget, 1 avslått"
    assert found["counts"] == {"innvilget": 2, "avslatt": 1}
    assert "ikke gjeldende rett" in found["caveat"]
    first = found["cases"][0]
    assert first["hjemmel"] == "plan- og bygningsloven § 19-2" and first["decisive"]["text"]
    with platform.db.tenant_session(tid) as s:
        assert s.get(Suggestion, found["suggestion_id"]).kind == "saksinnsikt.similar"


def test_embedding_runs_as_a_background_task_and_bm25_answers_meanwhile(sak_tenant, tmp_path):
    platform, tid, make_user = sak_tenant
    folder = tmp_path / "to"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Brøyting av kommunale veier starter ved ti centimeter snø.", encoding="utf-8"
    )
    (folder / "b.txt").write_text("Søppeltømming skjer annenhver uke i sentrum.", encoding="utf-8")
    service.import_folder(platform, tid, folder, actor="test")
    user = make_user("vekt")
    before = service.search(platform, user, "brøyting snø", method="hybrid")
    assert before["results"][0]["text"].startswith("Brøyting")  # BM25 while no vector exists
    job = service.submit_embedding(platform, tid, actor="test")
    assert jobs.wait(platform, tid, job, timeout=180)["state"] == "done"
    with platform.db.tenant_session(tid) as s:
        assert s.scalar(select(func.count(SaksPassage.id)).where(SaksPassage.embedding.is_(None))) == 0
    dense = service.search(platform, user, "når blir veiene ryddet for snø om vinteren", method="dense")
    assert dense["results"][0]["text"].startswith("Brøyting")
    assert service.submit_embedding(platform, tid, actor="test") is None  # nothing left to embed
    assert "snø" not in json.dumps(dense["results"][0]["document"])
