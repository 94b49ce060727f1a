"""Tenants, users, roles, units, API tokens, automation policies and sign-in — with their audit entries.

Functions take a session and never commit: the caller (web handler, CLI command) owns the transaction.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from . import audit
from .db import utcnow
from .errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound, TooManyRequests
from .models import ApiToken, AutomationPolicy, LoginAttempt, Membership, Tenant, Unit, User, WebSession
from .permissions import CORE_POLICY, Policy, Principal, units_of
from .registry import ServiceRegistry

_hasher = PasswordHasher()
TOKEN_PREFIX = "kki_"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLE_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,40}$")


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise InvalidInput("Passordet må ha minst 8 tegn.")
    return _hasher.hash(password)


_dummy_hash: str | None = None


def _unknown_user_hash() -> str:
    """An Argon2 hash (same parameters as real ones) of a random password nobody knows: checked when
    there is no user or no password, so that signing in as an unknown user costs what a known one
    does and the time taken does not tell whether the user exists."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(32))
    return _dummy_hash


def check_password(stored: str | None, password: str) -> bool:
    try:
        # a full verification either way: no user (or no password) is not answered any faster
        return _hasher.verify(stored or _unknown_user_hash(), password) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False


# --- tenants --------------------------------------------------------------------------------------


def create_tenant(
    session: Session,
    *,
    slug: str,
    name: str,
    kommunenummer: str | None = None,
    kind: str = "kommune",
    malform: str = "bokmal",
    actor: str = "cli",
) -> Tenant:
    if not SLUG_RE.match(slug):
        raise InvalidInput("Kortnavnet kan bare ha små bokstaver a–z, sifre og bindestrek.")
    if kommunenummer is not None and not re.fullmatch(r"\d{4}", kommunenummer):
        raise InvalidInput("Kommunenummeret har fire sifre.")
    if kind not in ("kommune", "fylkeskommune"):
        raise InvalidInput("Typen må være kommune eller fylkeskommune.")
    if malform not in ("bokmal", "nynorsk"):
        raise InvalidInput("Målformen må være bokmal eller nynorsk.")
    if session.scalar(select(Tenant).where(Tenant.slug == slug)):
        raise Conflict(f"Det finnes allerede en organisasjon med kortnavnet {slug}.")
    if kommunenummer and session.scalar(select(Tenant).where(Tenant.kommunenummer == kommunenummer)):
        raise Conflict(f"Kommunenummer {kommunenummer} er allerede i bruk.")
    t = Tenant(slug=slug, name=name, kommunenummer=kommunenummer, kind=kind, malform=malform, settings={})
    session.add(t)
    session.flush()
    audit.record(
        session, t.id, "tenant.created", actor=actor, subject=("tenant", t.id), kommunenummer=kommunenummer
    )
    return t


def list_tenants(session: Session) -> list[Tenant]:
    return list(session.scalars(select(Tenant).order_by(Tenant.id)))


def resolve_tenant(session: Session, ref: str | None) -> Tenant:
    """Find a tenant by slug, kommunenummer or id. ``None``: the only tenant, else the demo tenant."""
    if ref:
        stmt = select(Tenant).where((Tenant.slug == ref) | (Tenant.kommunenummer == ref))
        t = session.scalar(stmt)
        if t is None and ref.isdigit():
            t = session.get(Tenant, int(ref))
        if t is None:
            raise NotFound(f"Fant ingen organisasjon «{ref}».")
        return t
    tenants = list_tenants(session)
    if len(tenants) == 1:
        return tenants[0]
    demo = next((t for t in tenants if t.slug == "demo"), None)
    if demo:
        return demo
    if not tenants:
        raise NotFound("Det finnes ingen organisasjon ennå. Opprett en med «kommuneki tenant create».")
    raise InvalidInput("Flere organisasjoner finnes: velg én med --tenant.")


# --- users and roles ------------------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    username: str,
    password: str | None,
    full_name: str = "",
    email: str | None = None,
    is_operator: bool = False,
    actor: str = "cli",
    via: str = "cli",
) -> User:
    username = username.strip().lower()
    if not re.fullmatch(r"[a-z0-9._@-]{2,150}", username):
        raise InvalidInput("Brukernavnet kan ha bokstaver a–z, sifre og . _ @ -")
    if email is not None and not EMAIL_RE.match(email):
        raise InvalidInput("E-postadressen er ugyldig.")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"Brukernavnet {username} er opptatt.")
    if email and session.scalar(select(User).where(User.email == email)):
        raise Conflict("E-postadressen er allerede i bruk.")
    u = User(
        username=username,
        full_name=full_name,
        email=email,
        is_operator=is_operator,
        password_hash=hash_password(password) if password else None,
    )
    session.add(u)
    session.flush()
    audit.record(session, None, "user.added", actor=actor, subject=("user", u.id), via=via)
    return u


def grant_role(
    session: Session,
    tenant_id: int,
    user: User,
    role: str,
    *,
    actor: str,
    known_roles: Iterable[str] | None = None,
) -> Membership:
    """Give ``user`` ``role`` in the tenant. ``known_roles``: the installation's roles (the merged policy's
    ``roles()``, core and services); without it only the form of the name is checked."""
    allowed = list(known_roles) if known_roles is not None else None
    if (allowed is not None and role not in allowed) or not ROLE_NAME_RE.match(role):
        raise InvalidInput(f"Ukjent rolle {role}. Roller: {', '.join(allowed or [])}")
    existing = session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.role == role)
    )
    if existing:
        return existing
    m = Membership(tenant_id=tenant_id, user_id=user.id, role=role)
    session.add(m)
    session.flush()
    audit.record(session, tenant_id, "role.granted", actor=actor, subject=("user", user.id), role=role)
    return m


def revoke_role(session: Session, tenant_id: int, user_id: int, role: str, *, actor: str) -> None:
    m = session.scalar(select(Membership).where(Membership.user_id == user_id, Membership.role == role))
    if m is None:
        raise NotFound("Brukeren har ikke den rollen.")
    session.delete(m)
    audit.record(session, tenant_id, "role.revoked", actor=actor, subject=("user", user_id), role=role)


def get_tenant_user(session: Session, user_id: int, *, is_operator: bool = False) -> User:
    """A user who holds a role in the session's tenant (any user for an installation operator).
    Users are installation-wide, so a bare ``session.get(User, id)`` would let one tenant's admin
    see and grant roles to another tenant's users by guessing ids."""
    u = session.get(User, user_id)
    if u is None or not (is_operator or roles_of(session, u.id)):
        raise NotFound("Brukeren finnes ikke.")
    return u


def roles_of(session: Session, user_id: int) -> frozenset[str]:
    """Roles of a user in the session's tenant."""
    return frozenset(session.scalars(select(Membership.role).where(Membership.user_id == user_id)))


def tenant_users(session: Session) -> list[tuple[User, list[str]]]:
    """Users with at least one role in the session's tenant."""
    rows = session.execute(select(Membership).order_by(Membership.user_id, Membership.role)).scalars()
    out: dict[int, tuple[User, list[str]]] = {}
    for m in rows:
        out.setdefault(m.user_id, (m.user, []))[1].append(m.role)
    return list(out.values())


def user_tenants(session: Session, user: User) -> list[Tenant]:
    """Tenants where the user holds a role (all tenants for an operator). Needs an unscoped session."""
    if user.is_operator:
        return list_tenants(session)
    ids = session.scalars(
        select(Membership.tenant_id)
        .where(Membership.user_id == user.id)
        .distinct()
        .execution_options(include_all_tenants=True)
    )
    return list(session.scalars(select(Tenant).where(Tenant.id.in_(list(ids))).order_by(Tenant.id)))


# --- sign-in --------------------------------------------------------------------------------------


def check_rate_limit(
    session: Session,
    username: str,
    remote_addr: str,
    *,
    max_failures: int,
    window_s: int,
    max_failures_per_address: int | None = None,
) -> None:
    """Refuse (429) after ``max_failures`` failed logins for one user name from one address, or
    ``max_failures_per_address`` from one address whatever the user names (password spraying), within
    the window. Counted in the database, so every web worker sees the same count."""
    since = utcnow() - timedelta(seconds=window_s)
    failed_from_address = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.remote_addr == remote_addr,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at >= since,
        )
    )
    failures = session.scalar(failed_from_address.where(LoginAttempt.username == username.lower()))
    if failures >= max_failures:
        raise TooManyRequests("For mange mislykkede innlogginger. Vent et kvarter og prøv igjen.")
    if (
        max_failures_per_address is not None
        and session.scalar(failed_from_address) >= max_failures_per_address
    ):
        raise TooManyRequests(
            "For mange mislykkede innlogginger fra denne adressen. Vent et kvarter og prøv igjen."
        )


def authenticate(
    session: Session,
    username: str,
    password: str,
    remote_addr: str,
    *,
    max_failures: int,
    window_s: int,
    max_failures_per_address: int | None = None,
) -> User:
    """Check a local password. Records the attempt; raises NotAuthenticated (same message, and the same
    Argon2 work, whether the user exists or not) or TooManyRequests."""
    username = (username or "").strip().lower()
    check_rate_limit(
        session,
        username,
        remote_addr,
        max_failures=max_failures,
        window_s=window_s,
        max_failures_per_address=max_failures_per_address,
    )
    user = session.scalar(select(User).where(User.username == username))
    known = user is not None and user.is_active
    password_ok = check_password(user.password_hash if known else None, password or "")
    ok = known and password_ok
    session.add(LoginAttempt(username=username, remote_addr=remote_addr, succeeded=ok))
    if not ok:
        audit.record(
            session,
            None,
            "auth.login_failed",
            actor="anonymous",
            method="password",
            reason="bad_credentials",
            username_sha256=hashlib.sha256(username.encode()).hexdigest(),
        )
        raise NotAuthenticated("Feil brukernavn eller passord.")
    return user


# --- web sessions ---------------------------------------------------------------------------------


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_web_session(session: Session, user: User, method: str, *, max_age_s: int) -> str:
    """Start a server-side session for ``user``; returns its id for the (signed) cookie. Sessions that
    ended or expired more than a day ago are removed on the way."""
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at < now - timedelta(days=1)))
    session_id = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_session_hash(session_id),
            user_id=user.id,
            method=method,
            created_at=now,
            expires_at=now + timedelta(seconds=max_age_s),
        )
    )
    session.flush()
    return session_id


def web_session_user(session: Session, session_id: str | None) -> int | None:
    """The user of a live session (not ended, not expired), else None."""
    if not session_id:
        return None
    return session.scalar(
        select(WebSession.user_id).where(
            WebSession.token_hash == _session_hash(session_id),
            WebSession.ended_at.is_(None),
            WebSession.expires_at > utcnow(),
        )
    )


SESSION_IDLE = "Du ble logget ut fordi du ikke hadde gjort noe på {minutes} minutter. Logg inn igjen."
SESSION_EXPIRED = "Du ble logget ut fordi innloggingen varer høyst {hours} timer. Logg inn igjen."


def now_ts() -> float:
    """Now, as seconds since the epoch: what a session's cookie keeps as its last activity."""
    return utcnow().timestamp()


def session_limits(tenant_settings: dict | None, *, idle_s: int, max_age_s: int) -> tuple[int, int]:
    """(idle, absolute) limits in seconds for a tenant's sessions. The operator's settings are the
    ceiling; a tenant may shorten them (``tenant.settings["sessions"]``: ``idle_minutes``,
    ``max_hours``), never lengthen them."""
    own = (tenant_settings or {}).get("sessions") or {}
    idle = idle_s
    if isinstance(own.get("idle_minutes"), int) and own["idle_minutes"] > 0:
        idle = min(idle, own["idle_minutes"] * 60)
    age = max_age_s
    if isinstance(own.get("max_hours"), int) and own["max_hours"] > 0:
        age = min(age, own["max_hours"] * 3600)
    return idle, age


def set_session_limits(
    session: Session, tenant_id: int, *, idle_minutes: int | None, max_hours: int | None, actor: str
) -> dict:
    """A tenant's own (shorter) session limits; ``None`` leaves one at the operator's setting."""
    for value, label in ((idle_minutes, "Minutter uten aktivitet"), (max_hours, "Timer")):
        if value is not None and not 1 <= value <= 24 * 60:
            raise InvalidInput(f"{label} må være et heltall fra 1 til 1440.")
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Organisasjonen finnes ikke.")
    sessions = {k: v for k, v in (("idle_minutes", idle_minutes), ("max_hours", max_hours)) if v is not None}
    tenant.settings = {**(tenant.settings or {}), "sessions": sessions}
    audit.record(
        session, tenant_id, "tenant.updated", actor=actor, subject=("tenant", tenant_id), fields=["sessions"]
    )
    return sessions


def check_web_session(
    session: Session, session_id: str | None, *, last_seen: float | None, idle_s: int, max_age_s: int
) -> tuple[int | None, str | None]:
    """(user id, None) for a live session; (None, "idle" | "expired") for one that has been left
    ``idle_s`` seconds since the last request (``last_seen``, from the signed cookie) or has lasted
    ``max_age_s`` since sign-in; (None, None) for no open session (signed out, unknown)."""
    if not session_id:
        return None, None
    row = session.execute(
        select(WebSession.user_id, WebSession.created_at, WebSession.expires_at).where(
            WebSession.token_hash == _session_hash(session_id), WebSession.ended_at.is_(None)
        )
    ).first()
    if row is None:
        return None, None
    now = utcnow()
    if row.expires_at <= now or row.created_at <= now - timedelta(seconds=max_age_s):
        return None, "expired"
    if last_seen is None or now.timestamp() - last_seen > idle_s:
        return None, "idle"
    return row.user_id, None


def end_web_session(session: Session, session_id: str | None) -> None:
    """End one session on the server (signing out): its cookie no longer signs anyone in."""
    if session_id:
        session.execute(
            update(WebSession)
            .where(WebSession.token_hash == _session_hash(session_id), WebSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


def end_user_sessions(session: Session, user_id: int) -> int:
    """End every open session of a user (deactivated, password changed); returns how many."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    return result.rowcount or 0


def record_login(session: Session, tenant_id: int, user: User, method: str) -> None:
    audit.record(
        session, tenant_id, "auth.login", actor=f"user:{user.id}", subject=("user", user.id), method=method
    )


# --- API tokens -----------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, tenant_id: int, user: User, name: str, *, actor: str
) -> tuple[ApiToken, str]:
    """Returns the row and the token itself, which is shown once and never stored."""
    if not name.strip():
        raise InvalidInput("Gi nøkkelen et navn.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        tenant_id=tenant_id,
        user_id=user.id,
        name=name.strip(),
        prefix=token[:12],
        token_hash=_token_hash(token),
    )
    session.add(row)
    session.flush()
    audit.record(
        session, tenant_id, "token.created", actor=actor, subject=("token", row.id), prefix=row.prefix
    )
    return row, token


def revoke_token(session: Session, tenant_id: int, token_id: int, *, actor: str) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("Nøkkelen finnes ikke.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(
            session, tenant_id, "token.revoked", actor=actor, subject=("token", row.id), prefix=row.prefix
        )


# how stale ``ApiToken.last_used_at`` may get before a request writes it again: it says "in use around
# then" (shown on the token list, kept for an operator's clean-up), not a log of requests — the audit log
# records what a token did. A write on every request would make every API read a write transaction.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


def _token_rows(session: Session, token: str) -> list[Any]:
    """The token, its user and the user's memberships in the token's tenant: one statement of plain
    rows (no ORM entities; an outer join, so a user without a role still resolves)."""
    return session.execute(
        select(
            ApiToken.id,
            ApiToken.tenant_id,
            ApiToken.revoked_at,
            ApiToken.last_used_at,
            User.id,
            User.is_active,
            User.is_operator,
            User.full_name,
            User.username,
            Membership.role,
            Membership.units,
        )
        .select_from(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .outerjoin(
            Membership,
            (Membership.user_id == ApiToken.user_id) & (Membership.tenant_id == ApiToken.tenant_id),
        )
        .where(ApiToken.token_hash == _token_hash(token))
        .execution_options(include_all_tenants=True)
    ).all()


def _principal_from_token_rows(rows: list[Any], policy: Policy) -> Principal:
    if not rows or rows[0][2] is not None:
        raise NotAuthenticated("Ugyldig eller tilbakekalt API-nøkkel.")
    token_id, tenant_id, _revoked, _last, user_id, is_active, is_operator, full_name, username = rows[0][:9]
    if not is_active:
        raise NotAuthenticated("Brukeren bak nøkkelen er deaktivert.")
    memberships = [r for r in rows if r.role is not None]  # the outer join's row of a user without roles
    return Principal(
        user_id=user_id,
        tenant_id=tenant_id,
        roles=frozenset(r.role for r in memberships),
        is_operator=is_operator,
        via="token",
        token_id=token_id,
        display_name=full_name or username,
        policy=policy,
        units=units_of(memberships),
    )


def _token_stale(last_used_at, now) -> bool:
    if last_used_at is None:
        return True
    if last_used_at.tzinfo is None:
        last_used_at = last_used_at.replace(tzinfo=now.tzinfo)
    return now - last_used_at > TOKEN_TOUCH_INTERVAL


def authenticate_token(db, token: str, *, policy: Policy = CORE_POLICY) -> Principal:
    """Resolve a bearer token across tenants for one request. Raises NotAuthenticated.

    The lookup is one statement in a read-only session (on SQLite no write lock, so API reads never
    queue behind a long write). ``last_used_at`` is written in a short write transaction of its own only
    when it is older than :data:`TOKEN_TOUCH_INTERVAL` — at most once per token every five minutes, and
    the update is conditional, so several web workers do not all write it. Revoking a token or a role,
    or deactivating the user, takes effect on the next request (nothing is cached)."""
    if not token.startswith(TOKEN_PREFIX):
        raise NotAuthenticated("Ugyldig API-nøkkel.")
    with db.read_session(unscoped=True) as session:
        rows = _token_rows(session, token)
    principal = _principal_from_token_rows(rows, policy)
    now = utcnow()
    if _token_stale(rows[0][3], now):
        with db.installation_session(unscoped=True) as session:
            session.execute(
                update(ApiToken)
                .where(
                    ApiToken.id == principal.token_id,
                    (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < now - TOKEN_TOUCH_INTERVAL),
                )
                .values(last_used_at=now)
                .execution_options(include_all_tenants=True, synchronize_session=False)
            )
    return principal


def principal_for_token(session: Session, token: str, *, policy: Policy = CORE_POLICY) -> Principal:
    """Like :func:`authenticate_token`, in a session the caller holds (a write session: a stale
    ``last_used_at`` is written in it). Raises NotAuthenticated."""
    if not token.startswith(TOKEN_PREFIX):
        raise NotAuthenticated("Ugyldig API-nøkkel.")
    rows = _token_rows(session, token)
    principal = _principal_from_token_rows(rows, policy)
    now = utcnow()
    if _token_stale(rows[0][3], now):
        row = session.get(ApiToken, principal.token_id, execution_options={"include_all_tenants": True})
        row.last_used_at = now
    return principal


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


# --- units ----------------------------------------------------------------------------------------


def create_unit(
    session: Session, tenant_id: int, *, code: str, name: str, email: str, description: str = "", actor: str
) -> Unit:
    if not SLUG_RE.match(code):
        raise InvalidInput("Koden kan bare ha små bokstaver a–z, sifre og bindestrek.")
    if not EMAIL_RE.match(email or ""):
        raise InvalidInput("Enheten må ha en gyldig e-postadresse.")
    if not name.strip():
        raise InvalidInput("Enheten må ha et navn.")
    if session.scalar(select(Unit).where(Unit.code == code)):
        raise Conflict(f"Det finnes allerede en enhet med koden {code}.")
    u = Unit(tenant_id=tenant_id, code=code, name=name.strip(), email=email, description=description)
    session.add(u)
    session.flush()
    audit.record(session, tenant_id, "unit.created", actor=actor, subject=("unit", u.id), code=code)
    return u


def update_unit(session: Session, tenant_id: int, unit_id: int, *, actor: str, **changes: Any) -> Unit:
    u = session.get(Unit, unit_id)
    if u is None or u.tenant_id != tenant_id:
        raise NotFound("Enheten finnes ikke.")
    allowed = {"name", "email", "description", "active"}
    bad = set(changes) - allowed
    if bad:
        raise InvalidInput(f"Ukjente felt: {', '.join(sorted(bad))}")
    if "email" in changes and not EMAIL_RE.match(changes["email"] or ""):
        raise InvalidInput("Enheten må ha en gyldig e-postadresse.")
    for k, v in changes.items():
        setattr(u, k, v)
    audit.record(
        session,
        tenant_id,
        "unit.updated",
        actor=actor,
        subject=("unit", u.id),
        code=u.code,
        fields=sorted(changes),
    )
    return u


def list_units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).order_by(Unit.name)))


# --- automation policies --------------------------------------------------------------------------


def set_policy(
    session: Session,
    registry: ServiceRegistry,
    tenant_id: int,
    *,
    service: str,
    kind: str,
    enabled: bool,
    threshold: float,
    principal: Principal,
) -> AutomationPolicy:
    spec = registry.get(service)
    k = spec.kind(kind) if spec else None
    if k is None:
        raise InvalidInput(f"Ukjent forslagstype {service}/{kind}.")
    if enabled and not k.automatable:
        raise Forbidden(
            "Denne forslagstypen kan ikke automatiseres: den gjelder en avgjørelse en person må ta."
        )
    if not 0.5 <= threshold <= 1.0:
        raise InvalidInput("Terskelen må være mellom 0,5 og 1.")
    p = session.scalar(
        select(AutomationPolicy).where(AutomationPolicy.service == service, AutomationPolicy.kind == kind)
    )
    if p is None:
        p = AutomationPolicy(tenant_id=tenant_id, service=service, kind=kind)
        session.add(p)
    p.enabled, p.threshold, p.updated_by = enabled, threshold, principal.user_id
    session.flush()
    audit.record(
        session,
        tenant_id,
        "policy.changed",
        actor=principal.actor,
        subject=("policy", p.id),
        service=service,
        kind=kind,
        enabled=enabled,
        threshold=threshold,
    )
    return p


def list_policies(session: Session, registry: ServiceRegistry) -> list[dict[str, Any]]:
    """Every suggestion kind of every service, with its policy (off when none is stored)."""
    stored = {(p.service, p.kind): p for p in session.scalars(select(AutomationPolicy))}
    out = []
    for spec in registry:
        for k in spec.kinds:
            p = stored.get((spec.name, k.name))
            out.append(
                {
                    "service": spec.name,
                    "service_title": spec.title,
                    "kind": k.name,
                    "kind_title": k.title,
                    "automatable": k.automatable,
                    "enabled": bool(p and p.enabled),
                    "threshold": p.threshold if p else 0.95,
                    "id": p.id if p else None,
                }
            )
    return out
