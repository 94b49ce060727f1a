"""Fairness between tenants on the task queue: tenant B's single documents while tenant A screens a big
batch. One real ``kommuneki worker`` process (one thread; the embedded installation's), SQLite database
and SQLite broker by default (``--postgres URL --broker redis://…`` for a shared installation).

B's latency is a document's arrival (stored and submitted as a one-document screening batch) to its
suggestions being visible (its batch job done). Measured first with the queue idle (the baseline), then
while A's batch of ``--a-docs`` documents (chunks of ``skjerming.BATCH_CHUNK``) is queued and running.
Printed: B's p50/p95 idle and during A's batch, the ratio of the p95s, and A's throughput. The issue's goal
is a p95 ratio ≤ 2 and a p95 under 5 s (at 100,000 documents; here a smaller batch, which keeps the
queue's depth, not its length, the variable: a worker serves B after at most one of A's chunks).

Run:  nice -n 10 .venv/bin/python bench/queue_fairness.py [--a-docs 2000] [--b-docs 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kommuneki.config import Settings  # noqa: E402
from kommuneki.core import accounts, jobs  # noqa: E402
from kommuneki.core.platform import Platform  # noqa: E402
from kommuneki.services.skjerming import service as skjerming  # noqa: E402

LETTER = (
    "Søknad om startlån. Søker Kari Nordmann, fødselsnummer 01017012345, bor i Storgata 1, 0155 Oslo, "
    "telefon 912 34 567. Hun har tidligere hatt sosialhjelp og er under behandling for depresjon. "
)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def one_document(platform: Platform, tenant_id: int, i: int) -> float:
    """B's document: arrival to suggestions visible, in seconds."""
    start = time.perf_counter()
    item = skjerming.store_document(
        platform, tenant_id, (LETTER + f"Sak 2026/{i}.").encode(), filename=f"b{i}.txt", actor="bench"
    )
    job_id = skjerming.submit_batch(platform, tenant_id, [item], actor="bench")
    job = jobs.wait(platform, tenant_id, job_id, timeout=600)
    assert job["state"] == "done", job
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a-docs", type=int, default=2000)
    ap.add_argument("--b-docs", type=int, default=20)
    ap.add_argument("--postgres", default=None, help="a PostgreSQL URL (an empty database)")
    ap.add_argument(
        "--broker", default="sqlite", help="sqlite, redis://…, or postgresql://… (its own database)"
    )
    args = ap.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="kommuneki-fairness-"))
    settings = Settings(data_dir=data_dir, database_url=args.postgres, task_queue=args.broker)
    platform = Platform.from_settings(settings)
    platform.upgrade_db()
    platform.task_queue.huey.flush()
    with platform.db.installation_session() as session:
        a = accounts.create_tenant(session, slug="stor", name="Stor kommune", actor="bench").id
        b = accounts.create_tenant(session, slug="liten", name="Liten kommune", actor="bench").id
    env = {
        **os.environ,
        "KOMMUNEKI_TASK_QUEUE": args.broker,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    cmd = [sys.executable, "-m", "kommuneki", "--data-dir", str(data_dir)]
    if args.postgres:
        cmd += ["--database-url", args.postgres]
    worker = subprocess.Popen([*cmd, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        one_document(platform, b, -1)  # warm-up: the worker's first job loads the detectors
        idle = [one_document(platform, b, i) for i in range(args.b_docs)]

        t0 = time.perf_counter()
        ids = [
            skjerming.store_document(
                platform, a, (LETTER + f"Arkivsak 2019/{i}.").encode(), filename=f"a{i}.txt", actor="bench"
            )
            for i in range(args.a_docs)
        ]
        stored_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        a_batch = skjerming.submit_batch(platform, a, ids, actor="bench")
        busy = []
        while len(busy) < args.b_docs:
            if not jobs.get(platform, a, a_batch)["active"]:
                print(f"(A's batch ended after {len(busy)} of B's documents; raise --a-docs)")
                break
            busy.append(one_document(platform, b, 1000 + len(busy)))
        a_job = jobs.wait(platform, a, a_batch, timeout=3600)
        a_s = time.perf_counter() - t1
    finally:
        worker.terminate()
        worker.wait(30)
        platform.close()

    print(f"broker {args.broker}, database {'PostgreSQL' if args.postgres else 'SQLite'}, one worker thread")
    print(
        f"A: {args.a_docs} documents stored in {stored_s:.1f} s, screened in {a_s:.1f} s "
        f"({args.a_docs / a_s:.1f} documents/s; {a_job['result'].get('chunks')} chunks of "
        f"{skjerming.BATCH_CHUNK}), state {a_job['state']}"
    )
    print(f"B idle:             n={len(idle)} p50 {statistics.median(idle):.3f} s, p95 {p95(idle):.3f} s")
    if busy:
        print(f"B during A's batch: n={len(busy)} p50 {statistics.median(busy):.3f} s, p95 {p95(busy):.3f} s")
        print(f"ratio p95 busy / idle: {p95(busy) / p95(idle):.2f}  (goal ≤ 2, and p95 < 5 s)")
        print(f"ratio p50 busy / idle: {statistics.median(busy) / statistics.median(idle):.2f}")


if __name__ == "__main__":
    main()
