"""Målform orchestration: store the document, extract its text, record the suggestion.

Two transactions on purpose: the arrival (raw bytes + item row + audit entry) commits first, so a file
that cannot be read is still kept, marked ``failed`` with the reason, and nothing that arrived is lost.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...core import items, suggestions
from ...core.errors import DomainError, InvalidInput
from ...core.platform import Platform
from ...ingest import extract
from . import engine

SERVICE = "malform"
BATCH_TASK = "malform.analyse_batch"


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
    with platform.db.tenant_session(tenant_id) as session:
        arrival = items.ingest(
            session,
            platform.blobs,
            tenant_id,
            service=SERVICE,
            kind="document",
            data=data,
            filename=filename,
            source=source,
            actor=actor,
        )
        item_id = arrival.item.id
    with platform.db.tenant_session(tenant_id) as session:
        item = session.get(items.Item, item_id)
        try:
            extracted = extract(data, filename)
        except DomainError as exc:
            item.state = "failed"
            item.meta = {**item.meta, "error": exc.message}
            failure = exc
        else:
            failure = None
            item.text, item.title, item.state = extracted.text, filename, "analysed"
            item.meta = {**item.meta, **extracted.meta}
            s = suggestions.suggest(
                session,
                platform.registry,
                tenant_id,
                SERVICE,
                engine.suggest_malform(extracted.text),
                item_id=item.id,
                actor=actor,
            )
            return suggestions.suggestion_dict(s)
    raise failure


def store_document(
    platform: Platform, tenant_id: int, data: bytes, *, filename: str | None, actor: str
) -> int:
    """Store one document of a batch (raw bytes and a ``received`` item); returns the item's id."""
    with platform.db.tenant_session(tenant_id) as session:
        arrival = items.ingest(
            session,
            platform.blobs,
            tenant_id,
            service=SERVICE,
            kind="document",
            data=data,
            filename=filename,
            source="batch",
            actor=actor,
        )
        return arrival.item.id


def analyse_batch_task(platform: Platform, tenant_id: int, payload: dict[str, Any], report) -> dict[str, Any]:
    """The background task behind a batch (``core.tasks.submit``): analyse every stored item of the batch
    that is still ``received``, one transaction per item, so a run that is stopped or killed loses nothing
    and a second run only does what is left (no item gets two suggestions)."""
    item_ids = [int(i) for i in payload.get("item_ids", [])]
    if not item_ids:
        raise InvalidInput("Bunken har ingen dokumenter.")
    analysed = failed = skipped = 0
    report(0.0, f"Finner målform for {len(item_ids)} dokumenter …")
    for n, item_id in enumerate(item_ids, start=1):
        with platform.db.tenant_session(tenant_id) as session:
            item = session.scalar(
                select(items.Item)
                .where(items.Item.id == item_id, items.Item.service == SERVICE)
                .with_for_update(of=items.Item)
            )
            if item is None or item.state != "received":
                skipped += 1
            else:
                data = platform.blobs.get(tenant_id, item.sha256)
                try:
                    extracted = extract(data, item.filename)
                except DomainError as exc:
                    item.state = "failed"
                    item.meta = {**item.meta, "error": exc.message}
                    failed += 1
                else:
                    item.text, item.title, item.state = extracted.text, item.filename, "analysed"
                    item.meta = {**item.meta, **extracted.meta}
                    suggestions.suggest(
                        session,
                        platform.registry,
                        tenant_id,
                        SERVICE,
                        engine.suggest_malform(extracted.text),
                        item_id=item.id,
                        actor=payload.get("actor", "system"),
                    )
                    analysed += 1
        report(n / len(item_ids), f"Dokument {n} av {len(item_ids)}")
    return {
        "analysed": analysed,
        "failed": failed,
        "skipped": skipped,
        "message": (
            f"{analysed} dokumenter analysert, {failed} kunne ikke leses, {skipped} var gjort fra før."
        ),
    }
