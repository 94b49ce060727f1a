"""Request dependencies: the platform, the signed-in principal (session or API token), CSRF, uploads."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Path, Request, UploadFile
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from ..core import accounts
from ..core.db import MAX_ROW_ID
from ..core.errors import Forbidden, InvalidInput, NotAuthenticated, PayloadTooLarge
from ..core.models import Membership, Tenant, User
from ..core.permissions import Principal, units_of
from ..core.platform import Platform

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# A row id in a path: positive and within what every supported database stores, so that a huge id is a
# 422 in Norwegian instead of an overflow inside the database driver (a 500).
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="Id (1 til 2147483647)")]
# offsets and other counts in a query: within the same range
MAX_COUNT = MAX_ROW_ID


def get_platform(request: Request) -> Platform:
    return request.app.state.platform


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Session-authenticated writes must carry the session's CSRF token (form field or header)."""
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        sent = form.get("csrf_token")
    if not expected or not sent or not hmac.compare_digest(str(sent), expected):
        raise Forbidden("Skjemaet er utløpt eller ugyldig (CSRF). Last siden på nytt og prøv igjen.")


def session_principal(request: Request) -> Principal | None:
    user_id = request.session.get("user_id")
    tenant_id = request.session.get("tenant_id")
    if not user_id or not tenant_id:
        return None
    platform = get_platform(request)
    settings = platform.settings
    # a read-only session: on SQLite it does not wait for a long write (a valuation job) to finish
    with platform.db.read_session(tenant_id) as session:
        tenant = session.get(Tenant, tenant_id)
        idle_s, max_age_s = accounts.session_limits(
            tenant.settings if tenant else None,
            idle_s=settings.session_idle_s,
            max_age_s=settings.session_max_age_s,
        )
        # the signed cookie alone is not enough: its server-side session must still be open (signing
        # out ends it at once, in every worker), not left idle, not older than the absolute limit
        live, ended = accounts.check_web_session(
            session,
            request.session.get("sid"),
            last_seen=request.session.get("seen"),
            idle_s=idle_s,
            max_age_s=max_age_s,
        )
        if live != user_id:
            if ended:
                _end_timed_out(request, ended, idle_s, max_age_s)
            return None
        request.session["seen"] = accounts.now_ts()  # the cookie is signed: a client cannot move it
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        memberships = list(session.scalars(select(Membership).where(Membership.user_id == user.id)))
        roles = frozenset(m.role for m in memberships)
        if not roles and not user.is_operator:
            return None
        return Principal(
            user_id=user.id,
            tenant_id=tenant_id,
            roles=roles,
            is_operator=user.is_operator,
            via="session",
            display_name=user.full_name or user.username,
            policy=platform.policy,
            units=units_of(memberships),
        )


def _end_timed_out(request: Request, ended: str, idle_s: int, max_age_s: int) -> None:
    """A session left idle (or past its absolute limit) is refused and its cookie cleared; the sign-in
    page then says why (a flash in the fresh session). Idleness is read from the signed cookie's last
    activity, so every copy of an idle cookie stays refused without a write here (a copy cannot be
    moved forward: the cookie is signed); the absolute limit is the server's (``web_session``)."""
    message = (
        accounts.SESSION_IDLE.format(minutes=max(1, idle_s // 60))
        if ended == "idle"
        else accounts.SESSION_EXPIRED.format(hours=max(1, max_age_s // 3600))
    )
    request.session.clear()
    request.session["flash"] = {"kind": "info", "text": message}


def _token_principal(request: Request, token: str) -> Principal:
    platform = get_platform(request)
    return accounts.authenticate_token(platform.db, token, policy=platform.policy)


def _is_bearer(request: Request) -> bool:
    return request.headers.get("authorization", "").lower().startswith("bearer ")


def resolve_principal(request: Request) -> Principal:
    """The bearer API token's or the session cookie's principal (blocking: database lookups; call it
    from a worker thread). CSRF is not checked here: :func:`current_principal` does that for writes."""
    auth = request.headers.get("authorization", "")
    if _is_bearer(request):
        principal = _token_principal(request, auth[7:].strip())
    else:
        principal = session_principal(request)
        if principal is None:
            raise NotAuthenticated("Du må logge inn.")
    request.state.principal = principal
    return principal


async def current_principal(request: Request) -> Principal:
    """Bearer API token, or the session cookie (then CSRF is checked on writes). The database lookups
    run in the thread pool, not on the event loop: one slow database must not stall every request."""
    principal = await run_in_threadpool(resolve_principal, request)
    if not _is_bearer(request) and request.method not in SAFE_METHODS:
        await check_csrf(request)
    return principal


async def page_principal(request: Request) -> Principal:
    """Like :func:`current_principal`, but pages use only the session cookie (CSRF checked on POST)."""
    principal = await run_in_threadpool(session_principal, request)
    if principal is None:
        raise NotAuthenticated("Du må logge inn.")
    if request.method == "POST":
        await check_csrf(request)
    return principal


async def read_upload(request: Request, file: UploadFile) -> bytes:
    limit = get_platform(request).settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"Filen er for stor (grense {limit // (1024 * 1024)} MB).")
    return data


async def page_form(request: Request) -> FormData:
    """The request's form, parsed on the event loop, for a plain ``def`` route (``form: FormData =
    Depends(page_form)``): FastAPI runs such a route in its thread pool, so the database and CPU work
    after the form never blocks the event loop. Starlette keeps the parsed form on the request, so the
    CSRF check and the route read it once. Its files are spooled: ``file.file.read()`` in the route."""
    return await request.form()


async def json_body(request: Request) -> object:
    """The request's JSON body, parsed on the event loop, for a plain ``def`` route; invalid JSON is
    refused in Norwegian."""
    try:
        return await request.json()
    except ValueError as exc:
        raise InvalidInput("Ugyldig JSON.") from exc


def read_upload_sync(request: Request, file) -> bytes:
    """An uploaded file's bytes, read in a plain ``def`` route (the thread pool), within the upload
    limit."""
    limit = get_platform(request).settings.max_upload_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"Filen er for stor (grense {limit // (1024 * 1024)} MB).")
    return data
