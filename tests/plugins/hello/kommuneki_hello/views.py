from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from kommuneki.core.permissions import Principal, authorize
from kommuneki.web.deps import current_principal, page_principal
from kommuneki.web.rendering import render


def router() -> APIRouter:
    r = APIRouter()

    @r.get("/hello", include_in_schema=False)
    def page(request: Request, p: Principal = Depends(page_principal)):
        authorize(p, "queue.read", service="hello")
        return render(request, "hello/page.html", p)

    @r.get("/api/v1/hello/ping", tags=["hello"], summary="Say hello")
    def ping(p: Principal = Depends(current_principal)):
        authorize(p, "queue.read", service="hello")
        return {"hello": "hei"}

    return r
