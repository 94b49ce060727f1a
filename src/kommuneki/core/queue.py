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
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from . import audit
from .db import utcnow
from .errors import DomainError
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
    """Run one queued job in this worker; returns the state it ended in (or "skipped")."""
    token = secrets.token_hex(16)
    with platform.db.tenant_session(tenant_id) as session:
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == QUEUED, Job.cancel_requested.is_(False))
            .values(state=RUNNING, run_token=token, attempts=Job.attempts + 1, updated_at=utcnow())
        ).rowcount
        job = session.get(Job, job_id) if claimed else None
        if job is not None:
            spec_name, payload, service, actor = job.task, job.payload or {}, job.service, job.created_by
            result_url, failure_url = job.result_url, job.failure_url
    if not claimed:
        log.info("job %s: not queued any more (taken, cancelled or done); message skipped", job_id)
        return "skipped"

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
    except Exception:  # noqa: BLE001 - any failure must end the job, not leave it running
        log.exception("job %s (%s) failed", job_id, service)
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
    actor: str,
    service: str,
    final: dict[str, Any],
) -> bool:
    """Write a job's end, if this run still owns it (``token``; None: the job was never claimed)."""
    for attempt in range(3):
        try:
            with platform.db.tenant_session(tenant_id) as session:
                now = utcnow()
                owned = (
                    (Job.run_token == token) if token is not None else (Job.state == QUEUED)
                )  # None: a job never claimed (its message could not be sent)
                done = session.execute(
                    update(Job)
                    .where(Job.id == job_id, owned)
                    .values(**final, updated_at=now, finished_at=now)
                ).rowcount
                if done:
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
    """Ask for a job to stop. A queued job is cancelled at once; a running one stops at its next progress
    call (its task's transaction rolls back). Returns the job's state after the request."""
    with platform.db.tenant_session(tenant_id) as session:
        job = session.get(Job, job_id)
        if job is None or job.state not in (QUEUED, RUNNING):
            return job.state if job is not None else "unknown"
        job.cancel_requested = True
        if job.state == QUEUED:
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
        return job.state


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
            select(Job.id, Job.tenant_id, Job.run_token, Job.attempts, Job.updated_at, Job.service).where(
                Job.state == RUNNING, Job.task.is_not(None)
            )
        ).all()
    for job_id, tenant_id, token, attempts, updated_at, service in running:
        seen = queue.progress(job_id)
        if seen and seen.get("token") == token:
            last_beat = float(seen.get("beat") or 0)
        else:  # no beat from this run yet: count from the claim
            last_beat = _epoch(updated_at)
        if now - last_beat <= stale_after:
            continue
        if attempts < MAX_ATTEMPTS:
            values = {
                "state": QUEUED,
                "run_token": None,
                "message": RETRYING.format(n=attempts + 1, total=MAX_ATTEMPTS),
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
            fields = {"job_id": job_id, "service": service}
            if event == "job.finished":
                fields["state"] = state
            else:
                fields["attempt"] = attempts + 1
            audit.record(session, tenant_id, event, actor="system", subject=("job", job_id), **fields)
        if state == QUEUED:
            queue.enqueue(job_id, tenant_id, delay=retry_delay_s(platform.settings, attempts))
            counts["retried"] += 1
        else:
            queue.forget(job_id)
            counts["failed"] += 1
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
