"""Administration: users and roles, units, automation policies, API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from ...core import accounts
from ...core.models import User
from ...core.permissions import Principal, authorize
from ..deps import RowId, current_principal, get_platform
from ..shapes import Strict, unit_dict, user_dict

router = APIRouter(tags=["admin"])


class UserIn(Strict):
    username: str = Field(min_length=2, max_length=150)
    full_name: str = Field("", max_length=200)
    email: str | None = Field(None, max_length=320)
    password: str | None = Field(None, min_length=8, max_length=1000)
    roles: list[str] = Field(default_factory=list)


class RoleIn(Strict):
    role: str


class UnitIn(Strict):
    code: str = Field(min_length=2, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    description: str = Field("", max_length=2000)


class UnitPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, max_length=320)
    description: str | None = Field(None, max_length=2000)
    active: bool | None = None


class PolicyIn(Strict):
    enabled: bool
    threshold: float = Field(0.95, ge=0.0, le=1.0)


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=200)


@router.get("/users", summary="Users with a role in this tenant")
def list_users(request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "users.manage")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        return {"items": [user_dict(u, roles) for u, roles in accounts.tenant_users(session)]}


@router.post("/users", status_code=201, summary="Create a user with roles in this tenant")
def create_user(body: UserIn, request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "users.manage")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        u = accounts.create_user(
            session,
            username=body.username,
            password=body.password,
            full_name=body.full_name,
            email=(body.email or None),
            actor=principal.actor,
            via="api",
        )
        for role in body.roles:
            accounts.grant_role(
                session,
                principal.tenant_id,
                u,
                role,
                actor=principal.actor,
                known_roles=platform.policy.roles(),
            )
        return user_dict(u, body.roles)


@router.post("/users/{user_id}/roles", status_code=201, summary="Grant a role")
def grant(user_id: RowId, body: RoleIn, request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "users.manage")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        u = accounts.get_tenant_user(session, user_id, is_operator=principal.is_operator)
        accounts.grant_role(
            session,
            principal.tenant_id,
            u,
            body.role,
            actor=principal.actor,
            known_roles=platform.policy.roles(),
        )
        return user_dict(u, sorted(accounts.roles_of(session, u.id)))


@router.delete("/users/{user_id}/roles/{role}", summary="Revoke a role")
def revoke(user_id: RowId, role: str, request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "users.manage")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        accounts.revoke_role(session, principal.tenant_id, user_id, role, actor=principal.actor)
        return {"ok": True}


@router.get("/units", summary="Units (enheter)")
def list_units(request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "units.read")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        return {"items": [unit_dict(u) for u in accounts.list_units(session)]}


@router.post("/units", status_code=201, summary="Create a unit")
def create_unit(body: UnitIn, request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "units.manage")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        return unit_dict(
            accounts.create_unit(session, principal.tenant_id, actor=principal.actor, **body.model_dump())
        )


@router.patch("/units/{unit_id}", summary="Change a unit")
def patch_unit(
    unit_id: RowId, body: UnitPatch, request: Request, principal: Principal = Depends(current_principal)
):
    authorize(principal, "units.manage")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        return unit_dict(
            accounts.update_unit(
                session,
                principal.tenant_id,
                unit_id,
                actor=principal.actor,
                **body.model_dump(exclude_none=True),
            )
        )


@router.get("/policies", summary="Automation policies for every suggestion kind")
def list_policies(request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "policies.read")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        return {"items": accounts.list_policies(session, platform.registry)}


@router.put("/policies/{service}/{kind}", summary="Switch automation on or off for one kind")
def put_policy(
    service: str,
    kind: str,
    body: PolicyIn,
    request: Request,
    principal: Principal = Depends(current_principal),
):
    authorize(principal, "policies.manage")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        pol = accounts.set_policy(
            session,
            platform.registry,
            principal.tenant_id,
            service=service,
            kind=kind,
            enabled=body.enabled,
            threshold=body.threshold,
            principal=principal,
        )
        return {
            "id": pol.id,
            "service": pol.service,
            "kind": pol.kind,
            "enabled": pol.enabled,
            "threshold": pol.threshold,
        }


@router.get("/tokens", summary="API tokens of this tenant")
def list_tokens(request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "tokens.manage")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        return {
            "items": [
                {
                    "id": t.id,
                    "name": t.name,
                    "prefix": t.prefix,
                    "user_id": t.user_id,
                    "created_at": t.created_at.isoformat(),
                    "revoked": t.revoked_at is not None,
                }
                for t in accounts.list_tokens(session)
            ]
        }


@router.post("/tokens", status_code=201, summary="Create an API token for yourself (shown once)")
def create_token(body: TokenIn, request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "tokens.manage")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        u = session.get(User, principal.user_id)
        row, secret = accounts.create_token(session, principal.tenant_id, u, body.name, actor=principal.actor)
        return {"id": row.id, "prefix": row.prefix, "token": secret}


@router.delete("/tokens/{token_id}", summary="Revoke an API token")
def revoke_token(token_id: RowId, request: Request, principal: Principal = Depends(current_principal)):
    authorize(principal, "tokens.manage")
    platform = get_platform(request)
    with platform.db.tenant_session(principal.tenant_id) as session:
        accounts.revoke_token(session, principal.tenant_id, token_id, actor=principal.actor)
        return {"ok": True}
