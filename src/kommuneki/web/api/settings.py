"""Tenant settings: every service's settings for this tenant, and changing them (``tenant.manage``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request

from ...core import tenant_settings
from ...core.permissions import Principal, authorize
from ..deps import current_principal, get_platform

router = APIRouter(tags=["admin"])


@router.get("/settings", summary="Every service's settings for this tenant, with their JSON schemas")
def list_settings(request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "tenant.manage")
    platform = get_platform(request)
    with platform.db.read_session(principal.tenant_id) as session:
        entries = tenant_settings.read_all(session, platform.registry, principal.tenant_id)
    return {
        "items": [
            {
                "service": entry.spec.name,
                "title": entry.spec.title,
                "values": entry.values.model_dump(mode="json"),
                "schema": entry.model.model_json_schema(),
                "operator_only": sorted(tenant_settings.operator_only(entry.model)),
            }
            for entry in entries
        ]
    }


@router.put(
    "/settings/{service}",
    summary="Change a service's settings for this tenant (only the fields sent; the rest stay)",
)
def put_settings(
    service: str,
    request: Request,
    body: dict[str, Any] = Body(..., examples=[{"horizon": 21}]),
    principal: Principal = Depends(current_principal),
):
    authorize(principal, "tenant.manage")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        values, changed = tenant_settings.change(session, platform.registry, principal, service, body)
    return {"service": service, "values": values.model_dump(mode="json"), "changed": changed}
