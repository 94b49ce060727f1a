"""API token lookup per request (``accounts.authenticate_token``): one read, ``last_used_at`` only when
stale, revocation and role changes effective on the next request. Both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from kommuneki.core import accounts
from kommuneki.core.db import utcnow
from kommuneki.core.errors import NotAuthenticated
from kommuneki.core.models import ApiToken, User
from tests.core.world import fresh_tenant, mplatform  # noqa: F401 - module-scoped fixture


@pytest.fixture
def token_env(mplatform):
    platform = mplatform
    t = fresh_tenant(platform)
    with platform.db.installation_session() as s:
        user = accounts.create_user(
            s, username=f"tok-{t}", password=None, full_name="Token Bruker", actor="test"
        )
        u = user.id
    with platform.db.tenant_session(t) as s:
        accounts.grant_role(s, t, s.get(User, u), "saksbehandler", actor="test")
        accounts.grant_role(s, t, s.get(User, u), "leder", actor="test").units = ["helse", "skole"]
        row, token = accounts.create_token(s, t, s.get(User, u), "integrasjon", actor="test")
    return platform, t, u, row.id, token


def _last_used(platform, t, token_id):
    with platform.db.read_session(t) as s:
        return s.get(ApiToken, token_id).last_used_at


def _set_last_used(platform, t, token_id, when):
    with platform.db.tenant_session(t) as s:
        s.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=when))


def test_token_resolves_to_its_user_roles_and_units(token_env):
    platform, t, u, token_id, token = token_env
    p = accounts.authenticate_token(platform.db, token, policy=platform.policy)
    assert (p.user_id, p.tenant_id, p.token_id, p.via) == (u, t, token_id, "token")
    assert p.roles == {"saksbehandler", "leder"} and p.display_name == "Token Bruker"
    assert p.units is None  # the saksbehandler role is tenant-wide


def test_last_used_is_written_when_stale_not_on_every_request(token_env):
    platform, t, _u, token_id, token = token_env
    assert _last_used(platform, t, token_id) is None
    accounts.authenticate_token(platform.db, token)
    first = _last_used(platform, t, token_id)
    assert first is not None
    accounts.authenticate_token(platform.db, token)
    assert _last_used(platform, t, token_id) == first  # within five minutes: no write
    old = utcnow() - accounts.TOKEN_TOUCH_INTERVAL - timedelta(seconds=5)
    _set_last_used(platform, t, token_id, old)
    accounts.authenticate_token(platform.db, token)
    assert _last_used(platform, t, token_id) > old + accounts.TOKEN_TOUCH_INTERVAL


def test_revoked_token_deactivated_user_and_removed_role_take_effect_at_once(token_env):
    platform, t, u, token_id, token = token_env
    accounts.authenticate_token(platform.db, token)
    with platform.db.tenant_session(t) as s:
        accounts.revoke_role(s, t, u, "saksbehandler", actor="test")
    p = accounts.authenticate_token(platform.db, token)
    assert p.roles == {"leder"} and p.units == {"helse", "skole"}
    with platform.db.installation_session() as s:
        s.get(User, u).is_active = False
    with pytest.raises(NotAuthenticated, match="deaktivert"):
        accounts.authenticate_token(platform.db, token)
    with platform.db.installation_session() as s:
        s.get(User, u).is_active = True
    with platform.db.tenant_session(t) as s:
        accounts.revoke_token(s, t, token_id, actor="test")
    with pytest.raises(NotAuthenticated, match="tilbakekalt"):
        accounts.authenticate_token(platform.db, token)
    with pytest.raises(NotAuthenticated):
        accounts.authenticate_token(platform.db, accounts.TOKEN_PREFIX + "ukjent")
    with pytest.raises(NotAuthenticated):
        accounts.authenticate_token(platform.db, "ikke-en-nøkkel")
