"""Målform HTTP routes: upload a document and get the suggestion."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, UploadFile

from ...core.permissions import Principal, authorize
from ...web.deps import current_principal, read_upload
from . import service


def router() -> APIRouter:
    r = APIRouter(prefix="/api/v1/malform", tags=["malform"])

    @r.post("/documents", status_code=201, summary="Store a document and suggest its målform")
    async def analyse(request: Request, file: UploadFile, principal: Principal = Depends(current_principal)):
        authorize(principal, "item.create", service="malform")
        data = await read_upload(request, file)
        return service.analyse_document(
            request.app.state.platform,
            principal.tenant_id,
            data,
            filename=file.filename,
            actor=principal.actor,
        )

    return r
