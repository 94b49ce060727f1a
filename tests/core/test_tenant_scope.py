"""Tenant isolation in the data layer itself (core/db.py): the one place it is enforced.

A tenant session sees and writes only its own tenant's rows, whatever shape the query has; a session
without a tenant refuses tenant data (fails closed) unless it was opened as ``unscoped`` on purpose.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from kommuneki.core import accounts, items
from kommuneki.core.db import TenantScopeError
from kommuneki.core.models import Blob, Item, Suggestion, Unit


def _two_tenants(platform):
    with platform.db.installation_session() as s:
        a = accounts.create_tenant(s, slug="alfa", name="Alfa").id
        b = accounts.create_tenant(s, slug="beta", name="Beta").id
    ids = {}
    for t in (a, b):
        with platform.db.tenant_session(t) as s:
            ids[t] = items.ingest(
                s,
                platform.blobs,
                t,
                service="malform",
                kind="document",
                data=f"innhold {t}".encode(),
                actor="test",
            ).item.id
            accounts.create_unit(s, t, code="enhet", name=f"Enhet {t}", email=f"e{t}@x.test", actor="test")
    return a, b, ids


# Every query shape must be confined to the session's tenant: (description, query builder, expected
# value computed from tenant A's rows only).
READS = [
    # plain entity select
    ("entity", lambda ids, a, b: select(Item.id), lambda ids, a, b: [ids[a]]),
    # column-only select: the criteria must apply although no entity is loaded
    ("columns", lambda ids, a, b: select(Item.id, Item.sha256), lambda ids, a, b: [ids[a]]),
    # guessing B's id by primary key in a WHERE clause
    ("guess by id", lambda ids, a, b: select(Item.id).where(Item.id == ids[b]), lambda ids, a, b: []),
    # an aggregate over select_from: counts must not include the other tenant
    ("count", lambda ids, a, b: select(func.count()).select_from(Item), lambda ids, a, b: [1]),
    # a count over a subquery (the review queue's total is computed this way)
    (
        "count of subquery",
        lambda ids, a, b: select(func.count()).select_from(select(Item).subquery()),
        lambda ids, a, b: [1],
    ),
    # explicit tenant_id of B in the WHERE clause still gives nothing
    ("explicit tenant", lambda ids, a, b: select(Unit.id).where(Unit.tenant_id == b), lambda ids, a, b: []),
]


@pytest.mark.parametrize("name, build, expected", READS, ids=[r[0] for r in READS])
def test_reads_are_confined_to_the_tenant(platform, name, build, expected):
    a, b, ids = _two_tenants(platform)
    with platform.db.tenant_session(a) as s:
        got = list(s.scalars(build(ids, a, b)))
    assert got == expected(ids, a, b)


def test_session_get_of_another_tenants_row_is_none(platform):
    # a primary-key lookup goes through the same hook: B's item does not exist for A
    a, b, ids = _two_tenants(platform)
    with platform.db.tenant_session(a) as s:
        assert s.get(Item, ids[b]) is None
        assert s.get(Item, ids[a]) is not None


def test_bulk_update_and_delete_do_not_touch_another_tenant(platform):
    a, b, ids = _two_tenants(platform)
    with platform.db.tenant_session(a) as s:
        s.execute(update(Item).values(state="changed-by-a"))
        s.execute(delete(Unit))
    with platform.db.tenant_session(b) as s:
        assert s.get(Item, ids[b]).state == "received"
        assert s.scalar(select(func.count()).select_from(Unit)) == 1
    with platform.db.tenant_session(a) as s:
        assert s.get(Item, ids[a]).state == "changed-by-a"
        assert s.scalar(select(func.count()).select_from(Unit)) == 0


def test_writing_a_row_of_another_tenant_is_refused(platform):
    a, b, _ = _two_tenants(platform)
    with pytest.raises(TenantScopeError):
        with platform.db.tenant_session(a) as s:
            s.add(Blob(tenant_id=b, sha256="0" * 64, size=0))
            s.flush()
    with platform.db.installation_session(unscoped=True) as s:  # nothing was written
        assert s.scalar(select(func.count()).select_from(Blob).where(Blob.sha256 == "0" * 64)) == 0


def test_changing_a_loaded_row_to_another_tenant_is_refused(platform):
    # moving A's row to B (tenant_id rewritten) must not slip through before_flush
    a, b, ids = _two_tenants(platform)
    with pytest.raises(TenantScopeError):
        with platform.db.tenant_session(a) as s:
            s.get(Item, ids[a]).tenant_id = b
            s.flush()
    with platform.db.tenant_session(a) as s:
        assert s.get(Item, ids[a]) is not None


def test_new_row_without_tenant_gets_the_sessions_tenant(platform):
    a, _b, _ = _two_tenants(platform)
    with platform.db.tenant_session(a) as s:
        s.add(Unit(code="ny", name="Ny", email="ny@x.test"))
    with platform.db.tenant_session(a) as s:
        assert s.scalar(select(Unit).where(Unit.code == "ny")).tenant_id == a


@pytest.mark.parametrize(
    "query",
    [
        # entity, column, aggregate and join shapes: each must fail closed without a tenant
        select(Item),
        select(Item.id),
        select(func.count()).select_from(Suggestion),
        select(Unit.name).where(Unit.code == "enhet"),
    ],
    ids=["entity", "column", "count", "where"],
)
def test_session_without_tenant_fails_closed_on_reads(platform, query):
    _two_tenants(platform)
    with pytest.raises(TenantScopeError):
        with platform.db.installation_session() as s:
            s.execute(query).all()


def test_session_without_tenant_fails_closed_on_writes(platform):
    a, _b, _ = _two_tenants(platform)
    with pytest.raises(TenantScopeError):
        with platform.db.installation_session() as s:
            s.add(Unit(tenant_id=a, code="x", name="X", email="x@x.test"))
            s.flush()
    with pytest.raises(TenantScopeError):
        with platform.db.installation_session() as s:
            s.execute(update(Unit).values(name="alle"))


def test_unscoped_session_sees_every_tenant(platform):
    # the deliberate escape hatch for operator commands
    a, b, ids = _two_tenants(platform)
    with platform.db.installation_session(unscoped=True) as s:
        assert sorted(s.scalars(select(Item.id))) == sorted([ids[a], ids[b]])
