"""Målform orchestration: store the document, extract its text, record the suggestion.

Two transactions on purpose: the arrival (raw bytes + item row + audit entry) commits first, so a file
that cannot be read is still kept, marked ``failed`` with the reason, and nothing that arrived is lost.
"""

from __future__ import annotations

from typing import Any

from ...core import items, suggestions
from ...core.errors import DomainError
from ...core.platform import Platform
from ...ingest import extract
from . import engine

SERVICE = "malform"


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
