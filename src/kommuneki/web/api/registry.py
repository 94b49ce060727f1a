"""Registries: the services and their suggestion kinds, model versions, CPU time per model."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select

from ...core import modelreg
from ...core.models import Suggestion
from ...core.permissions import Principal, authorize
from ..deps import current_principal, get_platform

router = APIRouter(tags=["registry"])


@router.get("/services", summary="Registered services and their suggestion kinds")
def list_services(request: Request, principal: Principal = Depends(current_principal)):
    platform = get_platform(request)
    return {
        "items": [
            {
                "name": s.name,
                "title": s.title,
                "description": s.description,
                "reviewer_roles": sorted(s.reviewer_roles) if s.reviewer_roles else None,
                "kinds": [
                    {
                        "name": k.name,
                        "title": k.title,
                        "automatable": k.automatable,
                        "explanation_schema": k.explanation_schema,
                        "value_schema": k.value_schema,
                    }
                    for k in s.kinds
                ],
            }
            for s in platform.registry
        ]
    }


@router.get("/models", summary="Registered model versions with their cards")
def list_models(request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "models.read")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        return {"items": [modelreg.model_dict(m) for m in modelreg.list_models(session, principal.tenant_id)]}


@router.get("/usage", summary="CPU time per service and model (for energy reporting)")
def usage(request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "models.read")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        rows = session.execute(
            select(
                Suggestion.service,
                Suggestion.model_name,
                Suggestion.model_version,
                func.count(),
                func.sum(Suggestion.cpu_ms),
            ).group_by(Suggestion.service, Suggestion.model_name, Suggestion.model_version)
        )
        return {
            "items": [
                {
                    "service": s,
                    "model": m,
                    "version": v,
                    "suggestions": n,
                    "cpu_seconds": round((cpu or 0) / 1000, 3),
                }
                for s, m, v, n, cpu in rows
            ]
        }
