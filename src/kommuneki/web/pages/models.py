"""The models page: registered model versions and the cards the services ship."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ...core import modelreg
from ...core.permissions import Principal, authorize
from ..deps import get_platform, page_principal
from ..rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/modeller")
def models_page(request: Request, principal: Principal = Depends(page_principal)):
    authorize(principal, "models.read")
    platform = get_platform(request)
    with platform.db.read_session(principal.tenant_id) as session:
        models = [modelreg.model_dict(m) for m in modelreg.list_models(session, principal.tenant_id)]
    shipped = [card for spec in platform.registry for card in spec.model_cards()]
    return render(request, "models.html", principal, models=models, shipped=shipped)
