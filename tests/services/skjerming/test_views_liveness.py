"""The server stays alive during a large screening and redaction: the skjerming routes do their
database and CPU work off the event loop, so /healthz answers while a redaction is still running (a
liveness check: the answer must come while the other request is in progress, whatever the speed)."""

from __future__ import annotations

import threading
import time

import httpx
from sqlalchemy import select
from tests.conftest import make_platform, serve_in_thread

PASSWORD = "liveness-test-passord"
FNR = "26078704828"


def test_healthz_answers_during_a_large_redaction(tmp_path):
    from kommuneki.core import accounts
    from kommuneki.core.models import Item, User

    platform = make_platform(tmp_path)
    platform.upgrade_db()
    with platform.db.installation_session() as s:
        tenant_id = accounts.create_tenant(s, slug="liv", name="Liv kommune", actor="test").id
        user = accounts.create_user(
            s,
            username="arkivar",
            password=PASSWORD,
            full_name="Arne Arkivar",
            email="a@example.test",
            actor="test",
            via="test",
        )
        user_id = user.id
    with platform.db.tenant_session(tenant_id) as s:
        accounts.grant_role(s, tenant_id, s.get(User, user_id), "arkivar", actor="test")
    # about 450 KB of letters, each with a fødselsnummer: seconds of detection, redaction and verification
    # even on a fast machine, so that the probe below is sent while the redaction is still running
    letter = (
        f"Søknad fra klient med fødselsnummer {FNR} om støtte til bolig. " + "Saken gjelder tiltak. " * 30
    )
    big = ("\n\n".join(letter for _ in range(600))).encode("utf-8")
    with serve_in_thread(platform) as base, httpx.Client(base_url=base, timeout=600) as client:
        r = client.post("/api/v1/auth/login", json={"username": "arkivar", "password": PASSWORD})
        assert r.status_code == 200, r.text
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        outcome = {}

        def redact() -> None:
            resp = client.post("/api/v1/skjerming/redact", files={"file": ("stor.txt", big, "text/plain")})
            outcome["status"] = resp.status_code
            outcome["body"] = resp.content

        worker = threading.Thread(target=redact)
        worker.start()
        # wait until the upload is stored: from then on the request is doing its heavy work
        deadline = time.monotonic() + 300
        stored = False
        while not stored and worker.is_alive() and time.monotonic() < deadline:
            with platform.db.read_session(tenant_id) as s:
                stored = s.scalar(select(Item.id).where(Item.filename == "stor.txt")) is not None
            time.sleep(0.02)
        assert stored, outcome
        with httpx.Client(base_url=base, timeout=600) as probe:
            health = probe.get("/healthz")
        still_running = worker.is_alive()
        worker.join()
        assert health.status_code == 200
        assert still_running, "the redaction was over before /healthz answered: the event loop was blocked"
        assert outcome["status"] == 200 and FNR.encode() not in outcome["body"]
    platform.close()
