"""Sign-in: local accounts and OpenID Connect (Entra ID, ID-porten or any standard provider).

OIDC users are not created on first sign-in: an administrator creates the user (with the e-mail address
the provider will send, or the configured claim) and grants roles; the first OIDC sign-in binds the
provider's ``sub`` to that user. Unknown identities are refused and logged.
"""

from __future__ import annotations

import hashlib
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select

from ..core import accounts, audit
from ..core.errors import Forbidden, NotAuthenticated
from ..core.models import User
from .deps import get_platform
from .rendering import render


def client_addr(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def start_session(request: Request, user: User, method: str, tenant_ref: str | None = None) -> int:
    """Pick the tenant (asked for, or the user's first), record the login, and set the session."""
    platform = get_platform(request)
    with platform.db.installation_session(unscoped=True) as session:
        tenants = accounts.user_tenants(session, session.get(User, user.id))
        if not tenants:
            # recorded, and committed on leaving the block: raising inside it would roll the record back
            audit.record(
                session,
                None,
                "auth.login_failed",
                actor=f"user:{user.id}",
                method=method,
                reason="no_role",
                username_sha256=hashlib.sha256(user.username.encode()).hexdigest(),
            )
        else:
            chosen = (
                next((t for t in tenants if tenant_ref in (t.slug, str(t.id))), tenants[0])
                if tenant_ref
                else tenants[0]
            )
            accounts.record_login(session, chosen.id, user, method)
            session_id = accounts.open_web_session(
                session, user, method, max_age_s=platform.settings.session_max_age_s
            )
    if not tenants:
        raise Forbidden("Brukeren har ingen rolle i noen organisasjon. Kontakt administrator.")
    request.session.clear()  # new session id material after login: no fixation
    request.session.update(
        {
            "user_id": user.id,
            "tenant_id": chosen.id,
            "sid": session_id,  # the server-side session (core.accounts.open_web_session)
            "csrf": secrets.token_urlsafe(32),
            "method": method,
            "seen": accounts.now_ts(),  # last activity, for the idle timeout (web.deps.session_principal)
        }
    )
    return chosen.id


def end_session(request: Request) -> None:
    """Sign out: end the session on the server (its cookie, even a copy kept elsewhere, no longer signs
    anyone in) and clear the cookie."""
    session_id = request.session.get("sid")
    if session_id:
        with get_platform(request).db.installation_session() as session:
            accounts.end_web_session(session, session_id)
    request.session.clear()


def password_login(request: Request, username: str, password: str, tenant_ref: str | None = None) -> int:
    platform = get_platform(request)
    s = platform.settings
    with platform.db.installation_session() as session:
        try:
            user = accounts.authenticate(
                session,
                username,
                password,
                client_addr(request),
                max_failures=s.login_max_failures,
                window_s=s.login_window_s,
                max_failures_per_address=s.login_max_failures_per_address,
            )
        except NotAuthenticated as exc:
            failure = exc
        else:
            failure = None
    if failure is not None:  # the failed attempt above is committed before we refuse
        raise failure
    return start_session(request, user, "password", tenant_ref)


def switch_tenant(request: Request, tenant_id: int) -> None:
    platform = get_platform(request)
    with platform.db.installation_session(unscoped=True) as session:
        user = session.get(User, request.session.get("user_id"))
        if user is None or tenant_id not in {t.id for t in accounts.user_tenants(session, user)}:
            raise Forbidden("Du har ingen rolle i den organisasjonen.")
        accounts.record_login(session, tenant_id, user, "switch")
    request.session["tenant_id"] = tenant_id


UNKNOWN_IDENTITY = (
    "Ingen bruker i kommuneki er knyttet til denne identiteten. Be administrator opprette "
    "deg med samme e-postadresse som du logger inn med."
)


def _refuse(platform, request: Request, reason: str, key: str, message: str):
    """Record the failed OIDC sign-in (the identity only as a hash) and show the login page with why."""
    with platform.db.installation_session() as session:
        audit.record(
            session,
            None,
            "auth.login_failed",
            actor="anonymous",
            method="oidc",
            reason=reason,
            username_sha256=hashlib.sha256(key.encode()).hexdigest(),
        )
    return render(request, "login.html", status_code=403, error=message, next="/")


def oidc_router(platform) -> APIRouter | None:
    """Routes for OIDC sign-in (authorization code flow with PKCE S256, state and nonce, all checked by
    authlib), or None when no issuer is configured."""
    s = platform.settings
    if not s.oidc_issuer:
        return None
    from authlib.integrations.starlette_client import OAuth, OAuthError

    oauth = OAuth()
    oauth.register(
        name="oidc",
        client_id=s.oidc_client_id,
        client_secret=s.oidc_client_secret,
        server_metadata_url=s.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": s.oidc_scopes, "code_challenge_method": "S256"},
    )
    r = APIRouter(tags=["auth"])

    @r.get("/auth/oidc/login", include_in_schema=False)
    async def oidc_login(request: Request):
        # authlib keeps state, nonce and the PKCE verifier in the (signed) session until the callback
        return await oauth.oidc.authorize_redirect(request, s.base_url.rstrip("/") + "/auth/oidc/callback")

    @r.get("/auth/oidc/callback", include_in_schema=False)
    async def oidc_callback(request: Request):
        try:
            token = await oauth.oidc.authorize_access_token(request)
        except OAuthError as exc:
            return _refuse(
                platform,
                request,
                "provider_error",
                exc.error or "oauth_error",
                "Innloggingen ble avbrutt eller kunne ikke bekreftes. Prøv igjen.",
            )
        claims = token.get("userinfo") or {}
        if not claims.get("sub"):
            return _refuse(
                platform, request, "no_subject", "", "Innloggingen ga ingen identitet. Prøv igjen."
            )
        subject = f"{s.oidc_issuer}|{claims['sub']}"
        key = claims.get(s.oidc_email_claim)
        key = str(key).strip().lower() if key else None
        if key and claims.get("email_verified") is False:
            key = None  # never bind an account by an address the provider has not verified
        with platform.db.installation_session() as session:
            user = session.scalar(select(User).where(User.oidc_subject == subject))
            if user is None and key:
                by_key = session.scalar(select(User).where(func.lower(User.email) == key))
                # bind on first sign-in only; a user already bound to another identity is not taken over
                if by_key is not None and by_key.oidc_subject is None:
                    user = by_key
                    user.oidc_subject = subject
                    audit.record(
                        session,
                        None,
                        "user.updated",
                        actor=f"user:{user.id}",
                        subject=("user", user.id),
                        fields=["oidc_subject"],
                    )
            found = user is not None and user.is_active
        if not found:
            return _refuse(platform, request, "unknown_identity", key or subject, UNKNOWN_IDENTITY)
        try:
            start_session(request, user, "oidc")
        except Forbidden as exc:  # known, but no role in any tenant (already recorded)
            return render(request, "login.html", status_code=403, error=exc.message, next="/")
        return RedirectResponse("/", status_code=303)

    return r
