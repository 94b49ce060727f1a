"""Tenant isolation through the API and the UI: a user or token of tenant A (alfa) cannot list, read,
decide, erase or export anything of tenant B (beta) — guessing B's ids included."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from kommuneki.core.models import AuditEntry, Item, Suggestion
from kommuneki.core.permissions import CORE_OPERATOR_ACTIONS as OPERATOR_ACTIONS
from tests.core.world import world  # noqa: F401 - module-scoped fixture

# Guessed-id requests by A's admin (the widest non-operator rights in A) and by the installation
# operator acting in A. Each gets 404, never B's data; an operator lacking the action's right gets 403
# before any lookup (so the status says nothing about whether the id exists).
# (method, path template, body, action, reason)
GUESSES = [
    ("GET", "/api/v1/suggestions/{suggestion}", None, "queue.read", "read B's suggestion by id"),
    (
        "POST",
        "/api/v1/suggestions/{suggestion}/decision",
        {"outcome": "accepted"},
        "suggestion.decide",
        "decide B's suggestion",
    ),
    ("GET", "/api/v1/items/{item}", None, "item.read", "read B's item text"),
    ("GET", "/api/v1/items/{item}/content", None, "item.read", "download B's raw bytes"),
    ("POST", "/api/v1/items/{item}/erase", {"reason": "erasure"}, "item.erase", "erase B's item"),
    ("POST", "/api/v1/items/{item}/erase", {"reason": "kassasjon"}, "item.dispose", "dispose of B's item"),
    ("PATCH", "/api/v1/units/{unit}", {"name": "Kapret"}, "units.manage", "rename B's unit"),
    ("DELETE", "/api/v1/tokens/{token}", None, "tokens.manage", "revoke B's API token"),
    (
        "POST",
        "/api/v1/users/{user}/roles",
        {"role": "admin"},
        "users.manage",
        "grant a role to a user of B only",
    ),
    ("DELETE", "/api/v1/users/{user}/roles/saksbehandler", None, "users.manage", "take B's user's role in B"),
]


# an operator spans tenants and may grant roles to any user (tested in test_api_roles), so that one
# case is for the tenant admin only
CASES = [
    (who, *g) for g in GUESSES for who in ("admin", "operator") if not (who == "operator" and "grant" in g[4])
]


@pytest.mark.parametrize("who, method, path, body, action, why", CASES, ids=[f"{c[5]}-{c[0]}" for c in CASES])
def test_guessing_ids_of_another_tenant_gives_404(world, who, method, path, body, action, why):
    ids = {**world.b_objects, "user": world.users["sb-b"]}
    c = world.client(who)
    r = c.request(method, path.format(**ids), json=body)
    expected = {404} if who == "admin" or action in OPERATOR_ACTIONS else {403, 404}
    assert r.status_code in expected, (why, r.status_code, r.text)
    assert set(r.json()["error"]) == {"code", "message", "details"}
    _b_untouched(world)


def _b_untouched(world):
    """B's objects are exactly as built: suggestion pending, content present, unit name, token usable."""
    with world.platform.db.tenant_session(world.b) as s:
        assert s.get(Suggestion, world.b_objects["suggestion"]).status == "pending"
        item = s.get(Item, world.b_objects["item"])
        assert item.content_removed_at is None and item.text
        assert world.platform.blobs.path(world.b, item.sha256).exists()
    r = world.client("sb-b").get("/api/v1/me")
    assert r.status_code == 200 and r.json()["tenant"]["slug"] == "beta"
    r = world.client("admin-b").get("/api/v1/units")
    assert [u["name"] for u in r.json()["items"]] == ["Byggesak"]
    roles = world.client("admin-b").get("/api/v1/users").json()["items"]
    assert {u["username"]: u["roles"] for u in roles}["sb-b"] == ["saksbehandler"]


def _ids_in_tenant(world, tenant_id, model):
    with world.platform.db.tenant_session(tenant_id) as s:
        return set(s.scalars(select(model.id)))


@pytest.mark.parametrize("who", ["admin", "operator", "saksbehandler"])
def test_lists_show_only_the_own_tenant(world, who):
    c = world.client(who)
    a_sugg = _ids_in_tenant(world, world.a, Suggestion)
    r = c.get("/api/v1/suggestions", params={"status": "all", "limit": 500})
    if r.status_code == 200:
        listed = {s["id"] for s in r.json()["items"]}
        assert listed <= a_sugg and world.b_objects["suggestion"] not in listed
        assert r.json()["total"] == len(listed)  # the total counts A only, too
    for path, key in (("/api/v1/units", "unit"), ("/api/v1/tokens", "token"), ("/api/v1/users", None)):
        r = c.get(path)
        if r.status_code == 403:  # the role may not list it at all
            continue
        assert r.status_code == 200, r.text
        listed = {x["id"] for x in r.json()["items"]}
        if key:
            assert world.b_objects[key] not in listed
        else:
            assert world.users["sb-b"] not in listed and world.users["admin-b"] not in listed


def test_usage_counts_only_the_own_tenant(world):
    r = world.client("admin").get("/api/v1/usage")
    assert r.status_code == 200
    total = sum(row["suggestions"] for row in r.json()["items"])
    assert total == len(_ids_in_tenant(world, world.a, Suggestion))


def test_audit_of_a_shows_nothing_of_b(world):
    c = world.client("admin")
    with world.platform.db.installation_session() as s:
        b_hashes = set(s.scalars(select(AuditEntry.hash).where(AuditEntry.chain == f"t{world.b}")))
    assert b_hashes
    r = c.get("/api/v1/audit", params={"limit": 1000})
    assert r.status_code == 200 and r.json()["items"]
    assert not {e["hash"] for e in r.json()["items"]} & b_hashes
    # searching by B's item id finds nothing
    r = c.get("/api/v1/audit", params={"item_id": world.b_objects["item"]})
    assert r.json()["items"] == [] or all(e["hash"] not in b_hashes for e in r.json()["items"])
    # exporting by B's item id exports nothing of B
    r = c.get("/api/v1/audit/export", params={"item_id": world.b_objects["item"]})
    assert r.status_code == 200
    rows = [json.loads(line) for line in r.text.splitlines() if line]
    assert all(row["chain"] == f"t{world.a}" for row in rows)
    assert not {row["hash"] for row in rows} & b_hashes
    # a full export of A holds A's chain only
    rows = [json.loads(line) for line in c.get("/api/v1/audit/export").text.splitlines() if line]
    assert rows and {row["chain"] for row in rows} == {f"t{world.a}"}


def test_policy_change_in_a_does_not_reach_b(world):
    r = world.client("admin").put(
        "/api/v1/policies/malform/malform", json={"enabled": True, "threshold": 0.99}
    )
    assert r.status_code == 200
    try:
        b = world.client("admin-b").get("/api/v1/policies").json()["items"]
        assert [p["enabled"] for p in b if p["kind"] == "malform"] == [False]
    finally:
        world.client("admin").put(
            "/api/v1/policies/malform/malform", json={"enabled": False, "threshold": 0.95}
        )


def test_token_acts_only_in_its_own_tenant(world):
    # B's admin token sees B; it cannot be pointed at A by any parameter
    r = world.client("admin-b").get(f"/api/v1/suggestions/{world.a_objects['suggestion']}")
    assert r.status_code == 404
    r = world.client("admin-b").get(f"/api/v1/items/{world.a_objects['item']}")
    assert r.status_code == 404


# --- the UI ----------------------------------------------------------------------------------------


def test_ui_pages_of_another_tenant_give_404(world):
    c = world.session_client()
    html = {"Accept": "text/html"}
    r = c.get(f"/forslag/{world.b_objects['suggestion']}", headers=html)
    assert r.status_code == 404
    assert 'lang="nb"' in r.text and "Fant ikke" in r.text
    # own tenant's page works (the 404 above is not a broken page)
    assert c.get(f"/forslag/{world.a_objects['suggestion']}", headers=html).status_code == 200
    # deciding B's suggestion through the form changes nothing
    r = c.post(
        f"/forslag/{world.b_objects['suggestion']}/avgjor",
        data={"outcome": "accepted", "reason": "", "csrf_token": c.headers["X-CSRF-Token"]},
        headers=html,
        follow_redirects=False,
    )
    assert r.status_code in (303, 404)
    # the audit page filtered by B's item shows no entry of B
    r = c.get("/revisjonslogg", params={"element": world.b_objects["item"]}, headers=html)
    assert r.status_code == 200
    with world.platform.db.installation_session() as s:
        b_hashes = set(s.scalars(select(AuditEntry.hash).where(AuditEntry.chain == f"t{world.b}")))
    assert not any(h[:12] in r.text for h in b_hashes)
    # switching to a tenant the user has no role in is refused
    r = c.post(
        "/bytt-organisasjon",
        data={"tenant_id": world.b, "csrf_token": c.headers["X-CSRF-Token"]},
        headers=html,
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert c.get("/api/v1/me").json()["tenant"]["slug"] == "alfa"
    _b_untouched(world)


def test_ui_admin_cannot_grant_roles_to_another_tenants_user(world):
    """The admin page's role form must not reach a user who only exists in tenant B (guessed id)."""
    from tests.core.world import PASSWORD, _user

    if "admin-pw" not in world.users:
        world.users["admin-pw"] = _user(world.platform, world.a, "admin-pw", ["admin"], password=PASSWORD)
    c = world.session_client("admin-pw")
    r = c.post(
        f"/admin/brukere/{world.users['sb-b']}/roller",
        data={"role": "admin", "action": "grant", "csrf_token": c.headers["X-CSRF-Token"]},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    assert r.status_code in (303, 404)
    users = {u["username"] for u in c.get("/api/v1/users").json()["items"]}
    assert "sb-b" not in users
    _b_untouched(world)


def test_ui_admin_cannot_find_another_tenants_user_by_name(world):
    """The new-user form with the username of a user who exists only in tenant B: refused, no role is
    granted, and B's user's name and e-mail never show in A's list (issue 12: a nabo user then showed in
    demo's list). The installation operator may still bring an existing user into the tenant."""
    from kommuneki.core import accounts
    from kommuneki.core.models import User
    from tests.core.world import PASSWORD, _user

    if "admin-pw" not in world.users:
        world.users["admin-pw"] = _user(world.platform, world.a, "admin-pw", ["admin"], password=PASSWORD)
    with world.platform.db.installation_session() as s:
        nabo = s.get(User, world.users["sb-b"])
        nabo.full_name, nabo.email = "Nina Nabo", "nina.nabo@beta.test"
    c = world.session_client("admin-pw")
    html = {"Accept": "text/html"}
    r = c.post(
        "/admin/brukere",
        data={"username": "sb-b", "role": "saksbehandler", "csrf_token": c.headers["X-CSRF-Token"]},
        headers=html,
    )
    assert r.status_code == 200 and "opptatt" in r.text  # the flash on the list page it redirects to
    assert "Nina Nabo" not in r.text and "nina.nabo@beta.test" not in r.text
    with world.platform.db.tenant_session(world.a) as s:
        assert accounts.roles_of(s, world.users["sb-b"]) == frozenset()
    page = c.get("/admin/brukere", headers=html).text
    assert "Nina Nabo" not in page and "nina.nabo@beta.test" not in page
    # a user of A's own gets the role through the same form
    r = c.post(
        "/admin/brukere",
        data={"username": "leder-a", "role": "arkivar", "csrf_token": c.headers["X-CSRF-Token"]},
        headers=html,
    )
    assert r.status_code == 200
    with world.platform.db.tenant_session(world.a) as s:
        assert "arkivar" in accounts.roles_of(s, world.users["leder"])
    _b_untouched(world)
