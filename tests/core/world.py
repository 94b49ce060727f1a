"""A small two-tenant installation shared by the tests of one module (built once per module and backend).

Building the demo for every test hashes six passwords with Argon2 (about 0.3 s each on a busy machine),
so the isolation, role and error-shape tests share one world per module instead: tenants ``alfa`` (A)
and ``beta`` (B), one user per role in A (no password: they use API tokens, which skip Argon2), an
operator, one password account made on first use, a saksbehandler and an admin in B, and a few real
målform documents (items + suggestions) in
each tenant. Tests that change data create what they change, so the order of tests does not matter.

Use it by importing the fixture into a test module: ``from tests.core.world import world  # noqa: F401``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kommuneki.core import accounts, items, suggestions
from kommuneki.core.models import User
from kommuneki.core.permissions import Policy
from kommuneki.core.platform import Platform
from kommuneki.core.registry import discover
from kommuneki.services.malform import engine as malform_engine
from kommuneki.services.malform.service import analyse_document
from tests.conftest import _truncate_all, make_platform

# every role of the installation: the core's and each registered service's (the merged policy)
ROLES = Policy.from_registry(discover()).roles()
PASSWORD = "riktig-passord-123"
DOCS_A = [
    ("a1.txt", "Eg lurer på kva tid vegen blir brøyta, for borna må gå i vegbana."),
    ("a2.txt", "Jeg lurer på når veien blir brøytet, for barna må gå i veibanen."),
]
DOCS_B = [
    ("b1.txt", "Kommunen i nord har fått en søknad om dispensasjon fra reguleringsplanen."),
    ("b2.txt", "Søknaden om byggeløyve vart sendt til kommunen i går."),
]


@dataclass
class World:
    platform: Platform
    app: object
    a: int
    b: int
    tokens: dict[str, str] = field(default_factory=dict)  # name -> bearer token
    users: dict[str, int] = field(default_factory=dict)  # name -> user id
    b_objects: dict[str, int] = field(default_factory=dict)  # ids of tenant B's rows (to guess)
    a_objects: dict[str, int] = field(default_factory=dict)
    _clients: list = field(default_factory=list)

    def client(self, who: str | None = None) -> TestClient:
        """A client authenticated by ``who``'s API token (no CSRF needed for bearer tokens)."""
        c = TestClient(self.app)
        if who is not None:
            c.headers["Authorization"] = f"Bearer {self.tokens[who]}"
        self._clients.append(c)
        return c

    def password_user(self) -> int:
        """The one password account ("person-a": saksbehandler and arkivar in A), made on first use so
        that modules which need no session cookie skip Argon2."""
        if "person-a" not in self.users:
            self.users["person-a"] = _user(
                self.platform, self.a, "person-a", ["saksbehandler", "arkivar"], password=PASSWORD
            )
        return self.users["person-a"]

    def session_client(self, username: str = "person-a", password: str = PASSWORD) -> TestClient:
        """A client signed in with the session cookie; carries the CSRF header."""
        self.password_user()
        c = TestClient(self.app)
        r = c.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        self._clients.append(c)
        return c

    def new_suggestion(
        self, tenant_id: int, text: str = "Eg skriv nynorsk i dag, og det går fint.", **overrides
    ) -> int:
        """A fresh pending målform suggestion on a fresh item, made through the real service path."""
        with self.platform.db.tenant_session(tenant_id) as s:
            arrival = items.ingest(
                s,
                self.platform.blobs,
                tenant_id,
                service="malform",
                kind="document",
                data=(text + f" #{len(self._clients)}-{id(s)}").encode(),
                filename="x.txt",
                actor="test",
            )
            proposal = malform_engine.suggest_malform(text)
            for k, v in overrides.items():
                setattr(proposal, k, v)
            return suggestions.suggest(
                s,
                self.platform.registry,
                tenant_id,
                "malform",
                proposal,
                item_id=arrival.item.id,
                actor="test",
            ).id

    def new_item(self, tenant_id: int, data: bytes, service: str = "malform") -> int:
        with self.platform.db.tenant_session(tenant_id) as s:
            return items.ingest(
                s,
                self.platform.blobs,
                tenant_id,
                service=service,
                kind="document",
                data=data,
                filename="y.txt",
                actor="test",
            ).item.id

    def close(self) -> None:
        for c in self._clients:
            c.close()
        self.platform.close()


def _user(
    platform: Platform,
    tenant_id: int | None,
    username: str,
    roles: list[str],
    *,
    password: str | None = None,
    operator: bool = False,
) -> int:
    with platform.db.installation_session() as s:
        u = accounts.create_user(s, username=username, password=password, is_operator=operator, actor="test")
        uid = u.id
    if roles:
        with platform.db.tenant_session(tenant_id) as s:
            u = s.get(User, uid)
            for r in roles:
                accounts.grant_role(s, tenant_id, u, r, actor="test")
    return uid


def _token(platform: Platform, tenant_id: int, user_id: int, name: str) -> tuple[int, str]:
    with platform.db.tenant_session(tenant_id) as s:
        row, secret = accounts.create_token(s, tenant_id, s.get(User, user_id), name, actor="test")
        return row.id, secret


def build_world(platform: Platform) -> World:
    from kommuneki.web.app import create_app

    with platform.db.installation_session() as s:
        a = accounts.create_tenant(s, slug="alfa", name="Alfa kommune", kommunenummer="0101").id
        b = accounts.create_tenant(s, slug="beta", name="Beta kommune", kommunenummer="0202").id
    w = World(platform=platform, app=create_app(platform=platform), a=a, b=b)
    for role in ROLES:
        uid = _user(platform, a, f"{role}-a", [role])
        w.users[role] = uid
        w.tokens[role] = _token(platform, a, uid, f"test {role}")[1]
    uid = _user(platform, None, "ops", [], operator=True)
    w.users["operator"] = uid
    w.tokens["operator"] = _token(platform, a, uid, "operator")[1]
    for name, roles in (("sb-b", ["saksbehandler"]), ("admin-b", ["admin"])):
        uid = _user(platform, b, name, roles)
        w.users[name] = uid
        tid, w.tokens[name] = _token(platform, b, uid, name)
    w.b_objects["token"] = tid
    for tenant_id, docs, objs in ((a, DOCS_A, w.a_objects), (b, DOCS_B, w.b_objects)):
        for fname, text in docs:
            out = analyse_document(platform, tenant_id, text.encode(), filename=fname, actor="test")
            objs.setdefault("suggestion", out["id"])
            objs.setdefault("item", out["item_id"])
        with platform.db.tenant_session(tenant_id) as s:
            objs["unit"] = accounts.create_unit(
                s,
                tenant_id,
                code="byggesak",
                name="Byggesak",
                email=f"byggesak@{tenant_id}.test",
                actor="test",
            ).id
    return w


def _module_platform(request, tmp_path_factory) -> Platform:
    d = tmp_path_factory.mktemp(f"world-{request.param}")
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), d / "kommuneki.db")
        return make_platform(d, f"sqlite:///{d / 'kommuneki.db'}")
    url = request.getfixturevalue("pg_database")
    _truncate_all(url)
    return make_platform(d, url)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def mplatform(request, tmp_path_factory):
    """A platform shared by one module's tests (per backend). Tests keep apart by making their own
    tenant (see :func:`fresh_tenant`): every query and audit chain is per tenant."""
    p = _module_platform(request, tmp_path_factory)
    yield p
    p.close()


_slugs = iter(range(1, 10**6))


def fresh_tenant(platform: Platform) -> int:
    n = next(_slugs)
    with platform.db.installation_session() as s:
        return accounts.create_tenant(s, slug=f"t-{n}", name=f"Testkommune {n}").id


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    w = build_world(_module_platform(request, tmp_path_factory))
    yield w
    w.close()


__all__ = ["world", "mplatform", "fresh_tenant", "World", "build_world", "ROLES", "PASSWORD", "Path"]
