"""Shared fixtures: a real database (SQLite and PostgreSQL), a platform, the demo tenant, an HTTP client.

Database tests run on both backends through the ``db_url`` fixture. PostgreSQL: a fresh database
``kommuneki_test_<random>`` is created on the server at ``KOMMUNEKI_TEST_POSTGRES`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``) for the run and dropped after it; tables are truncated
between tests. SQLite: a migrated template file is copied for each test.

Missing dependencies: :func:`require` skips with a message saying what to install — except in CI
(``CI=true``), where it fails, so that nothing is skipped silently there.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kommuneki.config import Settings
from kommuneki.core.platform import Platform

PG_ADMIN_URL = os.environ.get("KOMMUNEKI_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Jobs run in a thread of the test process unless a test asks for the task queue (tests/core/test_queue.py
# starts real worker processes on SQLite, Redis and PostgreSQL brokers).
os.environ.setdefault("KOMMUNEKI_TASK_QUEUE", "thread")
SHARED = Path(__file__).resolve().parents[2] / "shared"


def require(condition: bool, what: str, install: str) -> None:
    """Skip (on a user's machine) or fail (in CI) when a dependency is missing."""
    if condition:
        return
    message = f"{what} is not available: {install}"
    if IN_CI:
        pytest.fail(f"CI must not skip: {message}")
    pytest.skip(message)


def _sa_url(url: str) -> str:
    return (
        url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    )


def _pg_available() -> str | None:
    try:
        engine = create_engine(_sa_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def pg_database():
    """URL of a fresh, migrated PostgreSQL database for this test run (dropped afterwards)."""
    problem = _pg_available()
    require(problem is None, "PostgreSQL", f"start a server or set KOMMUNEKI_TEST_POSTGRES ({problem})")
    name = f"kommuneki_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_sa_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = _sa_url(PG_ADMIN_URL).rsplit("/", 1)[0] + f"/{name}"
    migrated = Platform.from_settings(Settings(data_dir=Path(f"/tmp/{name}"), database_url=url))
    migrated.upgrade_db()
    migrated.close()
    shutil.rmtree(f"/tmp/{name}", ignore_errors=True)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("sqlite-template")
    p = Platform.from_settings(Settings(data_dir=d))
    p.upgrade_db()
    p.close()
    return d / "kommuneki.db"


@contextlib.contextmanager
def audit_guard_lifted(conn):
    """Tests that play an attacker with the table owner's rights: drop the insert-only guard on
    ``audit_entry`` for the block (on ``conn``, a SQLAlchemy connection in a transaction), then put it
    back."""
    from kommuneki.core.audit import insert_only_guard

    install, remove = insert_only_guard(conn.dialect.name)
    for statement in remove:
        conn.execute(text(statement))
    yield conn
    for statement in install:
        conn.execute(text(statement))


def _truncate_all(url: str) -> None:
    from kommuneki.core.db import Base
    from kommuneki.core.registry import discover

    discover().import_models()
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A migrated, empty database. Tests using it (directly or through ``platform``) run on both."""
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "kommuneki.db")
        return f"sqlite:///{tmp_path / 'kommuneki.db'}"
    url = request.getfixturevalue("pg_database")
    _truncate_all(url)
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_in_thread(platform, port: int | None = None):
    """Run the real app under uvicorn in a thread on a loopback port; yields its base URL. For tests
    that span processes (a browser): the platform's data must be committed."""
    import uvicorn

    from kommuneki.web.app import create_app

    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(platform=platform), host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def login_client(app, username: str | None, password: str, tenant: str | None = None):
    """A TestClient for ``app``, signed in through the API when ``username`` is given (session cookie
    plus the CSRF header every session write needs). The caller closes it."""
    from fastapi.testclient import TestClient

    c = TestClient(app)
    if username:
        r = c.post(
            "/api/v1/auth/login",
            json={"username": username, "password": password, **({"tenant": tenant} if tenant else {})},
        )
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def make_platform(data_dir: Path, database_url: str | None = None, **settings) -> Platform:
    return Platform.from_settings(Settings(data_dir=data_dir, database_url=database_url, **settings))


@pytest.fixture
def platform(db_url, tmp_path):
    p = make_platform(tmp_path, db_url)
    yield p
    p.close()


def _load_demo_into(data_dir: Path, url: str | None) -> None:
    from kommuneki.demo import load_demo

    p = make_platform(data_dir, url)
    p.upgrade_db()
    load_demo(p)
    p.close()


@pytest.fixture(scope="session")
def sqlite_demo_template(tmp_path_factory) -> Path:
    """A data folder (database, blobs, audit checkpoints, models) with the demo loaded once per run:
    loading it trains and triages (about 10 s), so each test gets a copy instead."""
    d = tmp_path_factory.mktemp("sqlite-demo-template")
    _load_demo_into(d, None)
    return d


@pytest.fixture(scope="session")
def pg_demo_template(tmp_path_factory):
    """(database name, data folder) of a PostgreSQL database with the demo loaded, used as TEMPLATE."""
    problem = _pg_available()
    require(problem is None, "PostgreSQL", f"start a server or set KOMMUNEKI_TEST_POSTGRES ({problem})")
    name = f"kommuneki_tpl_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_sa_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    d = tmp_path_factory.mktemp("pg-demo-template")
    try:
        _load_demo_into(d, _sa_url(PG_ADMIN_URL).rsplit("/", 1)[0] + f"/{name}")
        yield name, d
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_platform(request, tmp_path):
    """A platform with the demo tenants loaded, on SQLite and on PostgreSQL: a copy of a template made
    once per run (file copy; ``CREATE DATABASE … TEMPLATE`` on PostgreSQL)."""
    if request.param == "sqlite":
        shutil.copytree(request.getfixturevalue("sqlite_demo_template"), tmp_path, dirs_exist_ok=True)
        p = make_platform(tmp_path, None)
        yield p
        p.close()
        return
    template, template_dir = request.getfixturevalue("pg_demo_template")
    shutil.copytree(template_dir, tmp_path, dirs_exist_ok=True)
    name = f"kommuneki_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_sa_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    p = make_platform(tmp_path, _sa_url(PG_ADMIN_URL).rsplit("/", 1)[0] + f"/{name}")
    try:
        yield p
    finally:
        p.close()
        with admin.connect() as conn:
            conn.execute(
                text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def client_factory(demo_platform):
    """Returns a function building a TestClient, optionally signed in as a demo user."""

    from kommuneki.demo import DEMO_PASSWORD
    from kommuneki.web.app import create_app

    app = create_app(platform=demo_platform)
    clients = []

    def make(username: str | None = None, tenant: str | None = None):
        c = login_client(app, username, DEMO_PASSWORD, tenant)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


# --- browsers: pytest-playwright with Debian's Chromium, one browser per test session --------------
# Defined here, not in tests/web, because Playwright's sync API allows one driver per process: every
# browser test in every folder must share pytest-playwright's session fixtures.

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("KOMMUNEKI_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE_PATH = REPO / "node_modules" / "axe-core" / "axe.min.js"
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


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    try:
        import playwright  # noqa: F401
    except ImportError:
        require(False, "playwright", "pip install -e '.[test]'")
    require(CHROMIUM.exists(), f"Chromium ({CHROMIUM})", "apt-get install chromium")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "nb-NO", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="session")
def axe_js() -> str:
    require(AXE_PATH.exists(), "axe-core (node_modules/axe-core)", "npm ci")
    return AXE_PATH.read_text()


def axe_problems(page, axe_js: str) -> list[str]:
    """Serious and critical axe-core violations on the current page, one readable line each."""
    page.evaluate(axe_js)  # page.evaluate works under our CSP; add_script_tag would be refused
    # only violations are collected: axe skips gathering the (many) passed nodes, which is much faster
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    lines = []
    for v in violations:
        if v["impact"] in ("serious", "critical"):
            targets = "; ".join(
                json.dumps(n["target"]) + " " + n.get("failureSummary", "").replace("\n", " ")
                for n in v["nodes"][:5]
            )
            lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} node(s)) {targets}")
    return lines


def reflow_overflow(page, width: int = 320) -> int:
    """How many CSS pixels the current page scrolls wider than ``width`` (WCAG 1.4.10 reflow: 0 at
    320 px; a data table may scroll inside its own container). The viewport is restored afterwards."""
    before = page.viewport_size
    page.set_viewport_size({"width": width, "height": 800})
    try:
        return int(page.evaluate("() => document.documentElement.scrollWidth")) - width
    finally:
        if before:
            page.set_viewport_size(before)


def reflow_offenders(page, width: int = 320) -> list[str]:
    """The elements that reach past ``width`` at that width, or whose text spills out of them past it
    (tag.class and how far), for a failure message; those inside a scrolling box are not counted."""
    before = page.viewport_size
    page.set_viewport_size({"width": width, "height": 800})
    try:
        return page.evaluate(
            """(w) => [...document.querySelectorAll('body *')].filter(e => {
                 const r = e.getBoundingClientRect();
                 const spill = getComputedStyle(e).overflowX === 'visible'
                   ? e.scrollWidth - e.clientWidth : 0;
                 if (r.right + Math.max(0, spill) <= w + 1) return false;
                 for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
                   const o = getComputedStyle(p).overflowX;
                   if (o === 'auto' || o === 'scroll' || o === 'hidden') return false;
                 }
                 return true;
               }).slice(0, 12).map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.')
                 + ' +' + Math.round(e.getBoundingClientRect().right - w) + 'px'
                 + (e.scrollWidth > e.clientWidth + 1
                    ? ' (text spills ' + (e.scrollWidth - e.clientWidth) + 'px)' : ''))""",
            width,
        )
    finally:
        if before:
            page.set_viewport_size(before)
