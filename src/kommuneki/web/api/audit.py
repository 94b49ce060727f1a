"""The audit log: search, export as JSON Lines, verify the hash chain."""

from __future__ import annotations

import json
from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ...core import audit
from ...core.db import MAX_ROW_ID
from ...core.permissions import Principal, authorize
from ..deps import MAX_COUNT, current_principal, get_platform
from ..shapes import audit_dict

router = APIRouter(tags=["audit"])


@router.get("/audit", summary="Search the audit log (newest first)")
def search_audit(
    request: Request,
    principal: Principal = Depends(current_principal),
    event: str | None = None,
    actor: str | None = None,
    item_id: int | None = Query(None, ge=1, le=MAX_ROW_ID),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_COUNT),
):
    authorize(principal, "audit.read")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        rows = audit.query(
            session,
            principal.tenant_id,
            since=since,
            until=until,
            item_id=item_id,
            event=event,
            actor=actor,
            limit=limit,
            offset=offset,
            newest_first=True,
        )
        return {"items": [audit_dict(e) for e in rows]}


@router.get("/audit/export", summary="Export the audit log as JSON Lines")
def export_audit(
    request: Request,
    principal: Principal = Depends(current_principal),
    item_id: int | None = Query(None, ge=1, le=MAX_ROW_ID),
    since: datetime | None = None,
    until: datetime | None = None,
):
    authorize(principal, "audit.export")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        rows = list(
            audit.export_rows(
                audit.query(session, principal.tenant_id, since=since, until=until, item_id=item_id)
            )
        )
        audit.record(
            session,
            principal.tenant_id,
            "audit.exported",
            actor=principal.actor,
            scope="item" if item_id else ("period" if since or until else "all"),
            entries=len(rows),
        )
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return Response(
        body,
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="revisjonslogg.jsonl"'},
    )


@router.get("/audit/verify", summary="Verify the tenant's hash chain")
def verify_audit(request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "audit.read")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        return audit.verify_chain(
            session, audit.chain_for(principal.tenant_id), platform.settings.checkpoint_dir
        ).as_dict()
