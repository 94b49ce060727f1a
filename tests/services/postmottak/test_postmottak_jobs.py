"""Imports and training on the workers (``postmottak.import``, ``postmottak.train``; core.tasks): message
files are stored at once and triaged in chunk tasks, history files are stored as the tenant's items and
trained on by a task — started from the API and from the pages, progress on ``/jobber/{id}``, and run
again without doing anything twice. On a real worker process (SQLite broker) too."""

from __future__ import annotations

import csv
import io
import json

import pytest
from pm_helpers import make_eml
from sqlalchemy import func, select
from tests.core.conftest import queued  # noqa: F401 - the fixture: a real broker and worker processes

from kommuneki.core import accounts, jobs
from kommuneki.core.models import Item, Job, ModelVersion, Suggestion
from kommuneki.demo import DEMO_UNITS
from kommuneki.ingest.email import parse_message
from kommuneki.services.postmottak import corpus, service
from kommuneki.services.postmottak.models import PostmottakMessage

LAWFUL_BASIS = "GDPR art. 6 (1) e, arkivlova § 6 – vedtak 2025/17"


def _messages(n: int, tag: str) -> list[bytes]:
    return [
        make_eml(
            f"Hull i veien {tag}{i}", f"Det er et hull i veien ved nummer {i}.", message_id=f"<{tag}{i}@x>"
        )
        for i in range(n)
    ]


def _count(platform, tid, model, *where) -> int:
    with platform.db.read_session(tid) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _job_id(response) -> int:
    assert response.status_code in (202, 303), response.text
    if response.status_code == 303:
        return int(response.headers["location"].rsplit("/", 1)[1])
    return response.json()["job_id"]


def test_an_import_through_the_api_is_triaged_as_a_batch_and_a_second_import_adds_nothing(pm_client, tenant):
    platform, tid = tenant
    c = pm_client("arkivar")
    raws = _messages(3, "api")
    mbox = b"".join(
        b"From x@y Tue Apr  1 09:00:00 2025\n" + r.replace(b"\r\n", b"\n") for r in _messages(2, "mb")
    )
    files = [("files", (f"m{i}.eml", raw, "message/rfc822")) for i, raw in enumerate(raws)]
    files.append(("files", ("samling.mbox", mbox, "application/mbox")))
    job_id = _job_id(c.post("/api/v1/postmottak/imports", files=files))
    job = jobs.wait(platform, tid, job_id)
    assert job["state"] == "done", job
    assert job["result"]["triaged"] == 5 and job["result"]["skipped"] == 0
    assert job["message"] == "5 meldinger sortert, 0 kunne ikke leses, 0 var sortert fra før."
    assert _count(platform, tid, PostmottakMessage, PostmottakMessage.state == "triaged") == 5
    suggested = _count(platform, tid, Suggestion)
    assert suggested >= 5

    again = jobs.wait(platform, tid, _job_id(c.post("/api/v1/postmottak/imports", files=files)))
    assert again["state"] == "done" and again["result"]["skipped"] == 5 and again["result"]["triaged"] == 0
    assert _count(platform, tid, PostmottakMessage) == 5 and _count(platform, tid, Suggestion) == suggested

    refused = c.post("/api/v1/postmottak/imports", files=[("files", ("notat.txt", b"hei", "text/plain"))])
    assert refused.status_code == 422 and "bare .eml, .msg og .mbox" in refused.json()["error"]["message"]


def test_the_inbox_page_imports_files_onto_the_job_page(pm_client, tenant):
    platform, tid = tenant
    c = pm_client("saksbehandler")
    assert 'action="/postmottak/import"' in c.get("/postmottak").text
    r = c.post(
        "/postmottak/import",
        files=[("filer", ("a.eml", _messages(1, "side")[0], "message/rfc822"))],
        follow_redirects=False,
    )
    job_id = _job_id(r)
    assert r.headers["location"] == f"/jobber/{job_id}"
    assert jobs.wait(platform, tid, job_id)["state"] == "done"
    assert "Import av e-post til postmottaket" in c.get(f"/jobber/{job_id}").text


def _history_csv(n: int) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";")
    w.writerow(["action", "unit", "dokumenttype", "delete_reason", "subject", "from", "body"])
    for m in corpus.generate(n, split="train", seed=11):
        p = parse_message(m.raw)
        lab = m.labels
        w.writerow(
            [lab["action"], lab["unit"] or "", lab["dokumenttype"] or "", lab.get("delete_reason") or "",
             p.subject, p.header("from"), p.body]
        )  # fmt: skip
    return buf.getvalue().encode("utf-8")


def test_training_from_the_page_runs_as_a_job_and_registers_the_model_once(pm_client, tenant):
    platform, tid = tenant
    c = pm_client("admin")
    assert "/postmottak/trening" in c.get("/postmottak").text
    assert c.get("/postmottak/trening").status_code == 200
    data = _history_csv(120)
    refused = c.post("/postmottak/trening", files=[("historikk", ("h.csv", data, "text/csv"))])
    assert "rettslige grunnlaget" in refused.text  # nothing stored, nothing started
    assert _count(platform, tid, Item, Item.kind == service.HISTORY_KIND) == 0
    assert _count(platform, tid, Job, Job.service == "postmottak") == 0
    service.update_settings(platform, tid, "test", lawful_basis=LAWFUL_BASIS)

    job_id = _job_id(
        c.post(
            "/postmottak/trening", files=[("historikk", ("h.csv", data, "text/csv"))], follow_redirects=False
        )
    )
    job = jobs.wait(platform, tid, job_id, timeout=600)
    assert job["state"] == "done", job
    result = job["result"]
    assert result["messages"] == 120 and result["already"] is False
    with platform.db.read_session(tid) as s:
        assert service.current_model(s, tid).version == result["version"]
    assert result["version"] in c.get("/postmottak/trening").text
    with platform.db.read_session(tid) as s:
        stored = list(s.scalars(select(Item.id).where(Item.kind == service.HISTORY_KIND)))
    assert len(stored) == 1  # the history, kept as the tenant's item for the worker
    # run again with the same payload (its worker died after registering): nothing registered twice
    payload = {"item_ids": stored, "version": result["version"], "actor": "test"}
    assert service.train_task(platform, tid, payload, lambda *a: None)["already"] is True
    assert _count(platform, tid, ModelVersion, ModelVersion.tenant_id == tid) == 1

    saksbehandler = pm_client("saksbehandler")  # training is the KI-ansvarlig's or admin's
    assert (
        saksbehandler.post("/api/v1/postmottak/trainings", files=[("files", ("h.csv", data))]).status_code
        == 403
    )


@pytest.mark.parametrize("queued", ["sqlite"], indirect=True)
def test_an_import_of_two_chunks_runs_on_a_real_worker(queued):
    platform = queued
    with platform.db.installation_session() as s:
        tid = accounts.create_tenant(s, slug="imp", name="Import kommune", actor="test").id
    with platform.db.tenant_session(tid) as s:
        for code, name, addr, desc in DEMO_UNITS:
            accounts.create_unit(s, tid, code=code, name=name, email=addr, description=desc, actor="t")
    n = service.IMPORT_CHUNK + 5
    pm_ids = service.store_messages(
        platform,
        tid,
        [(f"{i}.eml", raw) for i, raw in enumerate(_messages(n, "w"))],
        source="test",
        actor="test",
    )
    job_id = service.submit_import(platform, tid, pm_ids, actor="test")
    platform.start_worker()
    job = jobs.wait(platform, tid, job_id, timeout=600)
    assert job["state"] == "done", job
    assert job["result"]["triaged"] == n and job["result"]["chunks"] == 2
    assert _count(platform, tid, PostmottakMessage, PostmottakMessage.state == "triaged") == n


def test_the_cli_submits_an_import_and_waits_for_it(tenant, tmp_path):
    from click.testing import CliRunner

    from kommuneki.cli import main

    platform, tid = tenant
    folder = tmp_path / "post"
    folder.mkdir()
    for i, raw in enumerate(_messages(2, "cli")):
        (folder / f"{i}.eml").write_bytes(raw)
    args = ["--data-dir", str(platform.settings.data_dir), "--database-url", platform.settings.database_url]
    run = CliRunner().invoke(
        main, [*args, "postmottak", "import", str(folder), "--tenant", "pmtest", "--submit", "--json"]
    )
    assert run.exit_code == 0, run.output
    out = json.loads(run.stdout)
    # no queue in the tests (task_queue = thread): the CLI waits, or the job would die with it
    assert out["job"]["state"] == "done" and out["result"]["triaged"] == 2 and len(out["messages"]) == 2
    assert _count(platform, tid, PostmottakMessage, PostmottakMessage.state == "triaged") == 2
