"""OpenID Connect sign-in against a real local provider (oidc-provider-mock, started by the fixture).

The app runs in process (TestClient) on both databases; the provider is a real HTTP server, so the
discovery document, the PKCE code exchange and the signed ID token (with our nonce) are all real. The
browser test in ``test_oidc_browser.py`` clicks through the same flow in Chromium.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from kommuneki.core import accounts, audit
from kommuneki.core.models import User
from kommuneki.web.shapes import audit_dict

from ..conftest import make_platform
from .conftest import OIDC_CLIENT_ID, OIDC_CLIENT_SECRET

UNKNOWN = "Ingen bruker i kommuneki er knyttet til denne identiteten."


@pytest.fixture
def oidc_world(db_url, tmp_path, oidc_provider):
    """A platform with OIDC configured, one tenant and one user known by e-mail (no OIDC binding yet)."""
    from kommuneki.web.app import create_app

    platform = make_platform(
        tmp_path,
        db_url,
        base_url="http://testserver",
        oidc_issuer=oidc_provider,
        oidc_client_id=OIDC_CLIENT_ID,
        oidc_client_secret=OIDC_CLIENT_SECRET,
    )
    with platform.db.installation_session() as session:
        tenant = accounts.create_tenant(session, slug="oidc", name="OIDC kommune", actor="test")
        user = accounts.create_user(
            session,
            username="olga",
            password=None,
            full_name="Olga Oidc",
            email="Olga.Oidc@oidc.kommune.test",
            actor="test",
        )
        ids = {"tenant": tenant.id, "user": user.id}
    with platform.db.tenant_session(ids["tenant"]) as session:
        accounts.grant_role(
            session, ids["tenant"], session.get(User, ids["user"]), "saksbehandler", actor="test"
        )
    app = create_app(platform=platform)
    with TestClient(app) as client:
        yield platform, client, ids
    platform.close()


def _provider_user(issuer: str, sub: str, claims: dict) -> None:
    r = httpx.put(f"{issuer}/users/{sub}", json=claims)
    assert r.status_code == 204, r.text


def _sign_in(
    client: TestClient, sub: str, *, tamper_state: bool = False, deny: bool = False
) -> httpx.Response:
    """Start at kommuneki, answer the provider's authorization form as ``sub``, come back."""
    start = client.get("/auth/oidc/login", follow_redirects=False)
    assert start.status_code in (302, 303, 307), start.text
    authorize_url = start.headers["location"]
    query = parse_qs(urlsplit(authorize_url).query)
    # what kommuneki must send: code flow, PKCE S256, state and nonce
    assert query["response_type"] == ["code"] and query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"][0] and query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == ["http://testserver/auth/oidc/callback"]
    form = {"action": "deny"} if deny else {"sub": sub}
    answer = httpx.post(authorize_url, data=form, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    callback = answer.headers["location"]
    assert callback.startswith("http://testserver/auth/oidc/callback?")
    if tamper_state:
        callback = callback.replace("state=", "state=x")
    return client.get(callback, follow_redirects=False)


def _events(platform, tenant_id, event):
    with platform.db.installation_session(unscoped=True) as session:
        return [audit_dict(e) for e in audit.query(session, tenant_id, event=event, newest_first=True)]


def test_known_user_signs_in_binds_the_subject_and_lands_on_the_queue(oidc_world, oidc_provider):
    platform, client, ids = oidc_world
    _provider_user(
        oidc_provider,
        "entra-olga",
        {"email": "olga.oidc@oidc.kommune.test", "email_verified": True, "name": "Olga Oidc"},
    )
    r = _sign_in(client, "entra-olga")
    assert r.status_code == 303 and r.headers["location"] == "/"
    page = client.get("/", headers={"accept": "text/html"})
    assert page.status_code == 200 and "Forslag til behandling" in page.text and "Olga Oidc" in page.text
    logins = _events(platform, ids["tenant"], "auth.login")
    assert logins[0]["actor"] == f"user:{ids['user']}" and logins[0]["data"]["method"] == "oidc"
    with platform.db.installation_session() as session:
        assert session.get(User, ids["user"]).oidc_subject == f"{oidc_provider}|entra-olga"
    # the audit entry holds no e-mail address or name
    assert "olga" not in json.dumps(_events(platform, None, "*")).lower()

    # the second sign-in finds the user by the bound subject, even after the e-mail changed at the provider
    client.cookies.clear()
    _provider_user(oidc_provider, "entra-olga", {"email": "olga@elsewhere.test", "email_verified": True})
    r = _sign_in(client, "entra-olga")
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert len(_events(platform, ids["tenant"], "auth.login")) == 2


def test_unknown_identity_is_refused_in_norwegian_and_logged(oidc_world, oidc_provider):
    platform, client, ids = oidc_world
    _provider_user(oidc_provider, "stranger", {"email": "ukjent@example.test", "email_verified": True})
    r = _sign_in(client, "stranger")
    assert r.status_code == 403
    assert UNKNOWN in r.text and "Logg inn" in r.text  # the login page, with the reason
    assert client.get("/", headers={"accept": "text/html"}, follow_redirects=False).status_code == 303
    failed = _events(platform, None, "auth.login_failed")[0]
    assert failed["data"]["method"] == "oidc" and failed["data"]["reason"] == "unknown_identity"
    assert "ukjent" not in json.dumps(failed)  # only a hash of the identity


@pytest.mark.parametrize(
    "case",
    [
        # an account already bound to one identity is not taken over by another with the same e-mail
        "other_subject",
        # an address the provider says it has not verified never binds an account
        "unverified_email",
    ],
)
def test_binding_by_email_is_refused_when_unsafe(oidc_world, oidc_provider, case):
    platform, client, ids = oidc_world
    if case == "other_subject":
        with platform.db.installation_session() as session:
            session.get(User, ids["user"]).oidc_subject = f"{oidc_provider}|the-real-olga"
        claims = {"email": "olga.oidc@oidc.kommune.test", "email_verified": True}
    else:
        claims = {"email": "olga.oidc@oidc.kommune.test", "email_verified": False}
    _provider_user(oidc_provider, f"impostor-{case}", claims)
    r = _sign_in(client, f"impostor-{case}")
    assert r.status_code == 403 and UNKNOWN in r.text
    assert _events(platform, ids["tenant"], "auth.login") == []


@pytest.mark.parametrize(
    "case",
    [
        # a callback whose state does not match the one kept in the session (CSRF on the callback)
        "tamper_state",
        # the person pressed "deny" at the provider
        "deny",
    ],
)
def test_broken_or_denied_flow_is_refused_and_logged(oidc_world, oidc_provider, case):
    platform, client, ids = oidc_world
    _provider_user(
        oidc_provider, "entra-olga-2", {"email": "olga.oidc@oidc.kommune.test", "email_verified": True}
    )
    r = _sign_in(client, "entra-olga-2", tamper_state=case == "tamper_state", deny=case == "deny")
    assert r.status_code == 403 and "Innloggingen ble avbrutt" in r.text
    assert _events(platform, None, "auth.login_failed")[0]["data"]["reason"] == "provider_error"
    assert _events(platform, ids["tenant"], "auth.login") == []


def test_login_page_offers_oidc_only_when_configured(oidc_world, tmp_path, db_url):
    from kommuneki.web.app import create_app

    _, client, _ = oidc_world
    assert 'href="/auth/oidc/login"' in client.get("/logg-inn").text
    plain = make_platform(tmp_path / "plain", db_url)
    with TestClient(create_app(platform=plain)) as c:
        assert "/auth/oidc/login" not in c.get("/logg-inn").text
        assert c.get("/auth/oidc/login", headers={"accept": "application/json"}).status_code == 404
    plain.close()
