"""A service installed as its own Python package plugs in exactly as the built-in ones do.

The package under tests/plugins/hello is built and installed (``pip install --target``) into a temporary
folder; with that folder on the path, the one entry point it declares makes it appear in the registry,
the menu, the API, its page (with its own template folder) and the CLI, without any file of kommuneki
knowing its name.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kommuneki.config import Settings
from kommuneki.core import accounts
from kommuneki.core.platform import Platform
from kommuneki.core.registry import discover
from tests.conftest import login_client

PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "hello"


def test_without_the_package_the_service_is_not_there():
    # runs first: the package is installed only by the fixture of the next test
    assert discover().get("hello") is None


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("src") / "hello"
    shutil.copytree(PLUGIN, source)  # pip builds in the source folder: keep the checkout clean
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(PLUGIN),
        ],
        check=True,
        capture_output=True,
    )
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        for name in [m for m in sys.modules if m.startswith("kommuneki_hello")]:
            del sys.modules[name]
        importlib.invalidate_caches()


def test_an_installed_package_is_in_the_registry_menu_api_and_cli(installed, tmp_path):
    registry = discover()
    spec = registry.get("hello")
    assert spec is not None and spec.package == "kommuneki_hello"
    assert "hello" in registry.policy.reviewers
    platform = Platform.from_settings(Settings(data_dir=tmp_path / "data"), registry=registry)
    platform.upgrade_db()
    try:
        with platform.db.installation_session() as session:
            tenant = accounts.create_tenant(
                session, slug="plugin", name="Plugin kommune", kommunenummer="0303"
            )
            user = accounts.create_user(session, username="hilda", password="hemmelig-passord", actor="test")
            tenant_id, user_id = tenant.id, user.id
        with platform.db.tenant_session(tenant_id) as session:
            accounts.grant_role(
                session, tenant_id, session.get(type(user), user_id), "saksbehandler", actor="test"
            )
        from kommuneki.web.app import create_app

        client = login_client(create_app(platform=platform), "hilda", "hemmelig-passord")
        home = client.get("/")
        assert home.status_code == 200 and 'href="/hello"' in home.text  # in the menu
        page = client.get("/hello")
        assert page.status_code == 200 and "Denne siden kommer fra en egen pakke" in page.text
        assert client.get("/api/v1/hello/ping").json() == {"hello": "hei"}
        assert "/api/v1/hello/ping" in client.get("/openapi.json").json()["paths"]
    finally:
        platform.close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(
        [sys.executable, "-m", "kommuneki", "hello", "hei"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert "hei fra en egen pakke" in out.stdout
