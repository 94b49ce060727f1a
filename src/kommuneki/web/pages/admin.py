"""Administration pages: users and their roles, units, automation policies."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select

from ...core import accounts
from ...core.errors import Conflict, InvalidInput
from ...core.models import Role, User
from ...core.permissions import Principal, authorize
from ..deps import RowId, get_platform, page_principal
from ..forms import form_action, parse_percent
from ..labels import ROLE_LABELS
from ..rendering import render
from ..shapes import unit_dict

router = APIRouter(include_in_schema=False)


# --- users -------------------------------------------------------------------------------------------
@router.get("/admin/brukere")
def users_page(request: Request, principal: Principal = Depends(page_principal)):
    authorize(principal, "users.manage")
    platform = get_platform(request)
    with platform.db.read_session(principal.tenant_id) as session:
        users = [
            (user.id, user.username, user.full_name, user.email, roles)
            for user, roles in accounts.tenant_users(session)
        ]
    return render(
        request, "admin_users.html", principal, users=users, all_roles=[role.value for role in Role]
    )


@router.post("/admin/brukere")
def users_create(
    request: Request,
    principal: Principal = Depends(page_principal),
    username: str = Form(""),
    full_name: str = Form(""),
    email: str = Form(""),
    password: str = Form(""),
    role: str = Form("saksbehandler"),
):
    authorize(principal, "users.manage")
    platform = get_platform(request)
    with form_action(request, "/admin/brukere") as action:
        with platform.db.tenant_session(principal.tenant_id) as session:
            existing = session.scalar(select(User).where(User.username == username.strip().lower()))
            if existing is not None and not (
                principal.is_operator or accounts.roles_of(session, existing.id)
            ):
                # users are installation-wide: a tenant admin reaches only the own tenant's users,
                # never another tenant's by name (whose name and e-mail the list would then show)
                raise Conflict(
                    f"Brukernavnet {existing.username} er opptatt. Velg et annet, eller be "
                    "driftsansvarlig gi en bruker fra en annen organisasjon rolle her."
                )
            user = existing or accounts.create_user(
                session,
                username=username,
                password=password or None,
                full_name=full_name,
                email=email or None,
                actor=principal.actor,
                via="ui",
            )
            accounts.grant_role(
                session,
                principal.tenant_id,
                user,
                role,
                actor=principal.actor,
                known_roles=platform.policy.roles(),
            )
        action.done(f"Brukeren {username} har fått rollen {ROLE_LABELS.get(role, role)}.")
    return action.response


@router.post("/admin/brukere/{user_id}/roller")
def users_grant(
    user_id: RowId,
    request: Request,
    principal: Principal = Depends(page_principal),
    role: str = Form(...),
    action: str = Form("grant"),
):
    authorize(principal, "users.manage")
    platform = get_platform(request)
    with form_action(request, "/admin/brukere") as form:
        with platform.db.tenant_session(principal.tenant_id) as session:
            if action == "revoke":
                accounts.revoke_role(session, principal.tenant_id, user_id, role, actor=principal.actor)
            else:
                user = accounts.get_tenant_user(session, user_id, is_operator=principal.is_operator)
                accounts.grant_role(
                    session,
                    principal.tenant_id,
                    user,
                    role,
                    actor=principal.actor,
                    known_roles=platform.policy.roles(),
                )
        form.done("Rollene er oppdatert.")
    return form.response


# --- units -------------------------------------------------------------------------------------------
@router.get("/admin/enheter")
def units_page(request: Request, principal: Principal = Depends(page_principal)):
    authorize(principal, "units.read")
    platform = get_platform(request)
    with platform.db.read_session(principal.tenant_id) as session:
        units = [unit_dict(unit) for unit in accounts.list_units(session)]
    return render(
        request, "admin_units.html", principal, units=units, can_manage=principal.can("units.manage")
    )


@router.post("/admin/enheter")
def units_create(
    request: Request,
    principal: Principal = Depends(page_principal),
    code: str = Form(""),
    name: str = Form(""),
    email: str = Form(""),
    description: str = Form(""),
):
    authorize(principal, "units.manage")
    platform = get_platform(request)
    with form_action(request, "/admin/enheter") as action:
        with platform.db.tenant_session(principal.tenant_id) as session:
            accounts.create_unit(
                session,
                principal.tenant_id,
                code=code.strip(),
                name=name,
                email=email.strip(),
                description=description,
                actor=principal.actor,
            )
        action.done(f"Enheten {name} er opprettet.")
    return action.response


@router.post("/admin/enheter/{unit_id}")
def units_update(
    unit_id: RowId,
    request: Request,
    principal: Principal = Depends(page_principal),
    name: str = Form(""),
    email: str = Form(""),
    active: str = Form(""),
):
    authorize(principal, "units.manage")
    platform = get_platform(request)
    with form_action(request, "/admin/enheter") as action:
        with platform.db.tenant_session(principal.tenant_id) as session:
            accounts.update_unit(
                session,
                principal.tenant_id,
                unit_id,
                actor=principal.actor,
                name=name,
                email=email.strip(),
                active=active == "on",
            )
        action.done("Enheten er oppdatert.")
    return action.response


# --- automation policies -----------------------------------------------------------------------------
@router.get("/admin/automatisering")
def policies_page(request: Request, principal: Principal = Depends(page_principal)):
    authorize(principal, "policies.read")
    platform = get_platform(request)
    with platform.db.read_session(principal.tenant_id) as session:
        policies = accounts.list_policies(session, platform.registry)
    return render(
        request,
        "admin_policies.html",
        principal,
        policies=policies,
        can_manage=principal.can("policies.manage"),
    )


@router.post("/admin/automatisering")
def policies_update(
    request: Request,
    principal: Principal = Depends(page_principal),
    service: str = Form(...),
    kind: str = Form(...),
    enabled: str = Form(""),
    threshold: str = Form("95"),
):
    authorize(principal, "policies.manage")
    platform = get_platform(request)
    with form_action(request, "/admin/automatisering") as action:
        try:
            share = parse_percent(threshold)
        except ValueError:
            raise InvalidInput("Terskelen må være et tall fra 50 til 100.") from None
        with platform.db.tenant_session(principal.tenant_id) as session:
            accounts.set_policy(
                session,
                platform.registry,
                principal.tenant_id,
                service=service,
                kind=kind,
                enabled=enabled == "on",
                threshold=share if share is not None else 0.95,
                principal=principal,
            )
        action.done("Automatiseringen er oppdatert.")
    return action.response
