"""The review queue and decisions: list, read one, accept, change or reject."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from ...core import items, suggestions
from ...core.permissions import Principal, authorize
from ...core.suggestions import MAX_FILTER_HOURS
from ..deps import MAX_COUNT, RowId, current_principal, get_platform, resolve_principal
from ..scope import queue_scope
from ..shapes import Strict, item_dict

router = APIRouter(tags=["suggestions"])


class DecisionIn(Strict):
    outcome: Literal["accepted", "changed", "rejected"]
    final_value: dict[str, Any] | None = None
    reason: str = Field("", max_length=4000)


@router.get("/suggestions", summary="The review queue, filtered")
async def list_suggestions(
    request: Request,
    service: str | None = None,
    kind: str | None = None,
    status: str = Query("pending", description="pending, accepted, changed, rejected, superseded or all"),
    min_confidence: float | None = Query(None, ge=0, le=1),
    max_confidence: float | None = Query(None, ge=0, le=1),
    older_than_hours: float | None = Query(None, ge=0, le=MAX_FILTER_HOURS),
    newer_than_hours: float | None = Query(None, ge=0, le=MAX_FILTER_HOURS),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_COUNT),
):
    """Signed in by API token or session (``current_principal``'s rules; a GET needs no CSRF token)."""
    f = suggestions.QueueFilter(
        service=service,
        kind=kind,
        status=status,
        min_confidence=min_confidence,
        max_confidence=max_confidence,
        older_than_hours=older_than_hours,
        newer_than_hours=newer_than_hours,
        limit=limit,
        offset=offset,
    )
    # the principal lookup and the listing in one trip to the thread pool, not two (a dependency and a
    # plain-def route each take one): the event loop is never blocked, and a request waits for a
    # worker thread once
    body = await run_in_threadpool(_queue_body, request, f)
    # the body is JSON already (explanations spliced in as stored): no jsonable_encoder, no re-encoding
    return Response(body, media_type="application/json")


def _queue_body(request: Request, f: suggestions.QueueFilter) -> bytes:
    principal = resolve_principal(request)
    authorize(principal, "queue.read")
    platform = get_platform(request)
    with platform.db.read_session(principal.tenant_id) as session:
        return suggestions.queue_listing_body(session, f, **queue_scope(platform, principal))


@router.get("/suggestions/{suggestion_id}", summary="One suggestion with its input")
def get_suggestion(suggestion_id: RowId, request: Request, principal: Principal = Depends(current_principal)):
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        s = suggestions.get_suggestion(session, suggestion_id)
        authorize(principal, "queue.read", service=s.service)
        if s.item is not None:
            items.authorize_read(principal, s.item, platform.registry)
        out = suggestions.suggestion_dict(s)
        out["item"] = item_dict(s.item) if s.item else None
        return out


@router.post(
    "/suggestions/{suggestion_id}/decision",
    status_code=201,
    summary="Accept, change or reject a suggestion",
)
def decide(
    suggestion_id: RowId,
    body: DecisionIn,
    request: Request,
    principal: Principal = Depends(current_principal),
):
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        d = suggestions.decide(
            session,
            platform.registry,
            principal,
            suggestion_id,
            outcome=body.outcome,
            final_value=body.final_value,
            reason=body.reason,
        )
        return {
            "id": d.id,
            "suggestion_id": d.suggestion_id,
            "outcome": d.outcome,
            "final_value": d.final_value,
            "reason": d.reason,
        }
