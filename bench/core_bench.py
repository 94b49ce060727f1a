"""Foundation benchmark: the review queue, deciding, and verifying the audit chain.

For each database (SQLite file; PostgreSQL when reachable) it builds a tenant with 10,000 pending
suggestions (through the real ``suggest`` path, audit entries included), starts the real web server
(uvicorn, one worker, in a subprocess) and measures over HTTP with an API token:

* requests per second listing the queue (first page of 50, and a filtered page), sequential client;
  baseline: ``/healthz`` on the same server (the framework floor);
* p50/p95 latency of deciding one suggestion (``POST .../decision``, audit entry included);
  baseline: p95 of reading one suggestion;
* ``audit verify`` time for a chain of 100,000 entries; baseline: hashing the same entries' canonical
  bytes with SHA-256 alone (the floor any verifier must pay).

Run:  .venv/bin/python bench/core_bench.py [--suggestions 10000] [--entries 100000] [--skip-postgres]
Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kommuneki.config import Settings  # noqa: E402
from kommuneki.core import accounts, audit, suggestions  # noqa: E402
from kommuneki.core.models import AuditEntry, User  # noqa: E402
from kommuneki.core.platform import Platform  # noqa: E402
from kommuneki.services.malform import engine as malform  # noqa: E402

PG_ADMIN = os.environ.get("KOMMUNEKI_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TEXTS = [
    "Jeg lurer på når veien blir brøytet.",
    "Eg lurer på kva tid vegen blir brøyta.",
    "When will the road be cleared?",
    "Søknad om byggetillatelse for garasje.",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(platform: Platform, n: int) -> tuple[int, str]:
    with platform.db.installation_session() as s:
        t = accounts.create_tenant(s, slug="bench", name="Benchmark kommune", kommunenummer="9997")
        u = accounts.create_user(s, username="bench", password="bench-passord", full_name="Bench")
    with platform.db.tenant_session(t.id) as s:
        accounts.grant_role(s, t.id, s.get(User, u.id), "saksbehandler", actor="bench")
        _, token = accounts.create_token(s, t.id, s.get(User, u.id), "bench", actor="bench")
    proposals = [malform.suggest_malform(x) for x in TEXTS]
    start = time.perf_counter()
    for chunk in range(0, n, 500):
        with platform.db.tenant_session(t.id) as s:
            for i in range(chunk, min(n, chunk + 500)):
                suggestions.suggest(
                    s, platform.registry, t.id, "malform", proposals[i % len(proposals)], actor="bench"
                )
    print(f"  seeded {n} suggestions in {time.perf_counter() - start:.1f} s")
    return t.id, token


def start_server(data_dir: Path, db_url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "KOMMUNEKI_DATA_DIR": str(data_dir),
        "KOMMUNEKI_DATABASE_URL": db_url,
        "KOMMUNEKI_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "kommuneki", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(proc.stderr.read().decode())


def rps(client: httpx.Client, url: str, seconds: float = 4.0) -> float:
    client.get(url).raise_for_status()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        client.get(url).raise_for_status()
        n += 1
    return n / (time.perf_counter() - start)


def latencies(fn, ids) -> list[float]:
    out = []
    for i in ids:
        t0 = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[18]


def bench_http(platform: Platform, data_dir: Path, db_url: str, n: int) -> dict:
    _, token = seed(platform, n)
    proc, base = start_server(data_dir, db_url)
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
            floor = rps(c, "/healthz")
            queue = rps(c, "/api/v1/suggestions?limit=50")
            filtered = rps(
                c, "/api/v1/suggestions?limit=50&min_confidence=0.7&kind=malform&older_than_hours=0"
            )
            ids = [s["id"] for s in c.get("/api/v1/suggestions?limit=300").json()["items"]]
            reads = latencies(lambda i: c.get(f"/api/v1/suggestions/{i}").raise_for_status(), ids[:300])
            decides = latencies(
                lambda i: c.post(
                    f"/api/v1/suggestions/{i}/decision", json={"outcome": "accepted"}
                ).raise_for_status(),
                ids[:300],
            )
    finally:
        proc.terminate()
        proc.wait(10)
    return {
        "healthz_rps": floor,
        "queue_rps": queue,
        "queue_filtered_rps": filtered,
        "read_p95_ms": p95(reads),
        "decide_p50_ms": statistics.median(decides),
        "decide_p95_ms": p95(decides),
    }


def bench_verify(platform: Platform, entries: int) -> dict:
    with platform.db.installation_session() as s:
        t = accounts.create_tenant(s, slug="verify", name="Verify kommune")
    start = time.perf_counter()
    per_tx = 2000
    for chunk in range(0, entries - 1, per_tx):
        with platform.db.tenant_session(t.id) as s:
            for i in range(chunk, min(entries - 1, chunk + per_tx)):
                audit.record(
                    s, t.id, "suggestion.superseded", actor="bench", subject=("suggestion", i), by=i + 1
                )
    print(f"  wrote {entries} audit entries in {time.perf_counter() - start:.1f} s")
    chain = audit.chain_for(t.id)
    with platform.db.installation_session() as s:
        t0 = time.perf_counter()
        result = audit.verify_chain(s, chain, platform.settings.checkpoint_dir)
        verify_s = time.perf_counter() - t0
        assert result.ok and result.entries == entries, result
        rows = [
            audit.canonical_json(audit._hashed_fields(e))
            for e in s.scalars(select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq))
        ]
    t0 = time.perf_counter()
    prev = audit.GENESIS
    for r in rows:
        prev = hashlib.sha256((prev + "\n" + r).encode()).hexdigest()
    floor_s = time.perf_counter() - t0
    return {"verify_s": verify_s, "hash_floor_s": floor_s, "entries": entries}


def run(label: str, platform: Platform, data_dir: Path, db_url: str, args) -> None:
    print(f"\n== {label}")
    platform.upgrade_db()
    h = bench_http(platform, data_dir, db_url, args.suggestions)
    print(
        f"  queue listing: {h['queue_rps']:.0f} req/s (filtered {h['queue_filtered_rps']:.0f} req/s); "
        f"baseline /healthz {h['healthz_rps']:.0f} req/s → ratio {h['queue_rps'] / h['healthz_rps']:.2f}"
    )
    print(
        f"  decide: p50 {h['decide_p50_ms']:.1f} ms, p95 {h['decide_p95_ms']:.1f} ms; baseline read p95 "
        f"{h['read_p95_ms']:.1f} ms → ratio {h['decide_p95_ms'] / h['read_p95_ms']:.2f}"
    )
    v = bench_verify(platform, args.entries)
    print(
        f"  audit verify {v['entries']} entries: {v['verify_s']:.2f} s; baseline SHA-256 alone "
        f"{v['hash_floor_s']:.2f} s → ratio {v['verify_s'] / v['hash_floor_s']:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--suggestions", type=int, default=10_000)
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    print(f"kommuneki foundation benchmark — {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    d = Path(tempfile.mkdtemp(prefix="kbench-sqlite-"))
    p = Platform.from_settings(Settings(data_dir=d))
    try:
        run("SQLite", p, d, p.db.url, args)
    finally:
        p.close()
        shutil.rmtree(d, ignore_errors=True)
    if args.skip_postgres:
        return
    name = f"kommuneki_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        print(f"\n== PostgreSQL: not reachable at {PG_ADMIN} ({str(exc).splitlines()[0]}); skipped")
        return
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    d = Path(tempfile.mkdtemp(prefix="kbench-pg-"))
    p = Platform.from_settings(Settings(data_dir=d, database_url=url))
    try:
        run("PostgreSQL", p, d, url, args)
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
