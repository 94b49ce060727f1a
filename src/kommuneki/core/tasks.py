"""Long work a service hands to the platform: one call, :func:`submit`, whatever runs it.

A service declares its tasks in its spec (``TaskSpec``: a name, a ``"module:function"`` target, a
Norwegian title, optionally a schedule). It submits one with a JSON-able payload; the platform records a
job (``/jobber/{id}`` shows its progress) and runs ``target(platform, tenant_id, payload, report)``.
Today the runner is the in-process thread runner of ``core/jobs.py``; the scale-out issue replaces it with
worker processes on a task queue behind this same call, without touching a service. Because a payload
may cross a process boundary then, it must be plain JSON (ids, not objects): :func:`submit` checks that.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import jobs
from .errors import InvalidInput
from .registry import resolve

if TYPE_CHECKING:
    from .platform import Platform


def submit(
    platform: Platform,
    tenant_id: int,
    task: str,
    payload: dict[str, Any],
    *,
    actor: str,
    result_url: str | Callable[[Any], str | None] | None = None,
    failure_url: str | None = None,
) -> int:
    """Start the declared task ``task`` for the tenant; returns the job's id at once."""
    spec = platform.registry.task(task)
    if spec is None:
        raise ValueError(f"undeclared task {task!r}")
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("Oppgaven kan bare få enkle verdier (JSON).") from exc
    target = resolve(spec.target)
    service = task.split(".", 1)[0]

    def work(report: jobs.Report) -> Any:
        return target(platform, tenant_id, payload, report)

    return jobs.start(
        platform,
        tenant_id,
        service=service,
        title=spec.title,
        actor=actor,
        fn=work,
        result_url=result_url,
        failure_url=failure_url,
    )
