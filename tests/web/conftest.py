"""Fixtures for the web tests that span processes: a local OpenID Connect provider, a live server over
its own committed database, and the headless Chromium that drives it.

The live server runs uvicorn in a thread on a free loopback port, over a fresh SQLite data folder with
the demo loaded (browser tests need not run on both databases; the OIDC flow tests in
``test_oidc.py`` do, in process). The OIDC provider is ``oidc-provider-mock`` from PyPI, a real
authlib-based provider that issues signed ID tokens; it runs in a thread as well.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port, make_platform, require, serve_in_thread

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("KOMMUNEKI_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE_PATH = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
OIDC_CLIENT_ID = "kommuneki-test"
OIDC_CLIENT_SECRET = "test-client-secret"


@pytest.fixture(scope="session")
def oidc_provider() -> str:
    """Issuer URL of a local OpenID Connect provider (oidc-provider-mock) running in a thread."""
    try:
        from oidc_provider_mock import run_server_in_thread
    except ImportError:
        run_server_in_thread = None
    require(run_server_in_thread is not None, "oidc-provider-mock", "pip install -e '.[test]'")
    # nonce required: the provider refuses an authorization request without one, so the test fails if
    # kommuneki stops sending it
    with run_server_in_thread(port=free_port(), require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@dataclass
class LiveServer:
    url: str
    platform: object
    oidc_issuer: str

    def user_id(self, username: str) -> int:
        from sqlalchemy import select

        from kommuneki.core.models import User

        with self.platform.db.installation_session() as session:
            return session.scalar(select(User.id).where(User.username == username))

    def audit_events(self, event: str, tenant: str | None = "demo") -> list[dict]:
        """Audit entries of one event type, newest first, read from the database: in a tenant's chain, or
        with ``tenant=None`` in the installation chain (failed logins, users)."""
        from sqlalchemy import select

        from kommuneki.core import audit
        from kommuneki.core.models import Tenant
        from kommuneki.web.shapes import audit_dict

        with self.platform.db.installation_session(unscoped=True) as session:
            tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == tenant)) if tenant else None
            return [audit_dict(e) for e in audit.query(session, tenant_id, event=event, newest_first=True)]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, oidc_provider):
    """uvicorn in a thread over its own SQLite data folder with the demo loaded (committed data)."""
    from kommuneki.demo import load_demo

    data = tmp_path_factory.mktemp("live-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    platform = make_platform(
        data,
        None,
        base_url=url,
        oidc_issuer=oidc_provider,
        oidc_client_id=OIDC_CLIENT_ID,
        oidc_client_secret=OIDC_CLIENT_SECRET,
        oidc_label="Logg inn med testleverandøren",
        log_level="WARNING",
    )
    platform.upgrade_db()
    load_demo(platform)
    with serve_in_thread(platform, port):
        yield LiveServer(url=url, platform=platform, oidc_issuer=oidc_provider)
    platform.close()
    shutil.rmtree(data, ignore_errors=True)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, base: str, username: str, password: str | None = None) -> None:
    from kommuneki.demo import DEMO_PASSWORD

    page.goto(base + "/logg-inn")
    page.get_by_label("Brukernavn").fill(username)
    page.get_by_label("Passord").fill(password or DEMO_PASSWORD)
    page.get_by_role("button", name="Logg inn", exact=True).click()
