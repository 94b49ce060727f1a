"""Login timing: does the time a failed login takes tell whether the user exists?

Starts the real web server (uvicorn, one worker, in a subprocess) over a fresh SQLite data folder with
one tenant and one password user, and times ``POST /api/v1/auth/login`` over HTTP on loopback,
interleaving three kinds of attempt so that machine load hits each alike:

* known user, wrong password (the baseline);
* unknown user (any password);
* known user, right password (for reference: it also opens a session).

Prints the median of each and the ratio unknown / known-wrong (goal: within 10 %, i.e. 0.90–1.10;
issue 12 measured 4.5 ms against 319 ms before the dummy Argon2 verification). The rate limits are
raised for the run so that no attempt is refused. Nothing is asserted.

Run:  .venv/bin/python bench/login_timing.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kommuneki.config import Settings  # noqa: E402
from kommuneki.core import accounts  # noqa: E402
from kommuneki.core.models import User  # noqa: E402
from kommuneki.core.platform import Platform  # noqa: E402

PASSWORD = "riktig-passord-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(data_dir: Path) -> None:
    platform = Platform.from_settings(Settings(data_dir=data_dir))
    platform.upgrade_db()
    with platform.db.installation_session() as s:
        tenant = accounts.create_tenant(s, slug="bench", name="Benchkommune")
        user = accounts.create_user(s, username="kjent", password=PASSWORD, actor="bench")
        tenant_id, user_id = tenant.id, user.id
    with platform.db.tenant_session(tenant_id) as s:
        accounts.grant_role(s, tenant_id, s.get(User, user_id), "saksbehandler", actor="bench")
    platform.close()


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "KOMMUNEKI_DATA_DIR": str(data_dir),
        "KOMMUNEKI_LOG_LEVEL": "WARNING",
        "KOMMUNEKI_LOGIN_MAX_FAILURES": "1000000",
        "KOMMUNEKI_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "kommuneki", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(proc.stderr.read().decode())


def timed_login(url: str, username: str, password: str, expected: int) -> float:
    with httpx.Client() as client:  # a fresh client: no cookie carried between attempts
        start = time.perf_counter()
        r = client.post(url + "/api/v1/auth/login", json={"username": username, "password": password})
        elapsed = time.perf_counter() - start
    if r.status_code != expected:
        raise RuntimeError(f"{username}: expected {expected}, got {r.status_code} {r.text[:200]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="kommuneki-login-bench-"))
    try:
        seed(data)
        proc, url = start_server(data)
        try:
            timed_login(url, "kjent", "feil-passord", 401)  # warm-up (and the dummy hash made once)
            timed_login(url, "ukjent-0", "feil-passord", 401)
            known, unknown, success = [], [], []
            for i in range(args.rounds):
                known.append(timed_login(url, "kjent", f"feil-passord-{i}", 401))
                unknown.append(timed_login(url, f"ukjent-{i}", f"feil-passord-{i}", 401))
                success.append(timed_login(url, "kjent", PASSWORD, 200))
        finally:
            proc.terminate()
            proc.wait(10)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    median_known, median_unknown = statistics.median(known), statistics.median(unknown)
    print(f"login timing over HTTP, SQLite, {args.rounds} rounds (interleaved)")
    print(f"  known user, wrong password (baseline): median {median_known * 1000:7.1f} ms")
    print(f"  unknown user:                          median {median_unknown * 1000:7.1f} ms")
    print(f"  known user, right password:            median {statistics.median(success) * 1000:7.1f} ms")
    print(f"  ratio unknown / known-wrong: {median_unknown / median_known:.3f} (goal 0.90-1.10)")


if __name__ == "__main__":
    main()
