"""Each role's rights through the API, generated from the merged policy (core actions plus every
registered service's roles and rights, ``Platform.policy``).

One test per role (and one for the installation operator flag). For every action in the merged table the
test makes the request that needs it: allowed → 2xx, not allowed → 403 in the error shape. A second test
reads an item of every service through the generic routes (`/api/v1/items/{id}`, its content, and the
suggestion on it), where each service narrows who may read to its reviewer roles exactly as its pages
do. The expectations are read from the policy itself, so a right changed without the route (or the
reverse) fails here, and a new service's rights are tested without editing this file.
"""

from __future__ import annotations

import itertools

import pytest

from kommuneki.core.permissions import Policy
from kommuneki.core.registry import discover
from tests.core.world import world  # noqa: F401 - module-scoped fixture

_n = itertools.count()
POLICY = Policy.from_registry(discover())
ROLES = POLICY.roles()


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
    if action == "tenant.manage":
        return "GET", "/api/v1/settings", {}
    if action == "models.read":
        return "GET", "/api/v1/models", {}
    if action == "governance.read":
        return "GET", "/api/v1/governance/systems", {}
    if action == "bemanning.read":
        return "GET", "/api/v1/bemanning/units", {}
    if action == "governance.manage":
        n = next(_n)
        return (
            "POST",
            "/api/v1/governance/systems",
            {"json": {"name": f"Eksternt system {n}", "purpose": "Test."}},
        )
    return None


# Actions with no API route: model registration/export/import are operator work on the server (CLI);
# the eiendomsskattekontor's pages and the training basis form are cookie-only pages
# (tests/services/eiendomsskatt/test_views.py and tests/services/governance/test_web.py sign in there);
# so are bemanning's forecast upload and backtest (tests/services/bemanning sign in there).
# Listed here so that a new action in the merged table without a mapping above fails the test.
NO_API_ROUTE = {
    "models.manage",
    "eiendomsskatt.office",
    "governance.training_basis",
    "bemanning.plan",
}


def _allowed(role: str | None, action: str, service: str | None = None) -> bool:
    if role is None:  # the operator flag, no role in the tenant
        return action in POLICY.operator_actions
    return role in POLICY.allowed_roles(action, service)


def _may_read(role: str, right: str, service: str) -> bool:
    """Whether the table lets ``role`` read ``service``'s objects: the core's right narrowed to the
    service, or the service's own read right where it has one (bemanning.read: the aggregates)."""
    own = f"{service}.read"
    return _allowed(role, right, service) or (own in POLICY.rights and _allowed(role, own))


def _forbidden(response) -> bool:
    return (
        response.status_code == 403
        and response.json()["error"]["code"] == "forbidden"
        and set(response.json()["error"]) == {"code", "message", "details"}
    )


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "operator"])
def test_role_rights_match_the_merged_rights_table(world, role):
    c = world.client(role or "operator")
    mismatches = []
    for action in sorted(POLICY.rights):
        req = _request(world, action)
        if req is None:
            assert action in NO_API_ROUTE, f"no API request mapped for action {action}"
            continue
        method, path, kwargs = req
        r = c.request(method, path, **kwargs)
        if _allowed(
            role, action, "malform" if action.startswith(("item.", "queue.", "suggestion.")) else None
        ):
            if not 200 <= r.status_code < 300:
                mismatches.append((action, "expected 2xx", r.status_code, r.text[:200]))
        elif not _forbidden(r):
            mismatches.append((action, "expected 403", r.status_code, r.text[:200]))
    assert not mismatches, "\n".join(map(repr, mismatches))


@pytest.mark.parametrize("role", ROLES)
def test_generic_item_routes_apply_each_services_reviewer_roles(world, role):
    """An item of every service through the generic routes: what the service's pages allow, no more."""
    c = world.client(role)
    mismatches = []
    for spec in world.platform.registry:
        item = world.new_item(world.a, f"{spec.name} {role} {next(_n)}".encode(), service=spec.name)
        allowed = _allowed(role, "item.read", spec.name)
        # a service's item-read rule may narrow it further (tale: only the recorder and a named colleague;
        # saksinnsikt: a tilgangsrestriksjon) — the role's right is necessary, and the rule itself is
        # tested in the service's own tests (tests/services/tale, tests/services/saksinnsikt)
        narrowed = spec.item_read_rule is not None
        for path in (f"/api/v1/items/{item}", f"/api/v1/items/{item}/content"):
            r = c.get(path)
            ok = 200 <= r.status_code < 300
            if narrowed and allowed and (ok or _forbidden(r)):
                continue
            if allowed != ok or (not allowed and not _forbidden(r)):
                mismatches.append((spec.name, path, "allowed" if allowed else "forbidden", r.status_code))
    assert not mismatches, "\n".join(map(repr, mismatches))


def test_the_shared_inbox_is_closed_to_roles_postmottak_does_not_name(world):
    # the API used to let the eiendomsskatt role, leder and personvernombud read the inbox
    for role in ROLES:
        r = world.client(role).get("/api/v1/postmottak/messages")
        expected = _allowed(role, "queue.read", "postmottak")
        assert (r.status_code == 200) == expected, (role, r.status_code, r.text[:200])
        if not expected:
            assert _forbidden(r)
    assert not _allowed("eiendomsskatt", "queue.read", "postmottak")
    assert not _allowed("leder", "item.read", "postmottak")


def test_the_postgresql_sweep_sees_every_right_granted_and_refused():
    chosen = _covering_roles()
    assert 1 < len(chosen) < len(ROLES)
    for action in POLICY.rights:
        for svc in [None, *(spec.name for spec in discover())]:
            allowed = POLICY.allowed_roles(action, svc)
            assert not allowed or set(chosen) & set(allowed), (action, svc)
            assert not set(ROLES) - set(allowed) or set(chosen) - set(allowed), (action, svc)


def test_every_role_is_covered():
    # the core's roles and every service's own roles are all in the merged table
    assert {"saksbehandler", "arkivar", "leder", "personvernombud", "ki-ansvarlig", "admin"} <= set(ROLES)
    assert "eiendomsskatt" in ROLES  # brought by the eiendomsskatt service's spec


def test_operator_may_grant_roles_to_any_user(world):
    # the installation operator spans tenants (an IKS): granting an existing user a role in A works
    uid = world.users["sb-b"]
    r = world.client("operator").post(f"/api/v1/users/{uid}/roles", json={"role": "leder"})
    assert r.status_code == 201, r.text
    r = world.client("operator").delete(f"/api/v1/users/{uid}/roles/leder")
    assert r.status_code == 200, r.text


# --- ids in paths: every route checks its own ---------------------------------------------------

BAD_IDS = {"0": 422, "-1": 422, str(2**31): 422, str(2**63): 422, str(10**30): 422, "abc": 422, "1.5": 422}


def test_every_id_in_a_path_is_checked_by_its_route(world):
    """Every row id in every route's path (the core's and every service's, API and pages) is declared
    as a row id: a non-integer, zero, a negative or an id beyond what the databases hold is a 422 in
    Norwegian naming the parameter, before the route does anything — never a 500, never a 404 that only
    the database's "not found" produced (an id of 2**31 used to reach SQLite and come back 404, and on
    PostgreSQL the driver's overflow), never 2xx. A path converter ({x:int}) that does not match a value
    is a 404 of the router (no route), which is fine."""
    from tests.web.app_routes import app_routes

    c = _role_session(world, "admin")
    mismatches, tried = [], 0
    for route in app_routes(world.app):
        if (route.method, route.path) in SIGN_OUT:
            continue
        ints = [
            p.name
            for p in route.route.dependant.path_params
            if p.name in route.id_params and p.field_info.annotation is int
        ]
        for name in ints:
            converter = f"{{{name}:int}}" in route.path
            for value, expected in BAD_IDS.items():
                if converter and not value.isdigit():
                    expected = 404  # the router finds no route: not this route's business
                path = route.fill(**{"id": 1, "fmt": "json", name: value})
                api = route.path.startswith("/api/")
                headers = {"Accept": "application/json" if api else "text/html"}
                kwargs = {} if route.method == "GET" else {"json": {}}
                r = c.request(route.method, path, headers=headers, follow_redirects=False, **kwargs)
                tried += 1
                if r.status_code != expected:
                    mismatches.append((route.method, path, name, r.status_code, r.text[:120]))
                elif expected == 422 and api:
                    fields = [d["field"] for d in r.json()["error"]["details"]]
                    if f"path.{name}" not in fields:
                        mismatches.append((route.method, path, name, "not named", fields))
                elif expected == 422 and "Forespørselen har ugyldige felt" not in r.text:
                    mismatches.append((route.method, path, name, "no Norwegian message", r.text[:120]))
    assert tried > 200  # every service's id routes, seven bad values each
    assert not mismatches, "\n".join(map(repr, mismatches))


# --- the attack test: every route of the app, every role, an object of every service --------------

# Routes that end the caller's own session: run last would only sign the attacker out.
SIGN_OUT = {("POST", "/api/v1/auth/logout"), ("POST", "/logg-ut")}
OBJECT_IDS = {"item_id": "item.read", "suggestion_id": "queue.read"}


@pytest.fixture
def denied_checks(monkeypatch):
    """Every (action, service) that ``authorize`` refused during a request, read from the real policy:
    a recording wrapper around Policy.can that keeps its answer."""
    import sys

    real_can = Policy.can
    denied: list[tuple[str, str | None]] = []

    def recording_can(self, principal, action, service=None):
        allowed = real_can(self, principal, action, service)
        if not allowed and sys._getframe(1).f_code.co_name == "authorize":
            denied.append((action, service))
        return allowed

    monkeypatch.setattr(Policy, "can", recording_can)
    return denied


def _role_session(world, role: str):
    from tests.core.world import PASSWORD, _user

    name = f"pw-{role}"
    if name not in world.users:
        world.users[name] = _user(world.platform, world.a, name, [role], password=PASSWORD)
    return world.session_client(name)


def _data_leaked(method: str, response, marker: bytes) -> bool:
    """A read that answers 2xx hands the object out (its metadata, if not its text); a write that
    answers 2xx with the object's text in it does too."""
    if not 200 <= response.status_code < 300:
        return False
    return method == "GET" or marker in response.content


def _owner(route) -> str:
    """The service whose router holds the route, or "core"."""
    module = route.route.endpoint.__module__
    return module.split(".")[2] if module.startswith("kommuneki.services.") else "core"


def _covering_roles() -> list[str]:
    """The fewest roles (greedy) such that for every distinct set of roles a right of the merged table
    allows (per action and service), one chosen role has it and one lacks it: the sweep over these
    roles sees every right both granted and refused. Read from the table, so a new service's roles
    take part without editing this file."""
    services = [None, *(spec.name for spec in discover())]
    sets = {frozenset(POLICY.allowed_roles(a, svc)) for a in POLICY.rights for svc in services}
    need = {("in", s) for s in sets if s} | {("out", s) for s in sets if set(ROLES) - s}
    chosen: list[str] = []
    while need:
        best = max(ROLES, key=lambda r: sum((r in s) == (k == "in") for k, s in need))
        chosen.append(best)
        need = {(k, s) for k, s in need if (best in s) != (k == "in")}
    return chosen


# every role on SQLite; on PostgreSQL the roles that see every right granted and refused (the sweep
# takes about a minute per role on the CI machine)
SWEEP = [("sqlite", role) for role in ROLES] + [("postgresql", role) for role in _covering_roles()]


@pytest.fixture(scope="module")
def attack_world(request, tmp_path_factory):
    """Its own world per database (the sweep's parameters name it). Every service's objects in both
    tenants (tests/web/service_objects): A's are the signed-in user's, B's another kommune's."""
    from tests.core.world import PASSWORD, _module_platform, _user, build_world
    from tests.web.service_objects import build

    w = build_world(_module_platform(request, tmp_path_factory))
    w.users["pw-helsepersonell"] = _user(
        w.platform, w.a, "pw-helsepersonell", ["helsepersonell"], password=PASSWORD
    )
    recorder_b = _user(w.platform, w.b, "tale-b", ["helsepersonell"])
    w.objects = {"A": build(w, w.a, "a", w.users["pw-helsepersonell"]), "B": build(w, w.b, "b", recorder_b)}
    for objs in w.objects.values():  # a pending suggestion of every service that has a review kind
        missing = [
            spec.name for spec in w.platform.registry if spec.kinds and not objs.suggestions.get(spec.name)
        ]
        assert not missing, f"no pending suggestion of {missing}"
    w.b_item_pairs = {
        spec.name: (w.new_item(w.b, f"MARKOR-b-{spec.name}".encode(), service=spec.name), b"MARKOR-b-")
        for spec in w.platform.registry
    }
    w.forms = _page_forms(w)
    yield w
    w.close()


# Page POSTs whose valid form is not sent: signing in is public (no authorization to reach), and a
# valid form would count as failed logins against the sweep's own address; the tenant switch's form
# shows only to a user with roles in two tenants, and switching into another tenant is refused by
# membership, not by a right (tests/web/test_security_isolation.py tries it).
NO_VALID_FORM = {("POST", "/logg-inn"), ("POST", "/bytt-organisasjon")}


def _page_forms(world) -> dict:
    """A body that passes validation for each page POST route, read from the forms the pages show to a
    user with every role (tests/web/page_forms.py), filled with the own tenant's objects."""
    from tests.core.world import PASSWORD, _user
    from tests.web.app_routes import app_routes
    from tests.web.page_forms import harvest

    world.users["pw-alle"] = _user(world.platform, world.a, "pw-alle", list(ROLES), password=PASSWORD)
    c = world.session_client("pw-alle")
    routes = app_routes(world.app)
    pages = []
    for route in routes:
        if route.method == "GET" and not route.path.startswith("/api/"):
            for tenant, _service, values, _marker in _targets(route, "pw-alle", world, {}, set()):
                if tenant == "A":
                    pages.append(route.fill(**values))
    posts = [r for r in routes if r.method == "POST" and not r.path.startswith("/api/")]
    return harvest(c, pages, posts)


def _audit_count(world, tenant_id: int) -> int:
    from sqlalchemy import func, select

    from kommuneki.core.models import AuditEntry

    with world.platform.db.read_session(tenant_id) as s:
        return s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.chain == f"t{tenant_id}")
        )


def _targets(route, role, world, a_items, unfilled):
    """(tenant, service, values for the path, marker) for each object the route is tried against: on
    the core's item and suggestion routes an object of every service; on a service's own routes that
    service's objects; always one of the signed-in user's tenant (A) and one of another tenant (B)."""
    owner = _owner(route)
    params = route.id_params
    if not params:
        return [("A", None, {}, None)]
    out = []
    for tenant in ("A", "B"):
        objs = world.objects[tenant]
        base = {
            p: objs.value(owner, p, route.path)
            for p in params
            if objs.value(owner, p, route.path) is not None
        }
        own = {"item_id", "suggestion_id"} if owner == "core" else set()
        unfilled.update((route.method, route.path, p) for p in params if p not in base and p not in own)
        base["fmt"] = "json"  # a format every {fmt} route with an id knows (logg.json, eksport/json)
        if owner == "core" and "item_id" in params:
            # a plain item of every service, and the items the services' own code made (a message, a
            # screened document, a recording, a sales file, a unit's forecast, an indexed document)
            pairs = [*(a_items if tenant == "A" else world.b_item_pairs).items()]
            pairs += [(svc, (item, objs.markers.get(svc))) for item, svc in objs.item_service.items()]
            for service, (item, marker) in pairs:
                out.append((tenant, service, {**base, "item_id": item}, marker))
        elif owner == "core" and "suggestion_id" in params:
            for service, sid in objs.suggestions.items():
                if sid is not None:
                    out.append((tenant, service, {**base, "suggestion_id": sid}, objs.markers.get(service)))
        else:
            out.append((tenant, owner, base, objs.markers.get(owner)))
            if tenant == "A" and "item_id" in params:
                # a service's own item route given another service's item of the same tenant
                for item, svc in objs.item_service.items():
                    if svc != owner:
                        out.append(("A-other", svc, {**base, "item_id": item}, objs.markers.get(svc)))
    return out


@pytest.mark.parametrize(
    ("attack_world", "role"), SWEEP, indirect=["attack_world"], ids=[f"{db}-{r}" for db, r in SWEEP]
)
def test_every_route_for_every_role_against_every_service_follows_the_rights_table(
    attack_world, role, denied_checks
):
    """Every route of the app (the OpenAPI operations and every page, core and every service's), signed
    in with the session cookie as each role, with each id in its path filled by a real object of the
    right service: on the core's item and suggestion routes an item (a pending suggestion) of every
    service, on a service's own routes that service's message, document, run, valuation, dwelling,
    recording, unit or system — one of the user's own tenant and one of another tenant. Expected from the
    merged rights table:

    * whenever the route asks the policy and is refused, the answer is a refusal (403 in the error shape
      for the API; 403 or a redirect for a page), never the object;
    * an object of service S is never handed to a role the table does not let read S (``item.read`` for
      items and the service's objects, ``queue.read`` for suggestions): no 2xx read, no 2xx carrying its
      text;
    * a read of the user's own tenant's object that the policy let through finds it (no 404: the sweep
      really reached the object), unless the service's item-read rule narrows it (tale, saksinnsikt);
    * another tenant's object is never found: never 2xx, its text never in the answer, a read refused
      or 404;
    * a service's own item route given another service's item hands out neither its text nor, to a
      role that may not read that service, anything;
    * never a 5xx.
    """
    from tests.web.app_routes import app_routes

    world = attack_world
    c = _role_session(world, role)
    a_items = {}
    for spec in world.platform.registry:
        marker = f"MARKOR-{spec.name}-{role}-{next(_n)}".encode()
        a_items[spec.name] = (world.new_item(world.a, marker, service=spec.name), marker)
    narrowed = {spec.name for spec in world.platform.registry if spec.item_read_rule is not None}
    has_items = {spec.name for spec in world.platform.registry if spec.kinds}
    b_markers = [*world.objects["B"].markers.values(), b"MARKOR-b-"]
    mismatches = []
    routes = [r for r in app_routes(world.app) if (r.method, r.path) not in SIGN_OUT]
    assert len(routes) > 60  # the API and the pages of the core and every service
    tried, unfilled, unharvested, reached, valid_forms = 0, set(), set(), set(), 0
    b_changes_before = _audit_count(world, world.b)
    for route in routes:
        for tenant, service, values, marker in _targets(route, role, world, a_items, unfilled):
            path = route.fill(**values)
            denied_checks.clear()
            kwargs = {} if route.method == "GET" else {"json": {}}
            api = route.path.startswith("/api/")
            headers = {"Accept": "application/json" if api else "text/html"}
            r = c.request(route.method, path, headers=headers, follow_redirects=False, **kwargs)
            tried += 1
            key = (route.method, route.path)
            if (
                not api
                and route.method == "POST"
                and not denied_checks
                and r.status_code in (400, 422)
                and key not in NO_VALID_FORM
            ):
                # the form's validation refused the empty body before the route asked the policy:
                # again with the form the page shows, so that what refuses (or not) is the route itself
                if key not in world.forms:
                    unharvested.add(key)
                else:
                    r = c.request(
                        route.method,
                        path,
                        headers=headers,
                        follow_redirects=False,
                        **world.forms[key].request_kwargs(),
                    )
                    valid_forms += 1
                    if denied_checks:
                        reached.add(key)
            where = (route.method, path, tenant, service)
            ok = 200 <= r.status_code < 300
            if r.status_code >= 500:
                mismatches.append((*where, "server error", r.status_code))
            if denied_checks:
                refused = r.status_code == 403 or (not api and r.status_code == 303)
                if not refused:
                    mismatches.append((*where, f"refused {denied_checks} but answered", r.status_code))
                elif api and not _forbidden(r):
                    mismatches.append((*where, "refusal not in the error shape", r.text[:120]))
            if not route.id_params:
                continue
            if tenant == "A-other":
                # another service's item through this service's route: not its object, never handed out
                if ok and (
                    (marker and marker in r.content)
                    or (route.method == "GET" and not _may_read(role, "item.read", service))
                ):
                    mismatches.append(
                        (*where, f"{service} item through {_owner(route)}'s route", r.status_code)
                    )
                continue
            if tenant == "B":
                if ok:
                    mismatches.append((*where, "another tenant's object", r.status_code))
                if any(m in r.content for m in b_markers):
                    mismatches.append((*where, "another tenant's text in the answer", r.status_code))
                if route.method == "GET" and not denied_checks and r.status_code not in (403, 404):
                    mismatches.append((*where, "another tenant's object not refused", r.status_code))
                continue
            suggestion_route = _owner(route) == "core" and "suggestion_id" in route.id_params
            right = "queue.read" if suggestion_route else "item.read"
            if service in has_items and not _may_read(role, right, service):
                if _data_leaked(route.method, r, marker or b"\x00none"):
                    mismatches.append(
                        (*where, f"object of a service the role may not read ({right})", r.status_code)
                    )
            if (
                route.method == "GET"
                and not denied_checks
                and r.status_code == 404
                and service not in narrowed
                and (service not in has_items or _may_read(role, right, service))
            ):
                mismatches.append((*where, "own tenant's object not found", r.text[:120]))
    assert tried > len(routes)  # ids were filled with objects of each service and both tenants
    assert not unfilled, f"path ids with no object of their service: {sorted(unfilled)}"
    assert not mismatches, "\n".join(map(repr, mismatches))
    assert not unharvested, (
        f"page POSTs refused by validation with no form on any page: {sorted(unharvested)}"
    )
    print(
        f"{role}: {tried} requests, {valid_forms} again with the page's form, {len(reached)} routes "
        f"where only the valid form reached the refusing authorization check: {sorted(reached)}"
    )
    # every change is audited in its tenant's chain, in the same transaction: nothing A's user did
    # (a page's redirect after a POST on B's object included) changed anything in B
    assert _audit_count(world, world.b) == b_changes_before
