"""Batches of chunk tasks (``core.tasks.submit_chunks``): one batch job, one queue task per chunk.
Progress is the share of chunks done, a stop cancels the chunks not yet run, a failing chunk is retried
and then fails its batch with the reason; workers interleave tenants (a small batch of one tenant does
not hold back another's single job); a worker killed mid-chunk with SIGKILL on a real broker is replaced
and nothing is lost or done twice. The batch here is skjerming's screening batch."""

from __future__ import annotations

import signal
import time

import pytest
from sqlalchemy import func, select

from kommuneki.core import accounts, jobs, queue, tasks
from kommuneki.core.models import AuditEntry, Item, Job, Suggestion
from kommuneki.services.skjerming import service as skjerming

LETTER = (
    "Søknad om startlån. Søker Kari Nordmann, fødselsnummer 01017012345, bor i Storgata 1, 0155 Oslo, "
    "telefon 912 34 567. Hun har tidligere hatt sosialhjelp og er under behandling for depresjon. "
)


def _tenant(platform, slug: str = "ko") -> int:
    with platform.db.installation_session() as session:
        return accounts.create_tenant(session, slug=slug, name=f"{slug} kommune", actor="test").id


def _documents(platform, tenant_id: int, n: int, size: int = 1) -> list[int]:
    return [
        skjerming.store_document(
            platform,
            tenant_id,
            (LETTER * size + f"Saksnummer 2026/{i}.").encode(),
            filename=f"d{i}.txt",
            actor="test",
        )
        for i in range(n)
    ]


def _run_messages(platform) -> list[str]:
    """What one worker does, in this process: take each message off the queue and run a job for it (a
    delayed message — a retry — goes to the queue's schedule, as Huey's consumer puts it)."""
    huey = platform.task_queue.huey
    ended = []
    while (task := huey.dequeue()) is not None:
        if huey.ready_to_run(task):
            ended.append(queue.run_job(platform, platform.task_queue, *task.args))
        else:
            huey.add_schedule(task)
    return ended


def _due_retries(platform) -> None:
    """Move the delayed messages now due onto the queue, as a consumer's scheduler does."""
    for task in platform.task_queue.huey.read_schedule():
        platform.task_queue.huey.enqueue(task)


def _count(platform, tenant_id: int, model, *where) -> int:
    with platform.db.read_session(tenant_id) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_batch_is_one_job_whose_chunks_are_queue_tasks(sqlite_queued):
    platform = sqlite_queued
    tenant_id = _tenant(platform)
    ids = _documents(platform, tenant_id, 5)
    batch = tasks.submit_chunks(
        platform,
        tenant_id,
        skjerming.BATCH_TASK,
        tasks.chunked(ids, size=2, actor="test"),
        actor="test",
        result_url="/skjerming",
    )
    job = jobs.get(platform, tenant_id, batch)
    assert job["state"] == "queued" and job["chunks"] == 3 and job["state_label"] == "I kø"
    assert platform.task_queue.pending() == 3  # one message per chunk, none for the batch itself
    task = platform.task_queue.huey.dequeue()
    assert queue.run_job(platform, platform.task_queue, *task.args) == "done"
    job = jobs.get(platform, tenant_id, batch)
    assert job["state"] == "running" and job["active"]
    assert job["progress"] == pytest.approx(1 / 3) and job["message"] == "1 av 3 deler ferdig"
    assert _run_messages(platform) == ["done", "done"]
    job = jobs.get(platform, tenant_id, batch)
    assert job["state"] == "done" and job["progress"] == 1.0 and job["result_url"] == "/skjerming"
    assert job["result"]["screened"] == 5 and job["result"]["chunks"] == 3
    assert job["message"].startswith("5 dokumenter gjennomgått")
    assert _count(platform, tenant_id, Item, Item.id.in_(ids), Item.state == "screened") == 5
    assert _count(platform, tenant_id, Suggestion, Suggestion.item_id.in_(ids)) == 10  # innsyn + internett
    # the batch is audited once (started with its chunk count, finished), not every chunk
    started = _count(platform, tenant_id, AuditEntry, AuditEntry.event == "job.started")
    finished = _count(
        platform,
        tenant_id,
        AuditEntry,
        AuditEntry.event == "job.finished",
        AuditEntry.subject_id == str(batch),
    )
    assert (started, finished) == (1, 1)
    with platform.db.read_session(tenant_id) as session:
        chunks = session.execute(
            select(Job.chunk, Job.state, Job.attempts).where(Job.parent_id == batch).order_by(Job.chunk)
        ).all()
    assert [tuple(c) for c in chunks] == [(0, "done", 1), (1, "done", 1), (2, "done", 1)]


def test_a_failing_chunk_is_retried_and_then_fails_its_batch_with_the_reason(sqlite_queued):
    platform = sqlite_queued
    tenant_id = _tenant(platform)
    good = _documents(platform, tenant_id, 2)
    chunks = [{"item_ids": [good[0]]}, {"item_ids": ["ikke et nummer"]}, {"item_ids": [good[1]]}]
    batch = tasks.submit_chunks(platform, tenant_id, skjerming.BATCH_TASK, chunks, actor="test")
    assert _run_messages(platform) == ["done", "queued", "done"]  # the bad chunk is put back
    assert jobs.get(platform, tenant_id, batch)["state"] == "running"
    for _retry in range(queue.MAX_ATTEMPTS - 1):
        time.sleep(queue.retry_delay_s(platform.settings, queue.MAX_ATTEMPTS))  # its backoff
        _due_retries(platform)
        _run_messages(platform)
    job = jobs.get(platform, tenant_id, batch)
    assert job["state"] == "failed" and not job["active"]
    assert job["error"].startswith("Del 2 av 3 stoppet etter 3 forsøk: Jobben stoppet på grunn av en intern")
    assert _count(platform, tenant_id, AuditEntry, AuditEntry.event == "job.retried") == 2
    # the chunks that could run did: one bad chunk costs its own work only
    assert _count(platform, tenant_id, Item, Item.id.in_(good), Item.state == "screened") == 2


def test_stopping_a_batch_cancels_the_chunks_not_yet_run(sqlite_queued):
    platform = sqlite_queued
    tenant_id = _tenant(platform)
    ids = _documents(platform, tenant_id, 6)
    batch = tasks.submit_chunks(
        platform, tenant_id, skjerming.BATCH_TASK, tasks.chunked(ids, size=2), actor="test"
    )
    task = platform.task_queue.huey.dequeue()
    assert queue.run_job(platform, platform.task_queue, *task.args) == "done"
    assert queue.cancel(platform, tenant_id, batch, actor="user:1") == "cancelled"
    assert _run_messages(platform) == ["skipped", "skipped"]
    job = jobs.get(platform, tenant_id, batch)
    assert job["state"] == "cancelled" and job["state_label"] == "Stoppet av bruker"
    assert _count(platform, tenant_id, Item, Item.id.in_(ids), Item.state == "screened") == 2
    assert _count(platform, tenant_id, Item, Item.id.in_(ids), Item.state == "received") == 4


def test_without_a_queue_the_chunks_run_in_one_thread_job_with_the_same_result(platform):
    tenant_id = _tenant(platform)
    ids = _documents(platform, tenant_id, 3)
    batch = skjerming.submit_batch(platform, tenant_id, ids, actor="test")
    job = jobs.wait(platform, tenant_id, batch, timeout=60)
    assert job["state"] == "done" and job["result"]["screened"] == 3


@pytest.mark.parametrize("queued", ["sqlite"], indirect=True)
def test_another_tenants_job_is_run_before_the_200th_document_of_a_big_batch(queued):
    """Real worker process, one thread: tenant A's 200 documents (20 chunks) are queued first, then B's
    single document; B's is done after at most A's second chunk, long before A's batch is."""
    a, b = _tenant(queued, "ka"), _tenant(queued, "kb")
    a_ids = _documents(queued, a, 200)
    a_batch = skjerming.submit_batch(queued, a, a_ids, actor="test")
    b_ids = _documents(queued, b, 1)
    b_batch = skjerming.submit_batch(queued, b, b_ids, actor="test")
    queued.start_worker()
    b_job = jobs.wait(queued, b, b_batch, timeout=120)
    assert b_job["state"] == "done"
    with queued.db.read_session(a) as session:
        a_chunks = session.execute(select(Job.state, Job.finished_at).where(Job.parent_id == a_batch)).all()
    with queued.db.read_session(b) as session:
        b_done = session.scalar(select(Job.finished_at).where(Job.id == b_batch))
    assert len(a_chunks) == 20
    a_done_before_b = [c for c in a_chunks if c.state == "done" and c.finished_at <= b_done]
    assert len(a_done_before_b) <= 2  # at most 20 of A's documents, not 200
    assert jobs.wait(queued, a, a_batch, timeout=300)["result"]["screened"] == 200


def test_a_worker_killed_mid_chunk_is_replaced_and_no_document_is_lost_or_doubled(queued):
    tenant_id = _tenant(queued)
    n, size = 40, skjerming.BATCH_CHUNK
    ids = _documents(queued, tenant_id, n, size=8)
    batch = skjerming.submit_batch(queued, tenant_id, ids, actor="test")
    first = queued.start_worker()
    deadline = time.monotonic() + 120
    while True:  # kill it inside a chunk: part of a chunk's documents screened, not the whole chunk
        done = _count(queued, tenant_id, Item, Item.id.in_(ids), Item.state == "screened")
        if 2 <= done % size <= size - 2 and done < n - size:
            break
        assert time.monotonic() < deadline, "the worker never got going"
        assert jobs.get(queued, tenant_id, batch)["state"] != "done", "the batch finished before the kill"
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    partly = _count(queued, tenant_id, Item, Item.id.in_(ids), Item.state == "screened")
    assert 0 < partly < n
    queued.start_worker()
    job = jobs.wait(queued, tenant_id, batch, timeout=180)
    assert job["state"] == "done", job
    result = job["result"]
    assert result["screened"] + result["skipped"] == n and result["skipped"] > 0  # the rerun's skips
    # every document screened once: two suggestions (innsyn, internett) and their audit entries each
    assert _count(queued, tenant_id, Item, Item.id.in_(ids), Item.state == "screened") == n
    with queued.db.read_session(tenant_id) as session:
        per_item = session.execute(
            select(Suggestion.item_id, func.count())
            .where(Suggestion.item_id.in_(ids))
            .group_by(Suggestion.item_id)
        ).all()
    assert len(per_item) == n and {k for _item, k in per_item} == {2}
    assert _count(queued, tenant_id, AuditEntry, AuditEntry.event == "suggestion.created") == 2 * n
    # the killed chunk was put back (on a loaded machine a slow heartbeat may add a retry: harmless, as
    # the counts above show)
    assert _count(queued, tenant_id, AuditEntry, AuditEntry.event == "job.retried") >= 1


def test_a_message_is_a_turn_the_worker_runs_the_fairest_job_of_the_job_table(sqlite_queued):
    platform = sqlite_queued
    a, b = _tenant(platform, "ka"), _tenant(platform, "kb")
    a_batch = tasks.submit_chunks(
        platform, a, skjerming.BATCH_TASK, tasks.chunked(_documents(platform, a, 3), size=1), actor="test"
    )
    b_batch = skjerming.submit_batch(platform, b, _documents(platform, b, 1), actor="test")
    order = []
    while platform.task_queue.huey.dequeue() is not None:  # each message: one claim
        claimed = queue.claim_next(platform)
        if claimed is None:
            continue
        order.append((claimed.tenant_id, claimed.parent_id))
        with platform.db.tenant_session(claimed.tenant_id) as session:  # as if it ran and ended
            session.get(Job, claimed.job_id).state = "done"
    # A's first chunk (the oldest job), then B (never served), then the rest of A
    assert order == [(a, a_batch), (b, b_batch), (a, a_batch), (a, a_batch)]
