"""Where one review-queue request spends its time, in process (no sockets, no second process).

Builds a tenant with N pending suggestions (SQLite file by default; ``--postgres URL`` for a fresh
PostgreSQL database), then times, each as the median of many repetitions:

* a whole ASGI request to ``/healthz`` and to ``/api/v1/suggestions?limit=50`` (the app called directly
  through httpx's ASGI transport, API token in the header) → the in-process ratio;
* the parts of the listing request on their own: the token lookup (``principal_for_token`` in the
  session the web layer uses), the listing query (``queue_listing``: page and count) and encoding the
  response body.

``--cprofile`` also prints the top functions of the listing's synchronous work (cProfile sees one thread,
so the parts are profiled as plain calls, not through the thread pool).

Run:  .venv/bin/python bench/queue_profile.py [--suggestions 10000] [--postgres URL] [--cprofile]
Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from fastapi.responses import JSONResponse
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kommuneki.config import Settings  # noqa: E402
from kommuneki.core import accounts, suggestions  # noqa: E402
from kommuneki.core.models import User  # noqa: E402
from kommuneki.core.platform import Platform  # noqa: E402
from kommuneki.services.malform import engine as malform  # noqa: E402
from kommuneki.web.app import create_app  # noqa: E402
from kommuneki.web.scope import queue_scope  # noqa: E402

TEXTS = [
    "Jeg lurer på når veien blir brøytet.",
    "Eg lurer på kva tid vegen blir brøyta.",
    "When will the road be cleared?",
    "Søknad om byggetillatelse for garasje.",
]
QUEUE = "/api/v1/suggestions?limit=50"


def seed(platform: Platform, n: int) -> tuple[int, str]:
    with platform.db.installation_session() as s:
        t = accounts.create_tenant(s, slug="prof", name="Profil kommune", kommunenummer="9996")
        u = accounts.create_user(s, username="prof", password="prof-passord-1", full_name="Prof")
    with platform.db.tenant_session(t.id) as s:
        accounts.grant_role(s, t.id, s.get(User, u.id), "saksbehandler", actor="bench")
        _, token = accounts.create_token(s, t.id, s.get(User, u.id), "prof", actor="bench")
    proposals = [malform.suggest_malform(x) for x in TEXTS]
    start = time.perf_counter()
    for chunk in range(0, n, 1000):
        with platform.db.tenant_session(t.id) as s:
            suggestions.suggest_many(
                s,
                platform.registry,
                t.id,
                "malform",
                [(proposals[i % len(proposals)], None) for i in range(chunk, min(n, chunk + 1000))],
                actor="bench",
            )
    print(f"  seeded {n} suggestions in {time.perf_counter() - start:.1f} s")
    return t.id, token


def median_ms(fn, reps: int) -> float:
    fn()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out)


async def asgi_ms(app, token: str, path: str, reps: int) -> float:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as c:
        (await c.get(path)).raise_for_status()
        out = []
        for _ in range(reps):
            t0 = time.perf_counter()
            (await c.get(path)).raise_for_status()
            out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out)


def run(platform: Platform, args) -> None:
    platform.upgrade_db()
    tenant_id, token = seed(platform, args.suggestions)
    app = create_app(platform)
    reps = args.reps
    health = asyncio.run(asgi_ms(app, token, "/healthz", reps))
    queue = asyncio.run(asgi_ms(app, token, QUEUE, reps))
    print(f"  whole request: /healthz {health:.2f} ms, queue {queue:.2f} ms → ratio {health / queue:.2f}")

    def lookup():
        if hasattr(accounts, "authenticate_token"):  # this branch
            return accounts.authenticate_token(platform.db, token, policy=platform.policy)
        with platform.db.installation_session(unscoped=True) as s:  # the starting commit (for a pair)
            return accounts.principal_for_token(s, token, policy=platform.policy)

    principal = lookup()
    f = suggestions.QueueFilter(limit=50)

    def listing():
        with platform.db.read_session(tenant_id) as s:
            return suggestions.queue_listing(s, f, **queue_scope(platform, principal))

    rows, total = listing()

    def encode():
        return JSONResponse({"total": total, "limit": 50, "offset": 0, "items": rows}).body

    def count():
        with platform.db.read_session(tenant_id) as s:
            scope = queue_scope(platform, principal)
            base = suggestions._queue_statement(f, scope["services"], scope["excluded_kinds"], scope["units"])
            return suggestions._queue_total(s, base)

    parts = {
        "token lookup": lookup,
        "count alone (own session)": count,
        "listing as dicts (queue_listing: page + count)": listing,
        "encoding those dicts (JSONResponse)": encode,
    }
    if hasattr(suggestions, "queue_listing_body"):  # this branch

        def body():
            with platform.db.read_session(tenant_id) as s:
                return suggestions.queue_listing_body(s, f, **queue_scope(platform, principal))

        assert json.loads(body()) == json.loads(encode())
        parts["listing as JSON bytes (queue_listing_body: page + count + encoding)"] = body
    for name, fn in parts.items():
        print(f"  {name}: {median_ms(fn, reps):.2f} ms")
    print(f"  (body {len(encode())} bytes)")
    if args.cprofile:
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(reps):
            lookup()
            if hasattr(suggestions, "queue_listing_body"):
                body()
            else:
                listing()
                encode()
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--suggestions", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--postgres", help="admin URL; a fresh database is created and dropped")
    ap.add_argument("--cprofile", action="store_true")
    args = ap.parse_args()
    d = Path(tempfile.mkdtemp(prefix="kprof-"))
    if not args.postgres:
        print("== SQLite")
        p = Platform.from_settings(Settings(data_dir=d, log_level="WARNING"))
        try:
            run(p, args)
        finally:
            p.close()
            shutil.rmtree(d, ignore_errors=True)
        return
    name = f"kommuneki_prof_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    print("== PostgreSQL")
    url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
    p = Platform.from_settings(Settings(data_dir=d, log_level="WARNING", database_url=url))
    try:
        run(p, args)
    finally:
        p.close()
        shutil.rmtree(d, ignore_errors=True)
        with admin.connect() as conn:
            conn.execute(
                text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


if __name__ == "__main__":
    main()
