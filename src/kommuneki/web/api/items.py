"""Items: extracted text and metadata, raw bytes, erasure and kassasjon."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ...core import items
from ...core.errors import NotFound
from ...core.models import Item
from ...core.permissions import Principal, authorize
from ..deps import RowId, current_principal, get_platform
from ..shapes import Strict, item_dict

router = APIRouter(tags=["items"])


class EraseIn(Strict):
    reason: Literal["erasure", "kassasjon"]


@router.get("/items/{item_id}", summary="An item's extracted text and metadata")
def get_item(item_id: RowId, request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "item.read")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        i = session.get(Item, item_id)
        if i is None:
            raise NotFound("Elementet finnes ikke.")
        items.authorize_read(principal, i, platform.registry)
        return item_dict(i)


@router.get("/items/{item_id}/content", summary="An item's raw bytes")
def get_item_content(item_id: RowId, request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "item.read")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        i = session.get(Item, item_id)
        if i is None:
            raise NotFound("Elementet finnes ikke.")
        items.authorize_read(principal, i, platform.registry)
        data = items.read_content(session, platform.blobs, i)
        ctype = i.blob.content_type if i.blob else "application/octet-stream"
    return Response(data, media_type=ctype, headers={"Content-Disposition": "attachment"})


@router.post(
    "/items/{item_id}/erase",
    summary="Remove an item's content (GDPR erasure or kassasjon)",
)
def erase_item(
    item_id: RowId, body: EraseIn, request: Request, principal: Principal = Depends(current_principal)
):
    authorize(principal, "item.erase" if body.reason == "erasure" else "item.dispose")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        i = session.get(Item, item_id)
        if i is None:
            raise NotFound("Elementet finnes ikke.")
        items.remove_content(session, platform.blobs, i, reason=body.reason, actor=principal.actor)
        return item_dict(i)
