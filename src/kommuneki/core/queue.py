"""Long work in worker processes, on a real task queue (Huey; see docs/adr/0006-task-queue.md).

The web process records a job row (``queued``) and puts one message on the queue; a worker process
(``kommuneki worker``, or the one ``kommuneki serve`` starts beside the web server) takes it, claims the
row and runs the declared task (``TaskSpec``) with the stored JSON payload. The broker is chosen by the
setting ``task_queue``:

* ``sqlite`` (the embedded default): Huey's SQLite storage, a file ``<data_dir>/queue.sqlite3`` beside
  the database — nothing to install;
* ``redis://host:port/db``: Huey's Redis storage (a shared installation);
* ``postgresql://…``: Huey's PostgreSQL storage (a shared installation without Redis);
* ``thread``: no queue — the job runs in a thread of the process that submitted it (``core/jobs.py``);
  for tests and one-off commands.

Delivery. Huey takes a message off the queue when a worker dequeues it (there is no visibility timeout),
so a 30-minute task is never handed to a second worker while the first is alive. Worker death is caught
here instead: a running job's worker writes a heartbeat to the queue's key-value store every
:data:`HEARTBEAT_S` seconds; :func:`reap` (run by every worker every few seconds) puts a job whose
heartbeat is older than ``job_stale_after_s`` back on the queue with a growing delay, at most
:data:`MAX_ATTEMPTS` runs in all, then fails it with its reason — never stuck "running". A duplicate
message is harmless: a run starts only by claiming the row (``queued`` → ``running`` with a fresh run
token, one UPDATE), and a run that lost its token (reaped) cannot write the job's end. Tasks themselves
must be idempotent: they write their results in one transaction, or skip what an earlier run stored.

Progress lives in the queue's key-value store too (``job:<id>``), not in the database: on SQLite a task
holding the write lock must not wait for its own progress writes.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from . import audit
from .db import utcnow
from .errors import DomainError, log_safe_traceback
from .models import Job
from .registry import resolve

if TYPE_CHECKING:
    from huey import Huey

    from ..config import Settings
    from .platform import Platform

log = logging.getLogger("kommuneki.queue")

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
HEARTBEAT_S = 2.0
MAX_ATTEMPTS = 3  # the first run and at most two retries
PROGRESS_EVERY_S = 0.5
CANCEL_CHECK_EVERY_S = 1.0
WAITING = "Venter på en ledig arbeider …"
CANCELLED_MESSAGE = "Jobben ble avbrutt."
WORKER_DIED = (
    "Arbeideren som kjørte jobben stoppet {n} ganger uten å bli ferdig. Jobben er ikke kjørt ferdig; "
    "det som var lagret før den startet er tatt vare på. Start den igjen, og kontakt den som drifter "
    "tjenesten hvis det skjer igjen."
)
RETRYING = "Arbeideren stoppet. Prøver igjen (forsøk {n} av {total}) …"
QUEUE_DOWN = (
    "Køen for bakgrunnsjobber svarer ikke. Prøv igjen om litt, eller kontakt den som drifter tjenesten."
)
FINISHED = "Ferdig."
INTERNAL_ERROR = (
    "Jobben stoppet på grunn av en intern feil. Feilen er logget. Prøv igjen, og kontakt "
    "den som drifter tjenesten hvis det skjer igjen."
)
TASK_NAME = "kommuneki.run_job"


class JobCancelled(Exception):
    """Raised inside a task by its progress call when a user has asked to cancel the job."""


def uses_queue(settings: Settings) -> bool:
    return settings.task_queue != "thread"


def make_huey(settings: Settings) -> Huey:
    """The Huey instance for the configured broker (the same in the web process and every worker)."""
    from huey import PostgresHuey, RedisHuey, SqliteHuey

    target = settings.task_queue
    name = "kommuneki"
    if target == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(settings.data_dir / "queue.sqlite3"), utc=True)
    if target.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=target, utc=True)
    if target.startswith(("postgresql://", "postgres://")):
        return PostgresHuey(name, dsn=target, utc=True)
    raise ValueError(f"unknown task_queue {target!r}")  # the settings validator refuses it first


class TaskQueue:
    """The queue of one process: enqueues jobs (web) and, given a platform, runs them (worker)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.huey = make_huey(settings)
        self.platform: Platform | None = None  # set in a worker process
        self._run = self.huey.task(name=TASK_NAME)(self._run_job)

    # --- the web side -------------------------------------------------------------------------------

    def enqueue(self, job_id: int, tenant_id: int, *, delay: float = 0) -> None:
        if delay > 0:
            self._run.schedule((job_id, tenant_id), delay=delay)
        else:
            self._run(job_id, tenant_id)

    def progress(self, job_id: int) -> dict[str, Any] | None:
        """What the worker last said of a running job: progress, message, heartbeat (epoch s), token."""
        try:
            return self.huey.get(_key(job_id), peek=True)
        except Exception:  # noqa: BLE001 - progress is a courtesy; the row still says what is known
            log.warning("job %s: could not read progress from the queue", job_id, exc_info=True)
            return None

    def pending(self) -> int:
        return self.huey.pending_count()

    # --- the worker side ----------------------------------------------------------------------------

    def _run_job(self, job_id: int, tenant_id: int) -> None:
        platform = self.platform
        if platform is None:  # a web process never runs tasks
            raise RuntimeError("TaskQueue.platform is not set in this process")
        run_job(platform, self, job_id, tenant_id)

    def beat(self, job_id: int, token: str, progress: float, message: str) -> None:
        self.huey.put(
            _key(job_id),
            {
                "token": token,
                "progress": progress,
                "message": message,
                "beat": time.time(),
                "pid": os.getpid(),
            },
        )

    def forget(self, job_id: int) -> None:
        try:
            self.huey.delete(_key(job_id))
        except Exception:  # noqa: BLE001
            log.warning("job %s: could not clear its progress", job_id, exc_info=True)

    def consumer(self, workers: int = 1):
        return self.huey.create_consumer(workers=workers, worker_type="thread", periodic=True)


def _key(job_id: int) -> str:
    return f"job:{job_id}"


def submit(
    platform: Platform,
    tenant_id: int,
    *,
    task: str,
    service: str,
    title: str,
    actor: str,
    payload: dict[str, Any],
    result_url: str | None,
    failure_url: str | None,
    schedule_run: int | None = None,
) -> int | None:
    """Record a queued job and put it on the queue; returns the job's id at once. ``schedule_run``: the
    scheduler's n-th run of the task for the tenant (core/schedule.py); the row is unique, so when another
    worker has already inserted that run this records nothing, sends nothing and returns None."""
    try:
        job_id = _insert_job(
            platform,
            tenant_id,
            task=task,
            service=service,
            title=title,
            actor=actor,
            payload=payload,
            result_url=result_url,
            failure_url=failure_url,
            schedule_run=schedule_run,
        )
    except IntegrityError:
        if schedule_run is None:
            raise
        log.info("%s run %s for tenant %s: started by another worker", task, schedule_run, tenant_id)
        return None
    try:
        platform.task_queue.enqueue(job_id, tenant_id)
    except Exception:  # noqa: BLE001 - the job must not stay queued for a message that never went
        log.exception("job %s: could not be put on the queue", job_id)
        _end(platform, tenant_id, job_id, None, actor, service, {"state": FAILED, "error": QUEUE_DOWN})
    return job_id


def submit_chunks(
    platform: Platform,
    tenant_id: int,
    *,
    task: str,
    service: str,
    title: str,
    actor: str,
    chunks: list[dict[str, Any]],
    result_url: str | None,
    failure_url: str | None,
) -> int:
    """Record a batch: one job row for the whole (``chunks`` = how many; never run itself, its progress is
    the share of chunks done) and one queued job row per chunk (``parent_id``, ``chunk``), each put on
    the queue as a task of its own. Returns the batch job's id (``/jobber/{id}``)."""
    if not chunks:
        raise ValueError("a batch needs at least one chunk")
    n = len(chunks)
    with platform.db.tenant_session(tenant_id) as session:
        parent = Job(
            tenant_id=tenant_id,
            service=service,
            title=title,
            state=QUEUED,
            progress=0.0,
            message=WAITING,
            result_url=result_url,
            failure_url=failure_url,
            created_by=actor,
            task=task,
            payload={"chunks": n},
            attempts=0,
            chunks=n,
        )
        session.add(parent)
        session.flush()
        children = [
            Job(
                tenant_id=tenant_id,
                service=service,
                title=f"{title} (del {i + 1} av {n})",
                state=QUEUED,
                progress=0.0,
                message=WAITING,
                created_by=actor,
                task=task,
                payload=payload,
                attempts=0,
                parent_id=parent.id,
                chunk=i,
            )
            for i, payload in enumerate(chunks)
        ]
        session.add_all(children)
        session.flush()
        audit.record(
            session,
            tenant_id,
            "job.started",
            actor=actor,
            subject=("job", parent.id),
            job_id=parent.id,
            service=service,
            chunks=n,
        )
        parent_id, child_ids = parent.id, [c.id for c in children]
    try:
        for child_id in child_ids:
            platform.task_queue.enqueue(child_id, tenant_id)
    except Exception:  # noqa: BLE001 - the batch must not stay queued for messages that never went
        log.exception("batch %s: could not be put on the queue", parent_id)
        _fail_batch(platform, tenant_id, parent_id, QUEUE_DOWN, actor=actor)
    return parent_id


def _insert_job(
    platform: Platform,
    tenant_id: int,
    *,
    task: str,
    service: str,
    title: str,
    actor: str,
    payload: dict[str, Any],
    result_url: str | None,
    failure_url: str | None,
    schedule_run: int | None,
) -> int:
    with platform.db.tenant_session(tenant_id) as session:
        job = Job(
            tenant_id=tenant_id,
            service=service,
            title=title,
            state=QUEUED,
            progress=0.0,
            message=WAITING,
            result_url=result_url,
            failure_url=failure_url,
            created_by=actor,
            task=task,
            payload=payload,
            attempts=0,
            schedule_run=schedule_run,
        )
        session.add(job)
        session.flush()
        audit.record(
            session,
            tenant_id,
            "job.started",
            actor=actor,
            subject=("job", job.id),
            job_id=job.id,
            service=service,
        )
        return job.id


def run_job(platform: Platform, queue: TaskQueue, job_id: int, tenant_id: int) -> str:
    """Run one queued job in this worker — the fairest runnable one (:func:`claim_next`), which is not
    always the one the message named (that one keeps its place in the job table and is run by a later
    message); returns the state the run ended in, or "skipped" when nothing was runnable."""
    claimed = claim_next(platform)
    if claimed is None:
        log.info("message for job %s: no job runnable now (taken, cancelled or done); skipped", job_id)
        return "skipped"
    job_id, tenant_id, token = claimed.job_id, claimed.tenant_id, claimed.token
    spec_name, payload, service, actor = claimed.task, claimed.payload, claimed.service, claimed.actor
    result_url, failure_url = claimed.result_url, claimed.failure_url

    state = {"progress": 0.0, "message": "Starter …"}
    lock = threading.Lock()
    stop = threading.Event()
    last = {"progress": 0.0, "cancel": 0.0}

    def send() -> None:
        with lock:
            progress, message = state["progress"], state["message"]
        try:
            queue.beat(job_id, token, progress, message)
        except Exception:  # noqa: BLE001 - a missed beat is retried; three in a row look like death
            log.warning("job %s: heartbeat failed", job_id, exc_info=True)

    def heartbeat() -> None:
        while not stop.wait(HEARTBEAT_S):
            send()

    def report(fraction: float, message: str | None = None) -> None:
        with lock:
            changed = message is not None and message != state["message"]
            state["progress"] = max(0.0, min(1.0, float(fraction)))
            if message is not None:
                state["message"] = message
        now = time.monotonic()
        if changed or now - last["progress"] >= PROGRESS_EVERY_S:
            last["progress"] = now
            send()
        if now - last["cancel"] >= CANCEL_CHECK_EVERY_S:
            last["cancel"] = now
            if cancel_requested(platform, tenant_id, job_id):
                raise JobCancelled()

    send()
    beat = threading.Thread(target=heartbeat, name=f"kommuneki-job-{job_id}-heartbeat", daemon=True)
    beat.start()

    def call() -> Any:
        spec = platform.registry.task(spec_name or "")
        if spec is None:
            raise DomainError("Oppgaven finnes ikke lenger i denne installasjonen.")
        return resolve(spec.target)(platform, tenant_id, payload, report)

    try:
        final = job_outcome(call, job_id=job_id, service=service)
    finally:
        stop.set()
        beat.join(HEARTBEAT_S + 2)
    if claimed.parent_id is not None:  # a chunk: retried on failure, then its batch settled
        outcome = _end_chunk(platform, queue, claimed, final)
        queue.forget(job_id)
        return outcome
    if final["state"] == DONE:
        final["result_url"] = result_url
    elif final["state"] == CANCELLED:
        final["message"] = CANCELLED_MESSAGE
    if final["state"] in (FAILED, CANCELLED):
        final.setdefault("progress", state["progress"])
        final.setdefault("message", state["message"])
        if failure_url:
            final["result_url"] = failure_url
    _end(platform, tenant_id, job_id, token, actor, service, final)
    queue.forget(job_id)
    return final["state"]


@dataclass(frozen=True)
class Claimed:
    job_id: int
    tenant_id: int
    token: str
    task: str | None
    payload: dict[str, Any]
    service: str
    actor: str
    result_url: str | None
    failure_url: str | None
    parent_id: int | None
    chunk: int | None
    attempts: int


def _runnable(now: datetime) -> tuple[Any, ...]:
    # a batch row is never run itself; a retried job waits for its time (its delayed message is sent
    # for a moment after the row's time, so it finds the job runnable)
    return (
        Job.state == QUEUED,
        Job.task.is_not(None),
        Job.chunks.is_(None),
        Job.cancel_requested.is_(False),
        or_(Job.not_before.is_(None), Job.not_before <= now),
    )


def fair_order(platform: Platform, *, now: datetime | None = None) -> list[tuple[int, int]]:
    """The runnable jobs a worker should try, best first, one per tenant: ``(tenant_id, job_id)`` of each
    tenant's oldest runnable job, the tenants ordered by fewest jobs running now, then by the longest
    since a worker last started one of theirs (a tenant never served comes first). So one tenant's batch
    of a thousand chunks holds at most one worker thread at a time while another tenant waits: the
    other's single job is next whenever a chunk ends — per-tenant round robin, read from the job table."""
    now = now or utcnow()
    with platform.db.read_session(unscoped=True) as session:
        heads = session.execute(
            select(Job.tenant_id, func.min(Job.id)).where(*_runnable(now)).group_by(Job.tenant_id)
        ).all()
        if not heads:
            return []
        tenants = [t for t, _ in heads]
        running = dict(
            session.execute(
                select(Job.tenant_id, func.count())
                .where(
                    Job.state == RUNNING,
                    Job.task.is_not(None),
                    Job.chunks.is_(None),
                    Job.tenant_id.in_(tenants),
                )
                .group_by(Job.tenant_id)
            ).all()
        )
        last = dict(
            session.execute(
                select(Job.tenant_id, func.max(Job.started_at))
                .where(Job.tenant_id.in_(tenants), Job.started_at.is_not(None))
                .group_by(Job.tenant_id)
            ).all()
        )
    heads.sort(key=lambda h: (running.get(h[0], 0), _epoch(last.get(h[0])), h[1]))
    return [(t, j) for t, j in heads]


def claim_next(platform: Platform, *, now: datetime | None = None) -> Claimed | None:
    """Claim the fairest runnable job (:func:`fair_order`) for this worker: ``queued`` → ``running`` with
    a fresh run token, one conditional UPDATE, so two workers never claim the same row (the loser tries
    the next candidate). None when nothing is runnable."""
    for _round in range(5):
        candidates = fair_order(platform, now=now)
        if not candidates:
            return None
        for tenant_id, job_id in candidates:
            claimed = _claim(platform, tenant_id, job_id)
            if claimed is not None:
                return claimed
    return None


def _claim(platform: Platform, tenant_id: int, job_id: int) -> Claimed | None:
    token = secrets.token_hex(16)
    with platform.db.tenant_session(tenant_id) as session:
        now = utcnow()
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == QUEUED, Job.cancel_requested.is_(False))
            .values(
                state=RUNNING,
                run_token=token,
                attempts=Job.attempts + 1,
                updated_at=now,
                started_at=now,
                not_before=None,
            )
        ).rowcount
        if not claimed:
            return None
        job = session.get(Job, job_id)
        if job.parent_id is not None:  # the batch is running once its first chunk is
            session.execute(
                update(Job)
                .where(Job.id == job.parent_id, Job.state == QUEUED)
                .values(state=RUNNING, started_at=now, updated_at=now, message="Starter …")
            )
        return Claimed(
            job_id=job.id,
            tenant_id=tenant_id,
            token=token,
            task=job.task,
            payload=job.payload or {},
            service=job.service,
            actor=job.created_by,
            result_url=job.result_url,
            failure_url=job.failure_url,
            parent_id=job.parent_id,
            chunk=job.chunk,
            attempts=job.attempts,
        )


# --- batches of chunk tasks ---------------------------------------------------------------------------

CHUNK_FAILED = "Del {i} av {n} stoppet etter {attempts} forsøk: {error}"
CHUNKS_DONE = "{done} av {n} deler ferdig"


def _end_chunk(platform: Platform, queue: TaskQueue, claimed: Claimed, final: dict[str, Any]) -> str:
    """A chunk's end: done or cancelled as it is; a failure is retried (with backoff, the same
    :data:`MAX_ATTEMPTS` runs in all as a worker's death) before it fails its batch with the reason."""
    state = final["state"]
    if state == FAILED and claimed.attempts < MAX_ATTEMPTS:
        delay = retry_delay_s(platform.settings, claimed.attempts)
        with platform.db.tenant_session(claimed.tenant_id) as session:
            retried = session.execute(
                update(Job)
                .where(Job.id == claimed.job_id, Job.run_token == claimed.token)
                .values(
                    state=QUEUED,
                    run_token=None,
                    error=final.get("error"),
                    message=RETRYING.format(n=claimed.attempts + 1, total=MAX_ATTEMPTS),
                    not_before=utcnow() + timedelta(seconds=delay),
                    updated_at=utcnow(),
                )
            ).rowcount
            if retried:
                audit.record(
                    session,
                    claimed.tenant_id,
                    "job.retried",
                    actor="system",
                    subject=("job", claimed.job_id),
                    job_id=claimed.job_id,
                    service=claimed.service,
                    attempt=claimed.attempts + 1,
                    batch=claimed.parent_id,
                )
        if retried:
            queue.enqueue(claimed.job_id, claimed.tenant_id, delay=delay)
            return QUEUED
        return "skipped"
    if state == CANCELLED:
        final["message"] = CANCELLED_MESSAGE
    _end(platform, claimed.tenant_id, claimed.job_id, claimed.token, None, claimed.service, final)
    settle_batch(platform, claimed.tenant_id, claimed.parent_id)
    return state


def settle_batch(platform: Platform, tenant_id: int, parent_id: int | None) -> str | None:
    """After a chunk ended: the batch's progress, and — once every chunk has ended — its own end: done
    (the chunks' results merged: ``TaskSpec.merge``, else numbers summed), failed with the first failed
    chunk's reason (the chunks not yet run are cancelled at once), or cancelled. Each chunk's end commits
    before this reads, so of two chunks ending at once at least the later one sees both. Returns the
    batch's state."""
    if parent_id is None:
        return None
    with platform.db.read_session(tenant_id) as session:
        parent = session.get(Job, parent_id)
        if parent is None:
            return None
        n, parent_state, task, service, actor = (
            parent.chunks or 0,
            parent.state,
            parent.task,
            parent.service,
            parent.created_by,
        )
        # counts only (a batch of thousands of chunks is settled after each one); results at the end
        by_state: dict[str, int] = dict(
            session.execute(
                select(Job.state, func.count()).where(Job.parent_id == parent_id).group_by(Job.state)
            ).all()
        )
        first = None
        if by_state.get(FAILED):
            first = session.execute(
                select(Job.chunk, Job.error, Job.attempts)
                .where(Job.parent_id == parent_id, Job.state == FAILED)
                .order_by(Job.chunk)
                .limit(1)
            ).one()
    if parent_state not in (QUEUED, RUNNING):
        return parent_state
    done = by_state.get(DONE, 0)
    if first is not None:
        reason = CHUNK_FAILED.format(
            i=(first.chunk or 0) + 1, n=n, attempts=first.attempts, error=first.error or INTERNAL_ERROR
        )
        _fail_batch(platform, tenant_id, parent_id, reason, actor=actor)
        return FAILED
    ended = done + by_state.get(CANCELLED, 0)
    if ended < n:
        with platform.db.tenant_session(tenant_id) as session:
            session.execute(
                update(Job)
                .where(Job.id == parent_id, Job.state.in_((QUEUED, RUNNING)))
                .values(progress=done / n, message=CHUNKS_DONE.format(done=done, n=n), updated_at=utcnow())
            )
        return RUNNING
    if by_state.get(CANCELLED):
        final: dict[str, Any] = {
            "state": CANCELLED,
            "error": CANCELLED_MESSAGE,
            "message": CANCELLED_MESSAGE,
            "progress": done / n,
        }
    else:
        with platform.db.read_session(tenant_id) as session:
            results = list(
                session.scalars(select(Job.result).where(Job.parent_id == parent_id).order_by(Job.chunk))
            )

        def merged() -> Any:
            spec = platform.registry.task(task or "")
            if spec is not None and spec.merge:
                return resolve(spec.merge)(platform, tenant_id, results)
            return merge_results(results)

        final = job_outcome(merged, job_id=parent_id, service=service)
        if final["state"] == DONE:
            with platform.db.read_session(tenant_id) as session:
                final["result_url"] = session.scalar(select(Job.result_url).where(Job.id == parent_id))
    _end(platform, tenant_id, parent_id, None, actor, service, final, batch=True)
    return final["state"]


def merge_results(results: list[Any]) -> dict[str, Any]:
    """The default result of a batch: every number its chunks returned, summed by key (a chunk's
    ``message`` is its own; the batch's last step is "Ferdig."), and ``chunks``: how many."""
    out: dict[str, Any] = {}
    for result in results:
        if not isinstance(result, dict):
            continue
        for key, value in result.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[key] = out.get(key, 0) + value
    out["chunks"] = len(results)
    return out


def _cancel_chunks(session, parent_id: int) -> None:
    """A batch's chunks not yet run are cancelled at once; a running one stops at its next step."""
    now = utcnow()
    session.execute(
        update(Job)
        .where(Job.parent_id == parent_id, Job.state == QUEUED)
        .values(
            state=CANCELLED,
            cancel_requested=True,
            error=CANCELLED_MESSAGE,
            message=CANCELLED_MESSAGE,
            updated_at=now,
            finished_at=now,
        )
    )
    session.execute(
        update(Job).where(Job.parent_id == parent_id, Job.state == RUNNING).values(cancel_requested=True)
    )


def _fail_batch(platform: Platform, tenant_id: int, parent_id: int, reason: str, *, actor: str) -> None:
    """Fail a batch with the reason and cancel its chunks not yet run (a running one stops at its next
    step)."""
    with platform.db.tenant_session(tenant_id) as session:
        _cancel_chunks(session, parent_id)
        service, failure_url = session.execute(
            select(Job.service, Job.failure_url).where(Job.id == parent_id)
        ).one()
    final = {"state": FAILED, "error": reason}
    if failure_url:
        final["result_url"] = failure_url
    _end(platform, tenant_id, parent_id, None, actor, service, final, batch=True)


def batch_progress(platform: Platform, tenant_id: int, parent_id: int, chunks: int) -> tuple[float, str]:
    """A running batch's progress now: the chunks done, plus what its running chunks' workers last sent."""
    with platform.db.read_session(tenant_id) as session:
        done = session.scalar(
            select(func.count()).select_from(Job).where(Job.parent_id == parent_id, Job.state == DONE)
        )
        running = session.execute(
            select(Job.id, Job.run_token).where(Job.parent_id == parent_id, Job.state == RUNNING)
        ).all()
    partial = 0.0
    for row in running:
        seen = platform.task_queue.progress(row.id) or {}
        if seen.get("token") == row.run_token:
            partial += float(seen.get("progress") or 0.0)
    n = max(1, chunks)
    return min(1.0, (done + partial) / n), CHUNKS_DONE.format(done=done, n=n)


def job_outcome(call: Callable[[], Any], *, job_id: int, service: str) -> dict[str, Any]:
    """Run a job's work and say how it ended — the one place for both runners (this queue's workers and
    ``core/jobs.py``'s threads): ``done`` with the JSON-able result (a result ``message``, a Norwegian
    summary, becomes the last step), ``cancelled``, or ``failed`` with a Norwegian error (a
    :class:`DomainError`'s own message; for anything else a plain one, with the traceback in the log)."""
    try:
        result = json.loads(json.dumps(call(), default=str))
    except JobCancelled:
        return {"state": CANCELLED, "error": CANCELLED_MESSAGE}
    except DomainError as exc:
        return {"state": FAILED, "error": exc.message}
    except Exception as exc:  # noqa: BLE001 - any failure must end the job, not leave it running
        # never the message: it may quote the document, transcript or personal data the job worked on
        log.error("job %s (%s) failed: %s", job_id, service, log_safe_traceback(exc))
        return {"state": FAILED, "error": INTERNAL_ERROR}
    said = result.get("message") if isinstance(result, dict) else None
    return {
        "state": DONE,
        "progress": 1.0,
        "message": said if isinstance(said, str) and said else FINISHED,
        "result": result,
    }


def _end(
    platform: Platform,
    tenant_id: int,
    job_id: int,
    token: str | None,
    actor: str | None,
    service: str,
    final: dict[str, Any],
    *,
    batch: bool = False,
) -> bool:
    """Write a job's end, if this run still owns it (``token``; None: the job was never claimed; with
    ``batch``: a batch row, still queued or running). ``actor`` None: a chunk, whose end is not audited
    (its batch's is)."""
    for attempt in range(3):
        try:
            with platform.db.tenant_session(tenant_id) as session:
                now = utcnow()
                if batch:
                    owned = Job.state.in_((QUEUED, RUNNING))
                elif token is not None:
                    owned = Job.run_token == token
                else:  # a job never claimed (its message could not be sent)
                    owned = Job.state == QUEUED
                done = session.execute(
                    update(Job)
                    .where(Job.id == job_id, owned)
                    .values(**final, updated_at=now, finished_at=now)
                ).rowcount
                if done and actor is not None:
                    audit.record(
                        session,
                        tenant_id,
                        "job.finished",
                        actor=actor,
                        subject=("job", job_id),
                        job_id=job_id,
                        service=service,
                        state=final["state"],
                    )
            return bool(done)
        except Exception:  # noqa: BLE001 - retried; then the reaper finds the job and runs it again
            log.exception("job %s: could not record its end (attempt %d)", job_id, attempt + 1)
            time.sleep(1.0)
    return False


def cancel_requested(platform: Platform, tenant_id: int, job_id: int) -> bool:
    with platform.db.read_session(tenant_id) as session:
        return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def cancel(platform: Platform, tenant_id: int, job_id: int, *, actor: str) -> str:
    """Ask for a job to stop. A queued job is cancelled at once; a running one at its next progress
    call (its task's transaction rolls back). A batch: its chunks not yet run are cancelled at once, a
    running chunk stops at its next step, and the batch ends cancelled when no chunk runs any more.
    Returns the job's state after the request."""
    with platform.db.tenant_session(tenant_id) as session:
        job = session.get(Job, job_id)
        if job is None or job.state not in (QUEUED, RUNNING):
            return job.state if job is not None else "unknown"
        job.cancel_requested = True
        is_batch = job.chunks is not None
        if is_batch:
            _cancel_chunks(session, job_id)
        elif job.state == QUEUED:
            now = utcnow()
            job.state, job.error, job.message = CANCELLED, CANCELLED_MESSAGE, CANCELLED_MESSAGE
            job.updated_at = job.finished_at = now
            audit.record(
                session,
                tenant_id,
                "job.finished",
                actor=actor,
                subject=("job", job_id),
                job_id=job_id,
                service=job.service,
                state=CANCELLED,
            )
        audit.record(session, tenant_id, "job.cancelled", actor=actor, subject=("job", job_id), job_id=job_id)
        state = job.state
    if is_batch:
        return settle_batch(platform, tenant_id, job_id) or state
    return state


def retry_delay_s(settings: Settings, attempts: int) -> float:
    """The wait before run ``attempts + 1``: ``job_retry_delay_s`` doubled for each earlier retry."""
    return settings.job_retry_delay_s * (2 ** max(0, attempts - 1))


def reap(platform: Platform, queue: TaskQueue, *, now: float | None = None) -> dict[str, int]:
    """Find running jobs whose worker has stopped beating; put them back on the queue (with backoff) or,
    after :data:`MAX_ATTEMPTS` runs, fail them with the reason. Safe to run in every worker at once: each
    change is one conditional UPDATE on the run token."""
    now = time.time() if now is None else now
    stale_after = platform.settings.job_stale_after_s
    counts = {"retried": 0, "failed": 0}
    with platform.db.read_session(unscoped=True) as session:
        running = session.execute(
            select(
                Job.id, Job.tenant_id, Job.run_token, Job.attempts, Job.updated_at, Job.service, Job.parent_id
            ).where(Job.state == RUNNING, Job.task.is_not(None), Job.chunks.is_(None))
        ).all()
    for job_id, tenant_id, token, attempts, updated_at, service, parent_id in running:
        seen = queue.progress(job_id)
        if seen and seen.get("token") == token:
            last_beat = float(seen.get("beat") or 0)
        else:  # no beat from this run yet: count from the claim
            last_beat = _epoch(updated_at)
        if now - last_beat <= stale_after:
            continue
        if attempts < MAX_ATTEMPTS:
            delay = retry_delay_s(platform.settings, attempts)
            values = {
                "state": QUEUED,
                "run_token": None,
                "message": RETRYING.format(n=attempts + 1, total=MAX_ATTEMPTS),
                "not_before": utcnow() + timedelta(seconds=delay),
            }
            event, state = "job.retried", QUEUED
        else:
            values = {
                "state": FAILED,
                "run_token": None,
                "error": WORKER_DIED.format(n=attempts),
                "finished_at": utcnow(),
            }
            event, state = "job.finished", FAILED
        with platform.db.tenant_session(tenant_id) as session:
            changed = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == RUNNING, Job.run_token == token)
                .values(**values, updated_at=utcnow())
            ).rowcount
            if not changed:
                continue
            fields: dict[str, Any] = {"job_id": job_id, "service": service}
            if parent_id is not None:
                fields["batch"] = parent_id
            if event == "job.finished":
                fields["state"] = state
            else:
                fields["attempt"] = attempts + 1
            if event == "job.retried" or parent_id is None:  # a chunk's end is its batch's to record
                audit.record(session, tenant_id, event, actor="system", subject=("job", job_id), **fields)
        if state == QUEUED:
            queue.enqueue(job_id, tenant_id, delay=delay)
            counts["retried"] += 1
        else:
            queue.forget(job_id)
            counts["failed"] += 1
            settle_batch(platform, tenant_id, parent_id)
        log.warning("job %s: worker stopped beating; %s", job_id, "retried" if state == QUEUED else "failed")
    return counts


def _epoch(value: datetime | None) -> float:
    if value is None:
        return 0.0
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


class Worker:
    """One worker process: Huey's consumer running queued jobs, plus a reaper thread and a scheduler
    thread (``core/schedule.py``: starts the declared tasks with ``every_s`` when they are due)."""

    def __init__(self, platform: Platform, *, threads: int = 1) -> None:
        self.platform = platform
        self.queue = platform.task_queue
        self.queue.platform = platform
        self.threads = threads
        self._stop = threading.Event()

    def _reaper(self) -> None:
        every = max(1.0, self.platform.settings.job_stale_after_s / 3)
        while not self._stop.wait(every):
            try:
                reap(self.platform, self.queue)
            except Exception:  # noqa: BLE001 - the next round tries again
                log.exception("reaper round failed")

    def _schedule(self) -> None:
        # its own thread, not a Huey periodic task: that would wait in the queue behind a long job
        from . import schedule

        while True:
            try:
                schedule.run_due(self.platform)
            except Exception:  # noqa: BLE001 - the next round tries again
                log.exception("scheduler round failed")
            if self._stop.wait(self.platform.settings.schedule_check_s):
                return

    def run(self) -> None:
        """Run until SIGINT (graceful: running jobs finish) or SIGTERM."""
        try:
            reap(self.platform, self.queue)
        except Exception:  # noqa: BLE001
            log.exception("first reaper round failed")
        thread = threading.Thread(target=self._reaper, name="kommuneki-reaper", daemon=True)
        thread.start()
        threading.Thread(target=self._schedule, name="kommuneki-scheduler", daemon=True).start()
        try:
            self.queue.consumer(self.threads).run()
        finally:
            self._stop.set()
