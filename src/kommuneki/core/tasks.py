"""Long work a service hands to the platform: one call, :func:`submit`, whatever runs it.

A service declares its tasks in its spec (``TaskSpec``: a name, a ``"module:function"`` target, a
Norwegian title, optionally a schedule). It submits one with a JSON-able payload; the platform records a
job (``/jobber/{id}`` shows its progress) and runs ``target(platform, tenant_id, payload, report)``.
The runner is chosen by the setting ``task_queue``: a worker process on a task queue (``core/queue.py``;
the default, also in the embedded installation), or — ``thread`` — a thread of the submitting process
(``core/jobs.py``). Because a payload crosses a process boundary, it must be plain JSON (ids, not
objects), and ``result_url`` a plain path: :func:`submit` checks both.

Batch work over many units (every document of an archive, every message of an import) is written as a
pure function over one chunk and submitted with :func:`submit_chunks`: a batch job (what ``/jobber/{id}``
shows: the share of chunks done, a stop button that cancels the chunks not yet run) and one queue task
per chunk, so that a worker's death costs one chunk, a failed chunk is retried (then fails the batch with
its reason), and workers interleave one tenant's chunks with other tenants' jobs (``core/queue.py``:
``fair_order``). :func:`chunked` cuts a list of ids into chunk payloads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
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


DEFAULT_CHUNK_SIZE = 25


def chunked(
    values: Sequence[Any], *, key: str = "item_ids", size: int = DEFAULT_CHUNK_SIZE, **common: Any
) -> list[dict[str, Any]]:
    """Chunk payloads for :func:`submit_chunks`: ``values`` cut into lists of at most ``size`` under
    ``key``, each payload also carrying ``common`` (e.g. the actor)."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    return [{key: list(values[i : i + size]), **common} for i in range(0, len(values), size)]


def submit_chunks(
    platform: Platform,
    tenant_id: int,
    task: str,
    chunks: list[dict[str, Any]],
    *,
    actor: str,
    result_url: str | None = None,
    failure_url: str | None = None,
) -> int:
    """Start the declared task ``task`` once per chunk payload, as one batch job; returns the batch job's
    id at once. The task's target runs once per chunk (``target(platform, tenant_id, chunk, report)``;
    idempotent: a chunk may run again after its worker died); the batch's result is ``TaskSpec.merge``
    of the chunks' results, or their numbers summed. Without a queue (``task_queue = thread``) the
    chunks run one after another in one thread job, with the same progress and result."""
    spec = platform.registry.task(task)
    if spec is None:
        raise ValueError(f"undeclared task {task!r}")
    if not chunks:
        raise InvalidInput("Bunken er tom.")
    try:
        json.dumps(chunks)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("Oppgaven kan bare få enkle verdier (JSON).") from exc
    service = task.split(".", 1)[0]
    if queue.uses_queue(platform.settings):
        return queue.submit_chunks(
            platform,
            tenant_id,
            task=task,
            service=service,
            title=spec.title,
            actor=actor,
            chunks=chunks,
            result_url=result_url,
            failure_url=failure_url,
        )
    target = resolve(spec.target)
    n = len(chunks)

    def work(report: jobs.Report) -> Any:
        results = []
        for i, chunk in enumerate(chunks):

            def part(fraction: float, message: str | None = None, i: int = i) -> None:
                report((i + max(0.0, min(1.0, fraction))) / n, queue.CHUNKS_DONE.format(done=i, n=n))

            results.append(json.loads(json.dumps(target(platform, tenant_id, chunk, part), default=str)))
            report((i + 1) / n, queue.CHUNKS_DONE.format(done=i + 1, n=n))
        if spec.merge:
            return resolve(spec.merge)(platform, tenant_id, results)
        return queue.merge_results(results)

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
