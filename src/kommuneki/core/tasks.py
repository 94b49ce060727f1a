"""Long work a service hands to the platform: one call, :func:`submit`, whatever runs it.

A service declares its tasks in its spec (``TaskSpec``: a name, a ``"module:function"`` target, a
Norwegian title, optionally a schedule). It submits one with a JSON-able payload; the platform records a
job (``/jobber/{id}`` shows its progress) and runs ``target(platform, tenant_id, payload, report)``.
The runner is chosen by the setting ``task_queue``: a worker process on a task queue (``core/queue.py``;
the default, also in the embedded installation), or — ``thread`` — a thread of the submitting process
(``core/jobs.py``). Because a payload crosses a process boundary, it must be plain JSON (ids, not
objects), and ``result_url`` a plain path: :func:`submit` checks both.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import jobs, queue
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
    service = task.split(".", 1)[0]
    if queue.uses_queue(platform.settings):
        if callable(result_url):
            raise ValueError("result_url must be a plain path when jobs run on a task queue")
        return queue.submit(
            platform,
            tenant_id,
            task=task,
            service=service,
            title=spec.title,
            actor=actor,
            payload=payload,
            result_url=result_url,
            failure_url=failure_url,
        )
    target = resolve(spec.target)

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
