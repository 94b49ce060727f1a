"""Scheduled tasks: every declared ``TaskSpec`` with ``every_s``, for every tenant, started as a job.

Every worker (``core.queue.Worker``) calls :func:`run_due` when it starts and then every
``schedule_check_s`` seconds (setting; 60 by default). A task is due for a tenant when it has no queued or
running job there (a user's or the scheduler's) and its last scheduled run was created at least
``every_s`` ago (less half a check, so that a task of one check's interval runs at every check, not every
other). A due task is submitted through the same path as ``core.tasks.submit`` (a ``queued`` job row with
its audit entry, one message on the queue; ``/jobber/{id}`` shows it), with ``created_by`` ``system``.

No state outside the job table: the schedule survives restarts because the last run is a job row. The
lock is the job table too: a scheduled job carries ``schedule_run``, the n-th run of its task for the
tenant, and ``(tenant_id, task, schedule_run)`` is unique. Two workers that see the same last run both try
to insert run n + 1; one insert wins, the other gets a conflict and sends nothing. A worker with a stale
view (it read run n while another worker already started, finished and followed up on it) also tries an
n + 1 that exists, so a task is never started twice for one period, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from . import queue
from .db import utcnow
from .models import Job, Tenant
from .registry import TaskSpec, resolve

if TYPE_CHECKING:
    from .platform import Platform

log = logging.getLogger("kommuneki.schedule")

ACTOR = "system"


@dataclass(frozen=True)
class Due:
    tenant_id: int
    task: TaskSpec
    run: int  # the scheduler's n-th run of this task for this tenant


def scheduled(platform: Platform) -> list[TaskSpec]:
    """The declared tasks that have a schedule (the core's and every registered service's)."""
    return [t for t in platform.registry.tasks() if t.every_s]


def plan(platform: Platform, *, now: datetime | None = None) -> tuple[list[Due], dict[str, int]]:
    """What is due now, from the job table alone, and the counts of what is not (``active``: a job of
    the task is queued or running for the tenant; ``not_due``: its interval has not passed;
    ``not_applicable``: its ``schedule_if`` says no)."""
    now = now or utcnow()
    counts = {"active": 0, "not_due": 0, "not_applicable": 0}
    slack = platform.settings.schedule_check_s / 2  # a task of one check's interval runs at every check
    specs = scheduled(platform)
    if not specs:
        return [], counts
    names = [t.name for t in specs]
    with platform.db.read_session(unscoped=True) as session:
        tenant_ids = list(session.scalars(select(Tenant.id).order_by(Tenant.id)))
        active = set(
            session.execute(
                select(Job.tenant_id, Job.task)
                .where(Job.task.in_(names), Job.state.in_((queue.QUEUED, queue.RUNNING)))
                .distinct()
            ).all()
        )
        last = {
            (tenant_id, task): (run, created)
            for tenant_id, task, run, created in session.execute(
                select(Job.tenant_id, Job.task, func.max(Job.schedule_run), func.max(Job.created_at))
                .where(Job.task.in_(names), Job.schedule_run.is_not(None))
                .group_by(Job.tenant_id, Job.task)
            )
        }
    due: list[Due] = []
    for tenant_id in tenant_ids:
        for spec in specs:
            if (tenant_id, spec.name) in active:
                counts["active"] += 1
                continue
            run, created = last.get((tenant_id, spec.name), (0, None))
            if created is not None and (now - created).total_seconds() + slack < spec.every_s:
                counts["not_due"] += 1
                continue
            if spec.schedule_if and not _applies(platform, spec, tenant_id):
                counts["not_applicable"] += 1
                continue
            due.append(Due(tenant_id, spec, run + 1))
    return due, counts


def _applies(platform: Platform, spec: TaskSpec, tenant_id: int) -> bool:
    try:
        return bool(resolve(spec.schedule_if)(platform, tenant_id))
    except Exception:  # noqa: BLE001 - one tenant's bad settings must not stop the others' schedule
        log.exception("%s: schedule_if failed for tenant %s; not started", spec.name, tenant_id)
        return False


def start(platform: Platform, due: Due) -> int | None:
    """Submit one due run; None when another worker already started it."""
    return queue.submit(
        platform,
        due.tenant_id,
        task=due.task.name,
        service=due.task.name.split(".", 1)[0],
        title=due.task.title,
        actor=ACTOR,
        payload={},
        result_url=None,
        failure_url=None,
        schedule_run=due.run,
    )


def resend_waiting(platform: Platform, *, now: datetime | None = None) -> int:
    """Put a scheduled job that has waited ``queued`` for a whole interval on the queue again: its message
    may be lost (a broker flushed by hand), and a queued job holds its schedule back. A duplicate message
    is harmless (a run starts only by claiming the row). The UPDATE of ``updated_at`` on the still-queued
    row decides which worker resends, and when the next resend may come."""
    now = now or utcnow()
    every = {t.name: t.every_s for t in scheduled(platform)}
    if not every:
        return 0
    with platform.db.read_session(unscoped=True) as session:
        waiting = session.execute(
            select(Job.id, Job.tenant_id, Job.task, Job.updated_at).where(
                Job.state == queue.QUEUED, Job.schedule_run.is_not(None), Job.task.in_(list(every))
            )
        ).all()
    resent = 0
    for job_id, tenant_id, task, updated_at in waiting:
        if (now - updated_at).total_seconds() < every[task]:
            continue
        with platform.db.tenant_session(tenant_id) as session:
            claimed = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == queue.QUEUED, Job.updated_at == updated_at)
                .values(updated_at=now)
            ).rowcount
        if claimed:
            platform.task_queue.enqueue(job_id, tenant_id)
            resent += 1
            log.warning(
                "job %s (%s) waited a whole interval in the queue; its message is sent again", job_id, task
            )
    return resent


def run_due(platform: Platform, *, now: datetime | None = None) -> dict[str, int]:
    """Start every scheduled task that is due, for every tenant (and resend what waited a whole interval:
    :func:`resend_waiting`). Safe in every worker at once."""
    due, counts = plan(platform, now=now)
    counts.update(started=0, taken=0, resent=resend_waiting(platform, now=now))
    for item in due:
        try:
            job_id = start(platform, item)
        except Exception:  # noqa: BLE001 - one tenant's failure must not stop the others' schedule
            log.exception("%s: could not be started for tenant %s", item.task.name, item.tenant_id)
            continue
        counts["started" if job_id is not None else "taken"] += 1
    if counts["started"]:
        log.info("scheduled tasks started: %s", counts)
    return counts
