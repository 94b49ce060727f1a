"""Sign-in for API clients: log in (sets the session cookie), log out, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from ...core import audit
from ...core.models import Tenant
from ...core.permissions import Principal
from ..auth import end_session, password_login
from ..deps import current_principal, get_platform, session_principal
from ..shapes import Strict

router = APIRouter(tags=["auth"])


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1000)
    tenant: str | None = None


@router.post("/auth/login", summary="Sign in with a local account (sets the session cookie)")
def login(body: LoginIn, request: Request):
    tenant_id = password_login(request, body.username, body.password, body.tenant)
    return {"tenant_id": tenant_id, "csrf_token": request.session["csrf"]}


@router.post("/auth/logout", summary="Sign out")
def logout(request: Request):
    principal = session_principal(request)
    if principal is not None:
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
    return {"ok": True}


@router.get("/me", summary="The signed-in principal")
def me(request: Request, principal: Principal = Depends(current_principal)):
    platform = get_platform(request)
    with platform.db.installation_session() as session:
        t = session.get(Tenant, principal.tenant_id)
    return {
        "user_id": principal.user_id,
        "name": principal.display_name,
        "tenant": {"id": t.id, "slug": t.slug, "name": t.name},
        "roles": sorted(principal.roles),
        "is_operator": principal.is_operator,
        "via": principal.via,
    }
