"""Sign-in pages: the login form, signing out, switching organisation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool

from ...core import audit
from ...core.db import MAX_ROW_ID
from ...core.errors import DomainError
from ...core.permissions import Principal
from ..auth import end_session, password_login, switch_tenant
from ..deps import check_csrf, get_platform, page_principal
from ..forms import form_action
from ..rendering import redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/logg-inn")
def login_form(request: Request, neste: str = "/"):
    return render(
        request, "login.html", next=neste if neste.startswith("/") and not neste.startswith("//") else "/"
    )


@router.post("/logg-inn")
async def login(request: Request, username: str = Form(""), password: str = Form(""), neste: str = Form("/")):
    await check_csrf(request)

    def show_again(exc: DomainError):  # the name as typed, the refusal above the form
        return render(
            request,
            "login.html",
            status_code=exc.http_status,
            error=exc.message,
            username=username,
            next=neste,
        )

    target = neste if neste.startswith("/") and not neste.startswith("//") else "/"
    with form_action(request, target, show_again=show_again) as action:
        # Argon2 and the database in the thread pool, not on the event loop
        await run_in_threadpool(password_login, request, username, password)
    return action.response


@router.post("/logg-ut")
def logout(request: Request, principal: Principal = Depends(page_principal)):
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        audit.record(
            session,
            principal.tenant_id,
            "auth.logout",
            actor=principal.actor,
            subject=("user", principal.user_id),
        )
    end_session(request)
    return redirect("/logg-inn", ("info", "Du er logget ut."), request)


@router.post("/bytt-organisasjon")
def change_tenant(
    request: Request,
    tenant_id: int = Form(..., ge=1, le=MAX_ROW_ID),
    principal: Principal = Depends(page_principal),
):
    switch_tenant(request, tenant_id)
    return redirect("/", ("info", "Du har byttet organisasjon."), request)
