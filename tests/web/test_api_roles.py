"""Each role's rights through the API, checked against the RIGHTS table in core/permissions.py.

One test per role (and one for the installation operator flag). For every action in RIGHTS the test
makes the API request that needs that action: allowed → 2xx, not allowed → 403 in the error shape.
The expectation is read from the RIGHTS table itself, so changing a right without changing what the API
does (or the reverse) fails here.
"""

from __future__ import annotations

import itertools

import pytest

from kommuneki.core.models import Role
from kommuneki.core.permissions import OPERATOR_ACTIONS, RIGHTS
from tests.core.world import world  # noqa: F401 - module-scoped fixture

_n = itertools.count()


def _request(world, action: str):
    """(method, path, kwargs) exercising ``action``; writes get fresh objects so they can succeed."""
    a = world.a
    if action == "queue.read":
        return "GET", "/api/v1/suggestions", {}
    if action == "suggestion.decide":
        return (
            "POST",
            f"/api/v1/suggestions/{world.new_suggestion(a)}/decision",
            {"json": {"outcome": "accepted"}},
        )
    if action == "item.read":
        return "GET", f"/api/v1/items/{world.a_objects['item']}", {}
    if action == "item.create":
        n = next(_n)
        return (
            "POST",
            "/api/v1/malform/documents",
            {
                "files": {
                    "file": (f"rolle-{n}.txt", f"Eg skriv på nynorsk no, nummer {n}.".encode(), "text/plain")
                }
            },
        )
    if action == "item.erase":
        item = world.new_item(a, f"sletting {next(_n)}".encode())
        return "POST", f"/api/v1/items/{item}/erase", {"json": {"reason": "erasure"}}
    if action == "item.dispose":
        item = world.new_item(a, f"kassasjon {next(_n)}".encode())
        return "POST", f"/api/v1/items/{item}/erase", {"json": {"reason": "kassasjon"}}
    if action == "audit.read":
        return "GET", "/api/v1/audit", {}
    if action == "audit.export":
        return "GET", "/api/v1/audit/export", {}
    if action == "users.manage":
        return "GET", "/api/v1/users", {}
    if action == "units.manage":
        n = next(_n)
        return (
            "POST",
            "/api/v1/units",
            {"json": {"code": f"enhet-{n}", "name": f"Enhet {n}", "email": f"enhet{n}@alfa.test"}},
        )
    if action == "units.read":
        return "GET", "/api/v1/units", {}
    if action == "policies.manage":
        return "PUT", "/api/v1/policies/malform/malform", {"json": {"enabled": False, "threshold": 0.95}}
    if action == "policies.read":
        return "GET", "/api/v1/policies", {}
    if action == "tokens.manage":
        return "GET", "/api/v1/tokens", {}
    if action == "models.read":
        return "GET", "/api/v1/models", {}
    return None


# Actions with no API route: model registration/export/import and tenant creation are operator work on
# the server (CLI). Listed here so that a new action in RIGHTS without a mapping above fails the test.
NO_API_ROUTE = {"models.manage", "tenant.manage"}


def _allowed(role: str | None, action: str) -> bool:
    if role is None:  # the operator flag, no role in the tenant
        return action in OPERATOR_ACTIONS
    return Role(role) in RIGHTS[action]


@pytest.mark.parametrize("role", [r.value for r in Role] + [None], ids=[r.value for r in Role] + ["operator"])
def test_role_rights_match_the_rights_table(world, role):
    c = world.client(role or "operator")
    mismatches = []
    for action in sorted(RIGHTS):
        req = _request(world, action)
        if req is None:
            assert action in NO_API_ROUTE, f"no API request mapped for action {action}"
            continue
        method, path, kwargs = req
        r = c.request(method, path, **kwargs)
        if _allowed(role, action):
            if not 200 <= r.status_code < 300:
                mismatches.append((action, "expected 2xx", r.status_code, r.text[:200]))
        elif (
            r.status_code != 403
            or r.json()["error"]["code"] != "forbidden"
            or set(r.json()["error"]) != {"code", "message", "details"}
        ):
            mismatches.append((action, "expected 403", r.status_code, r.text[:200]))
    assert not mismatches, mismatches


def test_every_role_is_covered():
    # a role added to the enum must get its own rights test above
    assert {r.value for r in Role} == {
        "saksbehandler",
        "arkivar",
        "leder",
        "eiendomsskatt",
        "personvernombud",
        "ki-ansvarlig",
        "admin",
    }


def test_operator_may_grant_roles_to_any_user(world):
    # the installation operator spans tenants (an IKS): granting an existing user a role in A works
    uid = world.users["sb-b"]
    r = world.client("operator").post(f"/api/v1/users/{uid}/roles", json={"role": "leder"})
    assert r.status_code == 201, r.text
    r = world.client("operator").delete(f"/api/v1/users/{uid}/roles/leder")
    assert r.status_code == 200, r.text
