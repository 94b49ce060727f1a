"""A national-scale simulation on loopback (issue 15): many tenants on one PostgreSQL installation, N
web server processes behind one address (`kommuneki serve --web-workers N --no-worker`), M queue
workers (`kommuneki worker`) on a Redis broker, e-mail arriving through the postmottak API at a fixed
rate (open loop: a message is sent at its time whether or not the earlier ones are answered), and batch
work on the workers at the same time (a målform batch of archive documents).

Printed: messages per second sustained, p50/p95 from arrival to its suggestions being visible (the API
call triages in the request: its answer carries the suggestions, and a read through the other web
process confirms them), errors, CPU-seconds per message (all server and worker processes together, and
from `/api/v1/usage` per service), the machines that rate would need, extrapolated from those figures,
and the database size per million suggestions, extrapolated from the suggestions this run made.
Baseline, measured in the same run: the p95 of messages sent one at a time before the load starts
(the ratio under load / idle is printed).

Defaults are the issue's: 50 tenants, 9.6 messages/s (10x the 24-hour average of 357 kommuner x 7,000
a month) for 10 minutes, 2 web and 2 queue workers. `--duration 60` for a short run.

Run:  .venv/bin/python bench/national_simulation.py [--tenants 50] [--rate 9.6] [--duration 600]
      [--web-workers 2] [--workers 2] [--batch 400]
Needs PostgreSQL and Redis on 127.0.0.1 (KOMMUNEKI_TEST_POSTGRES, KOMMUNEKI_BENCH_REDIS). Nothing is
asserted.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kommuneki.bootstrap import build_platform  # noqa: E402
from kommuneki.config import Settings  # noqa: E402
from kommuneki.core import accounts  # noqa: E402
from kommuneki.core.models import User  # noqa: E402
from kommuneki.services.postmottak import corpus  # noqa: E402

PG_ADMIN = os.environ.get("KOMMUNEKI_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("KOMMUNEKI_BENCH_REDIS", "redis://127.0.0.1:6379/12")
MALFORM_TEXT = (
    "Kommunen har motteke søknaden din om tilskot til oppgradering av bustaden. Vi handsamar søknaden så "
    "snart vi kan, og du får svar innan tre veker. Ta kontakt med servicetorget dersom du har spørsmål. "
)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed_tenants(platform, n: int) -> list[str]:
    """``n`` tenants, each with a case officer and an API token; returns the tokens."""
    tokens = []
    for i in range(1, n + 1):
        with platform.db.installation_session() as session:
            tenant_id = accounts.create_tenant(
                session, slug=f"k{i:03d}", name=f"Kommune {i}", actor="bench"
            ).id
            user_id = accounts.create_user(session, username=f"sak{i:03d}", password=None, actor="bench").id
        with platform.db.tenant_session(tenant_id) as session:
            user = session.get(User, user_id)
            for role in ("admin", "saksbehandler"):
                accounts.grant_role(session, tenant_id, user, role, actor="bench")
            tokens.append(accounts.create_token(session, tenant_id, user, "simulering", actor="bench")[1])
    return tokens


def tree_cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            process = psutil.Process(pid)
            for member in [process, *process.children(recursive=True)]:
                times = member.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tenants", type=int, default=50)
    ap.add_argument("--rate", type=float, default=9.6, help="messages per second")
    ap.add_argument("--duration", type=float, default=600, help="seconds of load")
    ap.add_argument("--web-workers", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=400, help="documents in the målform batch (0: none)")
    ap.add_argument("--idle", type=int, default=20, help="messages sent one at a time for the baseline")
    ap.add_argument(
        "--screening",
        type=int,
        default=400,
        help="letters in the archive screening batch (skjerming; 0: none)",
    )
    ap.add_argument(
        "--valuation", type=int, default=20000, help="dwellings in the valuation run (eiendomsskatt; 0: none)"
    )
    ap.add_argument(
        "--side-wait",
        type=float,
        default=300,
        help="seconds to wait after the load for the batch work to end",
    )
    args = ap.parse_args()

    name = f"kommuneki_sim_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    data_dir = Path(tempfile.mkdtemp(prefix="kommuneki-sim-"))
    processes: list[subprocess.Popen] = []
    try:
        settings = Settings(data_dir=data_dir, database_url=url, task_queue=REDIS_URL)
        platform = build_platform(settings)
        platform.upgrade_db()
        platform.task_queue.huey.flush()
        t0 = time.perf_counter()
        tokens = seed_tenants(platform, args.tenants)
        print(f"{args.tenants} tenants made in {time.perf_counter() - t0:.1f} s")
        n_messages = int(args.rate * args.duration)
        warm_total = 4 * args.web_workers
        messages = [
            m.raw for m in corpus.generate(n_messages + args.idle + warm_total, split="heldout", seed=4242)
        ]

        port = free_port()
        env = {**os.environ, "KOMMUNEKI_TASK_QUEUE": REDIS_URL, "KOMMUNEKI_LOG_LEVEL": "WARNING"}
        common = [sys.executable, "-m", "kommuneki", "--data-dir", str(data_dir), "--database-url", url]
        processes.append(
            subprocess.Popen(
                [
                    *common,
                    "serve",
                    "--no-worker",
                    "--web-workers",
                    str(args.web_workers),
                    "--port",
                    str(port),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        for _ in range(args.workers):
            processes.append(subprocess.Popen([*common, "worker"], env=env, stdout=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        want_children = args.web_workers if args.web_workers > 1 else 0
        while len(psutil.Process(processes[0].pid).children()) < want_children or not _healthy(base):
            if time.monotonic() > deadline or processes[0].poll() is not None:
                raise SystemExit("the web server did not start")
            time.sleep(0.5)

        def post(i: int) -> tuple[float, bool, str]:
            token = tokens[i % len(tokens)]
            headers = {"Authorization": f"Bearer {token}"}
            started = time.perf_counter()
            try:
                with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
                    answer = client.post(
                        "/api/v1/postmottak/messages",
                        files={"file": (f"melding-{i}.eml", messages[i], "message/rfc822")},
                    )
                    if answer.status_code != 201:
                        return (
                            time.perf_counter() - started,
                            False,
                            f"{answer.status_code} {answer.text[:120]}",
                        )
                    pm_id = answer.json()["id"]
                    seen = client.get(f"/api/v1/postmottak/messages/{pm_id}")
                    ok = seen.status_code == 200 and bool(seen.json().get("suggestions"))
                    return time.perf_counter() - started, ok, "" if ok else f"not visible: {seen.text[:120]}"
            except httpx.HTTPError as exc:
                return time.perf_counter() - started, False, repr(exc)

        warm = 4 * args.web_workers  # each web process loads the postmottak model on its first message
        for i in range(warm):
            post(i)
        idle = [post(warm + i) for i in range(args.idle)]
        idle_p95 = percentile([seconds for seconds, ok, _ in idle if ok], 0.95)
        print(f"idle: {args.idle} messages one at a time, p95 {idle_p95 * 1000:.0f} ms")

        if args.batch:
            files = [
                ("files", (f"arkiv-{i}.txt", (MALFORM_TEXT + f"Sak 2026/{i}.").encode(), "text/plain"))
                for i in range(args.batch)
            ]
            sent = httpx.post(
                f"{base}/api/v1/malform/batches",
                files=files,
                headers={"Authorization": f"Bearer {tokens[0]}"},
                timeout=300,
            )
            batch_job = sent.json()["job"]["id"] if sent.status_code == 202 else None
            print(f"batch of {args.batch} documents submitted: {sent.status_code}")
        else:
            batch_job = None
        # tenants are made in order on a fresh database: the first three get the batch work
        side_jobs = {"malform": (1, batch_job)}
        if args.screening:
            screening_tenant = 2 if args.tenants >= 2 else 1
            job = _submit_screening(base, tokens[screening_tenant - 1], args.screening)
            side_jobs["skjerming"] = (screening_tenant, job)
        if args.valuation:
            valuation_tenant = 3 if args.tenants >= 3 else 1
            side_jobs["eiendomsskatt"] = (
                valuation_tenant,
                _submit_valuation(platform, valuation_tenant, args.valuation),
            )

        pids = [p.pid for p in processes]
        cpu_before = tree_cpu_seconds(pids)
        size_before, suggestions_before = _db_size(admin, name), _suggestions(url)
        results: list[tuple[float, bool, str]] = []
        lock = threading.Lock()
        start = time.perf_counter()

        def timed(i: int) -> None:
            delay = start + (i - first) / args.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            outcome = post(i)
            with lock:
                results.append(outcome)

        first = warm + args.idle
        with ThreadPoolExecutor(max_workers=64) as pool:
            list(pool.map(timed, range(first, first + n_messages)))
        elapsed = time.perf_counter() - start
        cpu = tree_cpu_seconds(pids) - cpu_before
        size_after, suggestions_after = _db_size(admin, name), _suggestions(url)

        ok_latencies = [seconds for seconds, ok, _ in results if ok]
        errors = [why for _, ok, why in results if not ok]
        p95 = percentile(ok_latencies, 0.95)
        print(
            f"\n{len(results)} messages over {elapsed:.1f} s to {args.tenants} tenants "
            f"({args.web_workers} web, {args.workers} queue workers)"
        )
        print(f"sustained: {len(ok_latencies) / elapsed:.2f} messages/s (offered {args.rate})")
        print(
            f"arrival → suggestions visible: p50 {percentile(ok_latencies, 0.5) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms; ratio to idle p95 {p95 / idle_p95:.2f}"
        )
        print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
        per_message = cpu / max(1, len(results))
        print(
            f"CPU: {cpu:.1f} s for all processes, {per_message:.3f} CPU-s per message (batch work included)"
        )
        cores = args.rate * per_message
        print(
            f"machines for {args.rate} messages/s at this CPU cost: {cores:.2f} cores busy, i.e. "
            f"{cores / 2:.2f} machines of 2 cores at full load, {cores / 2 / 0.5:.2f} at 50 % load"
        )

        usage = {}
        with httpx.Client(base_url=base, timeout=60) as client:
            for token in tokens:
                rows = client.get("/api/v1/usage", headers={"Authorization": f"Bearer {token}"}).json()
                for row in rows["items"]:
                    n, seconds = usage.get(row["service"], (0, 0.0))
                    usage[row["service"]] = (n + row["suggestions"], seconds + row["cpu_seconds"])
        for service, (n, seconds) in sorted(usage.items()):
            print(f"/api/v1/usage {service}: {n} suggestions, {seconds / max(1, n) * 1000:.1f} ms CPU each")
        _report_side_jobs(platform, side_jobs, args.side_wait)
        grown, made = size_after - size_before, max(1, suggestions_after - suggestions_before)
        print(
            f"database: {size_after / 1e6:.1f} MB; grew {grown / 1e6:.1f} MB during the load with {made} "
            f"suggestions: ≈ {grown / made * 1e6 / 1e9:.1f} GB per million suggestions with their messages, "
            "items and audit entries (blobs are files outside the database)"
        )
        platform.close()
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        try:
            os.killpg(processes[0].pid, signal.SIGKILL)
        except (ProcessLookupError, IndexError):
            pass
        with admin.connect() as conn:
            conn.execute(
                text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _submit_screening(base: str, token: str, n: int) -> int | None:
    """An archive screening beside the load: ``n`` one-page letters with names and identifiers
    (bench/skjerming_speed.py's generator) sent as one skjerming batch to the second tenant."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from skjerming_speed import make_letters

    files = [
        ("files", (f"brev-{i}.txt", text.encode(), "text/plain")) for i, text in enumerate(make_letters(n, 7))
    ]
    sent = httpx.post(
        f"{base}/api/v1/skjerming/batches",
        files=files,
        headers={"Authorization": f"Bearer {token}"},
        timeout=600,
    )
    print(f"screening batch of {n} letters submitted: {sent.status_code}")
    return sent.json()["job_id"] if sent.status_code == 202 else None


def _submit_valuation(platform, tenant_id: int, n: int) -> int:
    """A valuation run beside the load: ``n`` generated dwellings (and as many sales) stored for the
    third tenant and valued on the queue workers, as the page's «Verdsett boligene» does."""
    import json as json_module

    from kommuneki.core import tasks
    from kommuneki.services.eiendomsskatt import service as valuation
    from kommuneki.services.eiendomsskatt.engine import demo as valuation_demo

    sales, dwellings = valuation_demo.generate(n_dwellings=n, n_sales=n, seed=3)
    valuation.set_settings(
        platform,
        tenant_id,
        {"promille": 2.0, "bunnfradrag": 200_000, "valuation_date": "2025-01-01", "exemptions": {}},
        actor="bench",
    )
    mapping = json_module.loads(json_module.dumps(valuation_demo.DEMO_MAPPING))
    sales_id, _ = valuation.store_files(
        platform,
        tenant_id,
        sales=valuation_demo.to_csv_bytes(sales),
        sales_name="salg.csv",
        dwellings=valuation_demo.to_csv_bytes(dwellings),
        dwellings_name="boliger.csv",
        actor="bench",
        mapping=mapping,
    )
    job_id = tasks.submit(
        platform,
        tenant_id,
        valuation.VALUATION_TASK,
        {"sales_item_id": sales_id, "mapping": mapping, "actor": "bench"},
        actor="bench",
    )
    print(f"valuation of {n} dwellings submitted (job {job_id})")
    return job_id


def _report_side_jobs(platform, side_jobs: dict, wait_s: float) -> None:
    """The batch work's state once it has ended (or ``wait_s`` after the load), and the time each took."""
    from kommuneki.core.models import Job

    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        running = 0
        for tenant_id, job_id in side_jobs.values():
            if job_id is not None:
                with platform.db.tenant_session(tenant_id) as session:
                    running += session.get(Job, job_id).finished_at is None
        if not running:
            break
        time.sleep(5)
    for service, (tenant_id, job_id) in side_jobs.items():
        if job_id is None:
            continue
        with platform.db.tenant_session(tenant_id) as session:
            job = session.get(Job, job_id)
            took = ""
            if job.finished_at and (job.started_at or job.created_at):
                took = f", {(job.finished_at - (job.started_at or job.created_at)).total_seconds():.0f} s"
            print(f"{service} batch job {job_id}: {job.state}{took} ({job.message or ''})")


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _suggestions(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM suggestion")).scalar())
    engine.dispose()
    return count


def _db_size(admin, name: str) -> int:
    with admin.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(:n)"), {"n": name}).scalar())


if __name__ == "__main__":
    main()
