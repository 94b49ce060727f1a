"""Background jobs: a long task (a valuation run of a whole kommune) runs in a thread of the process that
started it, while the user watches its progress on ``/jobber/{id}``.

* :func:`start` inserts a ``job`` row (committed, with a ``job.started`` audit entry), then runs
  ``fn(report)`` in a daemon thread. ``report(fraction, message)`` records progress (0–1, a Norwegian
  step). The end state — ``done`` with fn's JSON-able result, or ``failed`` with a Norwegian error — is
  always written to the row, with a ``job.finished`` audit entry (ids, service and state only).
* Whatever the job needs must be stored before it starts (uploads as items): a job that fails or is
  interrupted loses nothing, it is simply started again.
* Live progress is kept in the process (:class:`LiveJobs`, one per :class:`~kommuneki.core.platform.Platform`)
  and read first. On SQLite it is *only* kept there: a job that writes in one long transaction holds
  SQLite's single write lock, and a progress write from another connection would wait for it. On
  PostgreSQL progress is also written to the row (at most once a second, and on every new step) and a
  heartbeat every :data:`HEARTBEAT_S` seconds, so that other web workers can show it.
* :func:`get` merges the row with the live state. A row that says ``running`` but is not live in this
  process is ``interrupted``: always on SQLite (one process by design), on PostgreSQL when its heartbeat
  is older than :data:`STALE_AFTER` (the process that ran it has gone).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from . import audit, queue
from .db import utcnow
from .errors import InvalidInput, NotFound
from .models import Job
from .permissions import Principal, authorize

if TYPE_CHECKING:
    from .platform import Platform

log = logging.getLogger("kommuneki.jobs")

RUNNING, DONE, FAILED, INTERRUPTED = "running", "done", "failed", "interrupted"
QUEUED, CANCELLED = "queued", "cancelled"  # jobs on the task queue (core/queue.py)
ACTIVE = (QUEUED, RUNNING)
STATE_LABELS = {
    QUEUED: "I kø",
    RUNNING: "Pågår",
    DONE: "Ferdig",
    FAILED: "Feilet",
    INTERRUPTED: "Avbrutt",
    CANCELLED: "Stoppet av bruker",
}
HEARTBEAT_S = 10.0
STALE_AFTER = timedelta(minutes=2)
DB_PROGRESS_EVERY_S = 1.0
STARTING = "Starter …"
FINISHED = queue.FINISHED
INTERNAL_ERROR = queue.INTERNAL_ERROR
INTERRUPTED_MESSAGE = "Jobben ble avbrutt (tjenesten ble startet på nytt). Start den igjen."

Report = Callable[[float, str | None], None]


@dataclass
class _Live:
    tenant_id: int
    progress: float = 0.0
    message: str = STARTING
    heartbeat: datetime = field(default_factory=utcnow)
    thread: threading.Thread | None = None


class LiveJobs:
    """The jobs running in this process: job id → progress, message, heartbeat. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[int, _Live] = {}

    def begin(self, job_id: int, tenant_id: int) -> None:
        with self._lock:
            self._jobs[job_id] = _Live(tenant_id=tenant_id)

    def attach(self, job_id: int, thread: threading.Thread) -> None:
        with self._lock:
            self._jobs[job_id].thread = thread

    def update(self, job_id: int, progress: float, message: str | None) -> bool:
        """Record progress; True when the message (the step) changed."""
        with self._lock:
            live = self._jobs.get(job_id)
            if live is None:
                return False
            changed = message is not None and message != live.message
            live.progress = max(0.0, min(1.0, float(progress)))
            if message is not None:
                live.message = message
            live.heartbeat = utcnow()
            return changed

    def get(self, job_id: int) -> dict[str, Any] | None:
        with self._lock:
            live = self._jobs.get(job_id)
            if live is None:
                return None
            return {
                "tenant_id": live.tenant_id,
                "progress": live.progress,
                "message": live.message,
                "heartbeat": live.heartbeat,
                "thread": live.thread,
            }

    def end(self, job_id: int) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)

    def __contains__(self, job_id: int) -> bool:
        with self._lock:
            return job_id in self._jobs


def start(
    platform: "Platform",
    tenant_id: int,
    *,
    service: str,
    title: str,
    actor: str,
    fn: Callable[[Report], Any],
    result_url: str | Callable[[Any], str | None] | None = None,
    failure_url: str | None = None,
) -> int:
    """Record a new job and run ``fn(report)`` in a daemon thread; returns the job's id at once.

    ``result_url`` is where the finished job's page links ("Se resultatet"), or a function of fn's
    result giving it. A :class:`DomainError` from fn fails the job with its (Norwegian) message; any other
    exception fails it with :data:`INTERNAL_ERROR` and is logged with its traceback. A failed job's page
    links back to ``failure_url`` (where to try again; default: the service's page), kept in the row's
    ``result_url``.
    """
    with platform.db.tenant_session(tenant_id) as session:
        job = Job(
            tenant_id=tenant_id,
            service=service,
            title=title,
            state=RUNNING,
            progress=0.0,
            message=STARTING,
            result_url=result_url if isinstance(result_url, str) else None,
            created_by=actor,
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
        job_id = job.id
        platform.jobs.begin(job_id, tenant_id)  # live before the row is visible: never seen as interrupted
    thread = threading.Thread(
        target=_run,
        args=(platform, tenant_id, job_id, service, actor, fn, result_url, failure_url),
        name=f"kommuneki-job-{job_id}",
        daemon=True,
    )
    platform.jobs.attach(job_id, thread)
    thread.start()
    return job_id


def _run(
    platform: "Platform", tenant_id: int, job_id: int, service: str, actor: str, fn, result_url, failure_url
) -> None:
    shared_db = platform.db.dialect != "sqlite"
    stop = threading.Event()
    last_write = [0.0]
    last_cancel_check = [time.monotonic()]

    def write(**values: Any) -> None:
        try:
            with platform.db.tenant_session(tenant_id) as session:
                session.execute(update(Job).where(Job.id == job_id).values(updated_at=utcnow(), **values))
        except Exception:  # noqa: BLE001 - progress is a courtesy; the job goes on
            log.warning("job %s: could not write progress", job_id, exc_info=True)

    def report(fraction: float, message: str | None = None) -> None:
        changed = platform.jobs.update(job_id, fraction, message)
        if time.monotonic() - last_cancel_check[0] >= 1.0:
            last_cancel_check[0] = time.monotonic()
            if queue.cancel_requested(platform, tenant_id, job_id):
                raise queue.JobCancelled()
        if shared_db and (changed or time.monotonic() - last_write[0] >= DB_PROGRESS_EVERY_S):
            last_write[0] = time.monotonic()
            live = platform.jobs.get(job_id) or {}
            write(progress=live.get("progress", fraction), message=live.get("message", message or ""))

    def heartbeat() -> None:
        while not stop.wait(HEARTBEAT_S):
            write()

    beat = None
    if shared_db:
        beat = threading.Thread(target=heartbeat, name=f"kommuneki-job-{job_id}-heartbeat", daemon=True)
        beat.start()
    try:
        try:
            final = queue.job_outcome(lambda: fn(report), job_id=job_id, service=service)
        finally:
            stop.set()
        if final["state"] == DONE:
            final["result_url"] = result_url(final["result"]) if callable(result_url) else result_url
        if final["state"] in (FAILED, CANCELLED):
            live = platform.jobs.get(job_id) or {}
            final.update(progress=live.get("progress", 0.0), message=live.get("message", ""))
            if failure_url:
                final["result_url"] = failure_url
        if beat is not None:
            beat.join(HEARTBEAT_S + 5)
        _finish(platform, tenant_id, job_id, service, actor, final)
    finally:
        platform.jobs.end(job_id)


def _finish(
    platform: "Platform", tenant_id: int, job_id: int, service: str, actor: str, final: dict[str, Any]
) -> None:
    for attempt in range(3):
        try:
            with platform.db.tenant_session(tenant_id) as session:
                job = session.get(Job, job_id)
                now = utcnow()
                for k, v in final.items():
                    setattr(job, k, v)
                job.updated_at = job.finished_at = now
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
            return
        except Exception:  # noqa: BLE001 - retried; then the row stays "running" and reads as interrupted
            log.exception("job %s: could not record its end (attempt %d)", job_id, attempt + 1)
            time.sleep(1.0)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _iso(value: datetime | None) -> str | None:
    value = _aware(value)
    return value.isoformat() if value else None


def get(platform: "Platform", tenant_id: int, job_id: int) -> dict[str, Any]:
    """The job as a dict (the row merged with its live progress). Raises :class:`NotFound` for an
    unknown id or another tenant's job (the tenant-scoped session cannot see it)."""
    # The live entry is looked at before the row: a job that finishes in between has written its end
    # state before leaving the live set, so "running in the row, not live" then means it is gone.
    live = platform.jobs.get(job_id)
    d = _row(platform, tenant_id, job_id)
    if d.pop("on_queue"):
        return _queued(platform, tenant_id, d)
    if d["state"] == RUNNING and live is None:
        live = platform.jobs.get(job_id)  # started after the first look
        if live is None:
            d = _row(platform, tenant_id, job_id)  # or finished just now
    if d["state"] == RUNNING:
        if live is not None and live["tenant_id"] == tenant_id:
            d.update(progress=live["progress"], message=live["message"], updated_at=live["heartbeat"])
        elif (
            platform.db.dialect == "sqlite"
            or d["updated_at"] is None
            or datetime.now(timezone.utc) - d["updated_at"] > STALE_AFTER
        ):
            d.update(state=INTERRUPTED, error=INTERRUPTED_MESSAGE)
    return _labelled(d)


def _labelled(d: dict[str, Any]) -> dict[str, Any]:
    d.pop("run_token", None)
    d["updated_at"] = _iso(d["updated_at"])
    d["state_label"] = STATE_LABELS.get(d["state"], d["state"])
    d["active"] = d["state"] in ACTIVE
    return d


def _queued(platform: "Platform", tenant_id: int, d: dict[str, Any]) -> dict[str, Any]:
    """A job run by a worker: the row, with the progress its worker last sent (the reaper, not this
    process, decides when a silent worker has died)."""
    if d["state"] == RUNNING and d["chunks"]:  # a batch: its chunks done, and the running ones' progress
        d["progress"], d["message"] = queue.batch_progress(platform, tenant_id, d["id"], d["chunks"])
    elif d["state"] == RUNNING:
        seen = platform.task_queue.progress(d["id"])
        if seen and seen.get("token") == d["run_token"]:
            d.update(
                progress=float(seen.get("progress") or 0.0),
                message=seen.get("message") or d["message"],
                updated_at=datetime.fromtimestamp(float(seen.get("beat") or 0), timezone.utc),
            )
    return _labelled(d)


def _row(platform: "Platform", tenant_id: int, job_id: int) -> dict[str, Any]:
    with platform.db.read_session(tenant_id) as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound("Jobben finnes ikke.")
        return {
            "id": job.id,
            "service": job.service,
            "title": job.title,
            "state": job.state,
            "progress": float(job.progress or 0.0),
            "message": job.message or "",
            "result": job.result,
            "result_url": job.result_url,
            "error": job.error,
            "created_by": job.created_by,
            "created_at": _iso(job.created_at),
            "updated_at": _aware(job.updated_at),
            "finished_at": _iso(job.finished_at),
            "on_queue": job.task is not None,
            "run_token": job.run_token,
            "attempts": job.attempts,
            "cancel_requested": bool(job.cancel_requested),
            "chunks": job.chunks,
            "parent_id": job.parent_id,
        }


def running(platform: "Platform", tenant_id: int, service: str) -> int | None:
    """The id of a job of ``service`` still queued or running for the tenant (live here, on a worker, or
    with a fresh heartbeat on a shared database), or None."""
    with platform.db.read_session(tenant_id) as session:
        ids = list(
            session.scalars(
                select(Job.id).where(Job.service == service, Job.state.in_(ACTIVE)).order_by(Job.id.desc())
            )
        )
    for job_id in ids:
        if get(platform, tenant_id, job_id)["active"]:
            return job_id
    return None


def public_dict(job: dict[str, Any]) -> dict[str, Any]:
    """What the API shows of a job."""
    return {
        k: job[k]
        for k in (
            "id",
            "service",
            "title",
            "state",
            "progress",
            "message",
            "result_url",
            "error",
            "created_at",
            "finished_at",
            "attempts",
            "cancel_requested",
        )
    }


def wait(platform: "Platform", tenant_id: int, job_id: int, timeout: float = 120.0) -> dict[str, Any]:
    """Block until the job has ended (for tests and the CLI); raises TimeoutError after ``timeout`` s."""
    # (a job on the task queue is polled: its worker may be on another machine)
    deadline = time.monotonic() + timeout
    live = platform.jobs.get(job_id)
    if live is not None and live["thread"] is not None:
        live["thread"].join(timeout)
    while True:
        job = get(platform, tenant_id, job_id)
        if not job["active"]:
            return job
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still running after {timeout} s")
        time.sleep(0.05)


def authorize_job(platform: "Platform", principal: Principal, job: dict[str, Any]) -> None:
    """Who may see a job: users of its tenant who may use its service — the roles that may read the
    service's queue (``ServiceSpec.reviewer_roles``), the same check that shows the service in the menu
    (for eiendomsskatt: the eiendomsskatt office and admin). A job of the core itself (scheduled
    retention) is for those who may read the audit log, where its removals are recorded."""
    if job["service"] == "core":
        authorize(principal, "audit.read", policy=platform.policy)
        return
    spec = platform.registry.get(job["service"])
    authorize(principal, "queue.read", service=spec.name if spec else None, policy=platform.policy)


def cancel(platform: "Platform", principal: Principal, job_id: int) -> dict[str, Any]:
    """Ask for the job to stop (whoever may see it may stop it); returns the job as :func:`get` does.
    A queued job stops at once; a running one at its next progress step, its work rolled back."""
    job = get(platform, principal.tenant_id, job_id)
    authorize_job(platform, principal, job)
    if job["active"]:
        queue.cancel(platform, principal.tenant_id, job_id, actor=principal.actor)
    return get(platform, principal.tenant_id, job_id)


# Finished job rows kept (days after they ended), per tenant setting ``job_retention``:
# ``{"finished_days": 30, "failed_days": 180}``. The minute-by-minute mailbox polls would otherwise add
# 1,440 rows a day per tenant; failed jobs stay longer (someone may still look for why). The audit
# entries of every job stay (the audit log is never pruned).
JOB_RETENTION_DEFAULTS = {"finished_days": 30, "failed_days": 180}
FAILED_STATES = ("failed", INTERRUPTED)
FINISHED_STATES = ("done", CANCELLED)


def prune(
    session: Session, tenant_id: int, rules: dict[str, Any], *, now: datetime | None = None
) -> dict[str, int]:
    """Delete the tenant's job rows that ended more than ``finished_days`` (done, cancelled) or
    ``failed_days`` (failed, interrupted) ago — a batch with its chunks, never a chunk of a batch that is
    kept. The latest scheduled run of each task is kept whatever its age (the schedule counts from it).
    Returns the rows deleted per kind (a batch's chunks included). Runs in the caller's transaction
    (``core.retention``)."""
    days = {**JOB_RETENTION_DEFAULTS, **{k: v for k, v in rules.items() if k in JOB_RETENTION_DEFAULTS}}
    for key, value in days.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidInput(f"job_retention.{key} må være et helt antall dager (minst 1).")
    now = now or utcnow()
    latest_scheduled = (
        select(func.max(Job.id))
        .where(Job.tenant_id == tenant_id, Job.schedule_run.is_not(None))
        .group_by(Job.task)
    )
    counts = {}
    for kind, states, key in (
        ("finished", FINISHED_STATES, "finished_days"),
        ("failed", FAILED_STATES, "failed_days"),
    ):
        old = select(Job.id).where(
            Job.tenant_id == tenant_id,
            Job.parent_id.is_(None),  # a chunk goes with its batch
            Job.state.in_(states),
            Job.finished_at.is_not(None),
            Job.finished_at < now - timedelta(days=days[key]),
            Job.id.not_in(latest_scheduled),
        )
        ids = list(session.scalars(old))
        n = 0
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            n += session.execute(delete(Job).where(Job.parent_id.in_(part))).rowcount
            n += session.execute(delete(Job).where(Job.id.in_(part))).rowcount
        counts[kind] = n
    return counts
