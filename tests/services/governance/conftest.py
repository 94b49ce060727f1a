"""Governance test helpers: the demo tenants with the register's demo data, a CLI principal, a light live
server for the browser tests (the browser fixtures of tests/web are reused)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.conftest import require  # noqa: F401

from kommuneki.core.models import Tenant
from kommuneki.core.permissions import Principal


def tenant_id(platform, slug: str) -> int:
    with platform.db.installation_session() as session:
        return session.scalar(select(Tenant.id).where(Tenant.slug == slug))


def cli(tid: int) -> Principal:
    return Principal(user_id=None, tenant_id=tid, via="cli")


def make_tenants(platform) -> dict[str, int]:
    """The demo tenants (bokmål «demo», nynorsk «nabo») without the demo users and documents (password
    hashing and the other services' demo data take far longer than the register needs), then the
    register's own demo loader."""
    from kommuneki.core import accounts
    from kommuneki.demo import DEMO_TENANT, NEIGHBOUR_TENANT
    from kommuneki.services.governance.demo import load_demo

    ids = {}
    with platform.db.installation_session() as session:
        for spec in (DEMO_TENANT, NEIGHBOUR_TENANT):
            ids[spec["slug"]] = accounts.create_tenant(session, actor="demo", **spec).id
    load_demo(platform, ids["demo"], lambda _m: None)
    return ids


@pytest.fixture
def gov(platform) -> tuple:
    """(platform, {"demo": id, "nabo": id}) with the register's demo data loaded."""
    return platform, make_tenants(platform)


@pytest.fixture
def demo_ids(demo_platform):
    return {"demo": tenant_id(demo_platform, "demo"), "nabo": tenant_id(demo_platform, "nabo")}


GOV_USER, GOV_PASSWORD = "ki-ansvarlig", "et-langt-testpassord"


@pytest.fixture(scope="module")
def gov_live_server(tmp_path_factory):
    """uvicorn in a thread over its own SQLite folder holding the two demo tenants, the register's demo
    data and one KI-ansvarlig user (lighter than the full demo of tests/web, which hashes six passwords
    and loads every service's demo data)."""
    import shutil

    from tests.conftest import free_port, make_platform, serve_in_thread

    from kommuneki.core import accounts
    from kommuneki.core.models import User

    data = tmp_path_factory.mktemp("gov-live")
    port = free_port()
    platform = make_platform(data, None, base_url=f"http://127.0.0.1:{port}", log_level="WARNING")
    platform.upgrade_db()
    ids = make_tenants(platform)
    with platform.db.installation_session() as session:
        uid = accounts.create_user(session, username=GOV_USER, password=GOV_PASSWORD, full_name="Kari KI").id
    with platform.db.tenant_session(ids["demo"]) as session:
        accounts.grant_role(session, ids["demo"], session.get(User, uid), "ki-ansvarlig", actor="cli")
    with serve_in_thread(platform, port) as url:
        yield url, platform, ids
    platform.close()
    shutil.rmtree(data, ignore_errors=True)
