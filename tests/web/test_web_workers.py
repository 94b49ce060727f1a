"""A shared installation with several web server processes behind one address: `kommuneki serve
--web-workers 2 --no-worker` on PostgreSQL, a Redis broker and a separate `kommuneki worker`, all real
processes. Each client below holds one keep-alive connection, and the test finds out which web process
owns it (from the server side of the connection), so that one step is taken on one process and the next
on the other: a session started on one is valid on the other and ends on both; a CSRF token from one is
accepted by the other; failed logins are counted across them; a job submitted through one is followed
through the other while the worker runs it; the audit chain stays one chain under concurrent writes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from kommuneki.core import accounts
from kommuneki.core.models import User
from tests.conftest import _truncate_all, free_port, make_platform, require

psutil = pytest.importorskip("psutil", reason="pip install psutil (the test extra has it)")

REDIS_URL = os.environ.get("KOMMUNEKI_TEST_REDIS", "redis://127.0.0.1:6379/14")
PASSWORD = "riktig-passord-123"
MAX_FAILURES = 3
TEXT = (
    "Kommunen har motteke søknaden din om tilskot til oppgradering av bustaden. Vi handsamar søknaden så "
    "snart vi kan, og du får svar innan tre veker. "
)


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means: not available
        return False


def _children(pid: int) -> list[int]:
    return [child.pid for child in psutil.Process(pid).children(recursive=True)]


class Installation:
    def __init__(self, base_url: str, port: int, server: subprocess.Popen):
        self.base_url, self.port, self.server = base_url, port, server
        self.clients: list[httpx.Client] = []

    def served_by(self, response: httpx.Response) -> int:
        """The web process that owns the (still open, keep-alive) connection a response came on."""
        client_port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
        for pid in _children(self.server.pid):
            try:
                for conn in psutil.Process(pid).net_connections(kind="tcp"):
                    if conn.laddr.port == self.port and conn.raddr and conn.raddr.port == client_port:
                        return pid
            except psutil.NoSuchProcess:
                continue
        raise AssertionError(f"no web process holds the connection from port {client_port}")

    def client_on_each_process(self, processes: int = 2, attempts: int = 200) -> list[httpx.Client]:
        """One client per web process, each on it by its open keep-alive connection (uvicorn closes an
        idle one after 5 s: the tests check with ``served_by`` where each step really went)."""
        pinned: dict[int, httpx.Client] = {}
        for _ in range(attempts):
            client = httpx.Client(base_url=self.base_url, limits=httpx.Limits(max_connections=1), timeout=60)
            self.clients.append(client)
            pid = self.served_by(client.get("/healthz"))
            if pid in pinned:
                continue  # kept open, so that the next connection is not this one again
            pinned[pid] = client
            if len(pinned) == processes:
                return list(pinned.values())
        pytest.fail(f"{attempts} connections reached only the web processes {sorted(pinned)}")

    def close(self) -> None:
        for client in self.clients:
            client.close()


USERS = ("kari", "ola", "siv", "per")  # one per test: the login-limit test locks its own user out


@pytest.fixture(scope="module")
def installation(pg_database, tmp_path_factory):
    """One installation for the module (starting the processes is what costs); each test signs in as
    its own user."""
    require(_redis_up(), "Redis on 127.0.0.1:6379", "apt install redis-server (or set KOMMUNEKI_TEST_REDIS)")
    _truncate_all(pg_database)
    tmp_path = tmp_path_factory.mktemp("web-workers")
    platform = make_platform(tmp_path, pg_database, task_queue=REDIS_URL)
    platform.task_queue.huey.flush()
    with platform.db.installation_session() as session:
        tenant_id = accounts.create_tenant(session, slug="iks", name="Felles IKS", actor="test").id
        user_ids = [
            accounts.create_user(session, username=name, password=PASSWORD, actor="test").id for name in USERS
        ]
    with platform.db.tenant_session(tenant_id) as session:
        for user_id in user_ids:
            for role in ("admin", "saksbehandler"):
                accounts.grant_role(session, tenant_id, session.get(User, user_id), role, actor="test")
    port = free_port()
    env = {
        **os.environ,
        "KOMMUNEKI_TASK_QUEUE": REDIS_URL,
        "KOMMUNEKI_PORT": str(port),
        "KOMMUNEKI_LOGIN_MAX_FAILURES": str(MAX_FAILURES),
        "KOMMUNEKI_LOG_LEVEL": "WARNING",
    }
    common = [sys.executable, "-m", "kommuneki", "--data-dir", str(tmp_path), "--database-url", pg_database]
    server = subprocess.Popen(
        [*common, "serve", "--no-worker", "--web-workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [*common, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # (a loaded machine takes long to start two Python processes)
    while True:  # both web processes up: two children answer (uvicorn's supervisor is the parent)
        try:
            up = httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            up = False
        if up and len(_children(server.pid)) >= 2:
            break
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(
                "the web server did not start: " + server.stderr.read().decode(errors="replace")[-3000:]
            )
        time.sleep(0.3)
    found = Installation(base_url, port, server)
    found.platform = platform  # type: ignore[attr-defined]
    yield found
    found.close()
    os.killpg(server.pid, signal.SIGINT)
    worker.send_signal(signal.SIGINT)
    for process in (server, worker):
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    with contextlib.suppress(ProcessLookupError):  # a web process the supervisor left behind
        os.killpg(server.pid, signal.SIGKILL)
    said = server.stderr.read().decode(errors="replace")
    server.stderr.close()
    assert "Traceback" not in said, said[-4000:]
    platform.task_queue.huey.flush()
    platform.close()


def _login(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def _take_session(client: httpx.Client, other: httpx.Client, csrf: str | None = None) -> None:
    """The other client carries the same session cookie (the same browser, another web process)."""
    for cookie in other.cookies.jar:
        client.cookies.set(cookie.name, cookie.value)
    if csrf:
        client.headers["X-CSRF-Token"] = csrf


def test_a_session_started_on_one_web_process_is_valid_on_the_other_and_ends_on_both(installation):
    first, second = installation.client_on_each_process()
    signed_in = _login(first, "kari")
    assert signed_in.status_code == 200, signed_in.text
    _take_session(second, first)
    me = second.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["tenant"]["slug"] == "iks"
    assert installation.served_by(me) != installation.served_by(signed_in)
    second.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]
    ended = second.post("/api/v1/auth/logout")
    assert ended.status_code == 200
    after = first.get("/api/v1/me")
    assert after.status_code == 401  # the session ended in the database, for every process
    assert installation.served_by(after) != installation.served_by(ended)


def test_a_csrf_token_from_one_process_is_accepted_by_the_other_and_a_job_is_followed_on_both(installation):
    first, second = installation.client_on_each_process()
    signed_in = _login(first, "ola")
    csrf = signed_in.json()["csrf_token"]
    _take_session(second, first)
    files = [("files", (f"brev-{i}.txt", (TEXT + f"Sak 2026/{i}.").encode(), "text/plain")) for i in range(3)]
    refused = second.post("/api/v1/malform/batches", files=files)
    assert refused.status_code == 403, refused.text  # no CSRF token: refused on the other process too
    second.headers["X-CSRF-Token"] = csrf
    sent = second.post("/api/v1/malform/batches", files=files)
    assert sent.status_code == 202, sent.text
    assert installation.served_by(sent) != installation.served_by(signed_in)
    job_id = sent.json()["job"]["id"]
    deadline = time.monotonic() + 120
    readers = set()
    while True:  # followed alternately through both processes while the worker process runs it
        for client in (first, second):
            job = client.get(f"/api/v1/jobs/{job_id}")
            assert job.status_code == 200, job.text
            readers.add(installation.served_by(job))
        if job.json()["state"] not in ("queued", "running"):
            break
        assert time.monotonic() < deadline, job.json()
        time.sleep(0.3)
    assert job.json()["state"] == "done", job.json()
    assert len(readers) == 2  # both web processes showed the worker's progress
    assert first.get(f"/api/v1/jobs/{job_id}").json() == second.get(f"/api/v1/jobs/{job_id}").json()


def test_failed_logins_are_counted_across_web_processes(installation):
    first, second = installation.client_on_each_process()
    counted_by = set()
    for attempt in range(MAX_FAILURES):
        wrong = _login((first, second)[attempt % 2], "siv", password="feil-passord")
        assert wrong.status_code == 401, wrong.text
        counted_by.add(installation.served_by(wrong))
    assert len(counted_by) == 2
    for client in (first, second):  # the limit holds on both, even with the right password
        refused = _login(client, "siv")
        assert refused.status_code == 429, refused.text
        assert "For mange mislykkede innlogginger" in refused.json()["error"]["message"]


def test_the_audit_chain_stays_one_chain_under_concurrent_writes_from_both_processes(installation):
    clients = installation.client_on_each_process()
    csrf = _login(clients[0], "per").json()["csrf_token"]
    clients[0].headers["X-CSRF-Token"] = csrf
    for client in clients[1:]:
        _take_session(client, clients[0], csrf)
    errors: list[str] = []
    writers: set[int] = set()

    def write(client: httpx.Client, tag: int, n: int) -> None:
        for i in range(n):  # every unit made is an audited write in the tenant's chain
            made = client.post(
                "/api/v1/units",
                json={"code": f"e{tag}-{i}", "name": f"Enhet {tag}-{i}", "email": f"e{tag}{i}@iks.no"},
            )
            if made.status_code != 201:
                errors.append(made.text)
            else:
                writers.add(installation.served_by(made))

    threads = [threading.Thread(target=write, args=(client, tag, 12)) for tag, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors[:3]
    assert len(writers) == 2
    verified = clients[1].get("/api/v1/audit/verify").json()
    assert verified["ok"], verified
    assert verified["entries"] >= 24
    assert len(clients[0].get("/api/v1/units").json()["items"]) == 24
