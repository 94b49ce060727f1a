"""Inputs that used to give 500 get a Norwegian 4xx in the one error shape (issue 12): ids above 2**63
(SQLite) or 2**31 (PostgreSQL) on every route that takes an id, core and services alike; very large hour
filters; two people deciding the same suggestion at the same moment (PostgreSQL: a unique violation).
The schemathesis run (test_schemathesis.py) searches the API more widely; these are the known cases."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from kommuneki.core.models import Decision
from tests.core.world import PASSWORD, _user, world  # noqa: F401 - module-scoped fixture
from tests.web.app_routes import app_routes

HUGE_IDS = [2**31, 2**64]  # above PostgreSQL INTEGER; above SQLite INTEGER


def _admin_session(world):
    if "admin-pw" not in world.users:
        world.users["admin-pw"] = _user(world.platform, world.a, "admin-pw", ["admin"], password=PASSWORD)
    return world.session_client("admin-pw")


def test_every_route_with_an_id_answers_a_huge_id_with_a_4xx(world):
    c = _admin_session(world)
    routes = [r for r in app_routes(world.app) if r.id_params]
    assert len(routes) > 20  # core and services: the generic routes and every service's own
    failures = []
    for route in routes:
        for huge in HUGE_IDS:
            path = route.fill(id=huge)
            kwargs = {} if route.method == "GET" else {"json": {}}
            r = c.request(route.method, path, headers={"Accept": "application/json"}, **kwargs)
            if r.status_code >= 500:
                failures.append((route.method, path, r.status_code, r.text[:120]))
            elif path.startswith("/api/") and set(r.json()["error"]) != {"code", "message", "details"}:
                failures.append((route.method, path, "error shape", r.text[:120]))
    assert not failures, failures


def test_huge_ids_get_a_norwegian_422_on_the_core_routes(world):
    c = world.client("admin")
    for path in ("/api/v1/items/{}", "/api/v1/suggestions/{}", "/api/v1/jobs/{}"):
        for huge in HUGE_IDS:
            r = c.get(path.format(huge))
            assert r.status_code == 422, (path, huge, r.text)
            error = r.json()["error"]
            assert error["code"] == "invalid_input" and error["message"] == "Forespørselen har ugyldige felt."
    # an id in range that names no row is still a plain 404
    assert c.get(f"/api/v1/items/{2**31 - 1}").status_code == 404


@pytest.mark.parametrize(
    "query", ["older_than_hours=1e308", "newer_than_hours=1e300", "offset=99999999999999"]
)
def test_huge_queue_filters_are_refused_in_norwegian(world, query):
    r = world.client("admin").get(f"/api/v1/suggestions?{query}")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["message"] == "Verdien er for stor."


@pytest.mark.parametrize("age", ["old1e308", "1e308", "oldabc", "old-5", "oldinf", "oldnan"])
def test_huge_or_odd_age_on_the_queue_page_is_a_4xx_page(world, age):
    c = world.session_client()
    r = c.get("/", params={"alder": age}, headers={"Accept": "text/html"})
    assert 400 <= r.status_code < 500 or r.status_code == 200, (age, r.status_code)
    assert r.status_code == 200 or "timer" in r.text


def test_concurrent_decisions_on_one_suggestion_give_one_decision_and_a_409(world):
    """Two people press "godta" at the same moment: one decision is stored, the other gets 409 in
    Norwegian (issue 12: PostgreSQL raised UniqueViolation, a 500). Several rounds, each a real race."""
    clients = [world.client("admin"), world.client("saksbehandler")]
    for _ in range(4):
        sid = world.new_suggestion(world.a)
        barrier = threading.Barrier(len(clients))
        answers = []

        def decide(client, sid=sid, barrier=barrier, answers=answers):
            barrier.wait()
            r = client.post(f"/api/v1/suggestions/{sid}/decision", json={"outcome": "accepted"})
            answers.append((r.status_code, r.json()))

        threads = [threading.Thread(target=decide, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(status for status, _ in answers) == [201, 409], answers
        loser = next(body for status, body in answers if status == 409)
        assert loser["error"]["code"] == "conflict" and loser["error"]["message"]
        with world.platform.db.tenant_session(world.a) as s:
            assert len(s.scalars(select(Decision).where(Decision.suggestion_id == sid)).all()) == 1
