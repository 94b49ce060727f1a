"""Fixtures for the postmottak tests: a real dovecot IMAP server and a real aiosmtpd SMTP server on
loopback (RECIPES.md §3), and small generated messages."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
from tests.conftest import login_client, require

DOVECOT_CONF = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{d}/mail/%u
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/mail/%u
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def imap_server():
    """A throwaway dovecot (one per test: each test gets an empty mailbox). Yields (host, port, user, pw)."""
    require(shutil.which("dovecot") is not None, "dovecot", "apt-get install dovecot-imapd")
    require(os.geteuid() == 0, "root (dovecot's mail processes run as nobody)", "run the tests as root")
    d = tempfile.mkdtemp(prefix="pm-dovecot-")
    os.chmod(d, 0o755)
    os.mkdir(f"{d}/mail")
    nobody = pwd.getpwnam("nobody")
    os.chown(f"{d}/mail", nobody.pw_uid, nobody.pw_gid)
    with open(f"{d}/users", "w") as f:
        f.write("postmottak:{PLAIN}s3cret\n")
    port = free_port()
    with open(f"{d}/dovecot.conf", "w") as f:
        f.write(DOVECOT_CONF.format(d=d, port=port))
    proc = subprocess.Popen(["dovecot", "-F", "-c", f"{d}/dovecot.conf"])
    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("dovecot did not start") from None
            time.sleep(0.02)
    yield ("127.0.0.1", port, "postmottak", "s3cret")
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def smtp_server():
    """aiosmtpd on loopback; yields (port, list of (mail_from, rcpts, content bytes))."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        require(False, "aiosmtpd", "pip install aiosmtpd")

    class Store:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            return "250 Message accepted for delivery"

    store = Store()
    port = free_port()
    ctl = Controller(store, hostname="127.0.0.1", port=port)
    ctl.start()
    yield port, store.messages
    ctl.stop()


@pytest.fixture
def tenant(platform):
    """A tenant with the demo units, without loading the whole demo (fast). Yields (platform, tenant id)."""
    from kommuneki.core import accounts
    from kommuneki.demo import DEMO_UNITS

    with platform.db.installation_session() as s:
        tid = accounts.create_tenant(
            s, slug="pmtest", name="Postmottak test", kommunenummer="9990", actor="test"
        ).id
    with platform.db.tenant_session(tid) as s:
        for code, name, email, desc in DEMO_UNITS:
            accounts.create_unit(s, tid, code=code, name=name, email=email, description=desc, actor="test")
    return platform, tid


@pytest.fixture
def pm_client(tenant):
    """A signed-in TestClient for a user with the given role in the light test tenant (no demo load)."""

    from kommuneki.core import accounts
    from kommuneki.core.models import User
    from kommuneki.web.app import create_app

    platform, tid = tenant
    app = create_app(platform=platform)
    clients = []

    def make(role: str):
        with platform.db.installation_session() as s:
            uid = accounts.create_user(s, username=f"pm-{role}", password="passord-for-test", actor="test").id
        with platform.db.tenant_session(tid) as s:
            accounts.grant_role(s, tid, s.get(User, uid), role, actor="test")
        c = login_client(app, f"pm-{role}", "passord-for-test")
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()
