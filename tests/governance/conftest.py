"""Governance test helpers: tenant ids of the demo, a CLI principal, and the live-server fixtures of
tests/web (reused for the browser tests here)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kommuneki.core.models import Tenant
from kommuneki.core.permissions import Principal
from tests.web.conftest import (axe_js, browser_context_args, browser_type_launch_args,  # noqa: F401
                                live_server, oidc_provider)


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
    from kommuneki.governance.demo import load_demo

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
