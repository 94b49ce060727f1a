"""Målform orchestration, on the platform's arrival pipeline (:mod:`kommuneki.core.arrival`): store the
document, extract its text, record the suggestion.

Two transactions on purpose: the arrival (raw bytes + item row + audit entry) commits first, so a file
that cannot be read is still kept, marked ``failed`` with the reason, and nothing that arrived is lost.
"""

from __future__ import annotations

from typing import Any

from ...core.arrival import Analysis, Arrivals, Incoming
from ...core.errors import InvalidInput
from ...core.models import Item
from ...core.platform import Platform
from ...ingest import Extracted, extract
from . import engine

SERVICE = "malform"
BATCH_TASK = "malform.analyse_batch"


def _extract(data: bytes, item: Item) -> Extracted:
    return extract(data, item.filename)


def _analyse(session, item: Item, extracted: Extracted) -> Analysis:
    item.text, item.title = extracted.text, item.filename
    item.meta = {**item.meta, **extracted.meta}
    return Analysis([engine.suggest_malform(extracted.text)])


def arrivals(platform: Platform, tenant_id: int, *, actor: str) -> Arrivals:
    return Arrivals(
        platform,
        tenant_id,
        service=SERVICE,
        kind="document",
        extract=_extract,
        analyse=_analyse,
        done_state="analysed",
        actor=actor,
    )


def analyse_document(
    platform: Platform,
    tenant_id: int,
    data: bytes,
    *,
    filename: str | None,
    actor: str,
    source: str = "upload",
) -> dict[str, Any]:
    """Returns the suggestion as a dict. Raises the extraction error after recording it on the item."""
    outcome = arrivals(platform, tenant_id, actor=actor).take_in(
        Incoming(data, filename=filename, source=source)
    )
    outcome.raise_if_failed()
    return outcome.suggestions[0]


def store_document(
    platform: Platform, tenant_id: int, data: bytes, *, filename: str | None, actor: str
) -> int:
    """Store one document of a batch (raw bytes and a ``received`` item); returns the item's id."""
    return arrivals(platform, tenant_id, actor=actor).store(Incoming(data, filename=filename, source="batch"))


def analyse_batch_task(platform: Platform, tenant_id: int, payload: dict[str, Any], report) -> dict[str, Any]:
    """The background task behind a batch (``core.tasks.submit``): analyse every stored item of the batch
    that is still ``received``, one transaction per item, so a run that is stopped or killed loses nothing
    and a second run only does what is left (no item gets two suggestions)."""
    item_ids = [int(i) for i in payload.get("item_ids", [])]
    if not item_ids:
        raise InvalidInput("Bunken har ingen dokumenter.")
    report(0.0, f"Finner målform for {len(item_ids)} dokumenter …")
    outcomes = arrivals(platform, tenant_id, actor=payload.get("actor", "system")).process_many(
        item_ids, lambda n, total: report(n / total, f"Dokument {n} av {total}")
    )
    analysed = sum(1 for o in outcomes if o.processed and not o.failed)
    failed = sum(1 for o in outcomes if o.processed and o.failed)
    skipped = len(outcomes) - analysed - failed
    return {
        "analysed": analysed,
        "failed": failed,
        "skipped": skipped,
        "message": (
            f"{analysed} dokumenter analysert, {failed} kunne ikke leses, {skipped} var gjort fra før."
        ),
    }
