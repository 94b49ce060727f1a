"""One error shape for every API error: {"error": {"code", "message", "details"}}, with the right status,
and nothing half-written after a failed request."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kommuneki.core import audit
from kommuneki.core.models import AuditEntry, Unit, User
from tests.core.world import world  # noqa: F401 - module-scoped fixture

JSON = {"Content-Type": "application/json"}

# (method, path, request kwargs, status, code, a field expected in details (or None), why)
CASES = [
    (
        "POST",
        "/api/v1/units",
        {"content": b'{"code": "x", ', "headers": JSON},
        422,
        "invalid_input",
        None,
        "malformed JSON",
    ),
    (
        "POST",
        "/api/v1/units",
        {"content": b"[1, 2]", "headers": JSON},
        422,
        "invalid_input",
        None,
        "a JSON array where an object is expected",
    ),
    (
        "POST",
        "/api/v1/units",
        {"json": {"code": "ok-kode", "name": "N", "email": "n@x.test", "farge": "rød"}},
        422,
        "invalid_input",
        "body.farge",
        "unknown field",
    ),
    (
        "PUT",
        "/api/v1/policies/malform/malform",
        {"json": {"enabled": "kanskje", "threshold": "høy"}},
        422,
        "invalid_input",
        "body.threshold",
        "wrong types",
    ),
    ("POST", "/api/v1/units", {"json": {}}, 422, "invalid_input", "body.email", "missing fields"),
    (
        "POST",
        "/api/v1/units",
        {"json": {"code": "x" * 100, "name": "N", "email": "n@x.test"}},
        422,
        "invalid_input",
        "body.code",
        "too long",
    ),
    (
        "GET",
        "/api/v1/suggestions",
        {"params": {"limit": "mange"}},
        422,
        "invalid_input",
        "query.limit",
        "query parameter of the wrong type",
    ),
    (
        "GET",
        "/api/v1/suggestions",
        {"params": {"min_confidence": 3}},
        422,
        "invalid_input",
        "query.min_confidence",
        "query parameter out of range",
    ),
    (
        "GET",
        "/api/v1/suggestions/tre",
        {},
        422,
        "invalid_input",
        "path.suggestion_id",
        "path parameter not a number",
    ),
    (
        "POST",
        "/api/v1/suggestions/{suggestion}/decision",
        {"json": {"outcome": "rejected"}},
        422,
        "invalid_input",
        None,
        "rejection without a reason (domain rule)",
    ),
    (
        "POST",
        "/api/v1/units",
        {"json": {"code": "Ugyldig Kode", "name": "N", "email": "n@x.test"}},
        422,
        "invalid_input",
        None,
        "domain validation (code format)",
    ),
    (
        "POST",
        "/api/v1/units",
        {"json": {"code": "byggesak", "name": "N", "email": "n@x.test"}},
        409,
        "conflict",
        None,
        "duplicate unit code",
    ),
    ("GET", "/api/v1/suggestions/999999", {}, 404, "not_found", None, "unknown id"),
    ("GET", "/api/v1/finnes-ikke", {}, 404, "not_found", None, "unknown route"),
    ("DELETE", "/api/v1/suggestions", {}, 405, "method_not_allowed", None, "wrong method"),
    (
        "POST",
        "/api/v1/malform/documents",
        {"files": {"ikke-fil": ("a.txt", b"x")}},
        422,
        "invalid_input",
        "body.file",
        "upload without the file field",
    ),
]


@pytest.mark.parametrize("method, path, kwargs, status, code, field, why", CASES, ids=[c[-1] for c in CASES])
def test_error_shape(world, method, path, kwargs, status, code, field, why):
    c = world.client("admin")
    before = _audit_count(world)
    r = c.request(method, path.format(**world.a_objects), **kwargs)
    assert r.status_code == status, (why, r.text)
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], list)
    if field:
        assert field in [d["field"] for d in body["error"]["details"]], body
        assert all(d["message"] for d in body["error"]["details"])
    assert _audit_count(world) == before  # a refused request leaves no trace in the log


def _audit_count(world) -> int:
    with world.platform.db.installation_session() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.chain == f"t{world.a}"))


def test_unauthenticated_requests_get_401(world):
    c = world.client()
    for method, path in (("GET", "/api/v1/suggestions"), ("GET", "/api/v1/me"), ("POST", "/api/v1/units")):
        r = c.request(method, path, json={})
        assert r.status_code == 401, (path, r.text)
        assert r.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "header", ["Bearer kki_gjettet", "Bearer ", "Bearer noe-annet", "Basic YWRtaW46YWRtaW4="]
)
def test_bad_credentials_get_401(world, header):
    r = world.client().get("/api/v1/me", headers={"Authorization": header})
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"


def test_oversized_body_gets_413(world):
    s = world.platform.settings
    limit = s.max_upload_bytes
    s.max_upload_bytes = 1000
    try:
        c = world.client("admin")
        # larger than the limit plus the form overhead allowance: refused before it is read
        r = c.post("/api/v1/units", content=b"{" + b" " * 200_000 + b"}", headers=JSON)
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
        # an upload just over the limit (within the allowance) is refused by the upload reader
        r = c.post("/api/v1/malform/documents", files={"file": ("stor.txt", b"a " * 1000, "text/plain")})
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    finally:
        s.max_upload_bytes = limit
    with world.platform.db.tenant_session(world.a) as session:
        assert not session.scalars(select(Unit).where(Unit.name == "stor.txt")).all()


def test_failed_request_writes_nothing(world):
    """A user is created, then granting an unknown role fails in the same request: the user, the role
    and the audit entries are all rolled back."""
    before = _audit_count(world)
    r = world.client("admin").post(
        "/api/v1/users", json={"username": "halvveis", "roles": ["admin", "keiser"]}
    )
    assert r.status_code == 422 and "keiser" in r.json()["error"]["message"]
    with world.platform.db.installation_session() as s:
        assert s.scalar(select(User).where(User.username == "halvveis")) is None
        assert audit.verify_chain(s, audit.chain_for(world.a), world.platform.settings.checkpoint_dir).ok
    assert _audit_count(world) == before
