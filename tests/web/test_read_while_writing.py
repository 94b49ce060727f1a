"""Pages that only read answer while a long write transaction runs (a valuation job storing 103,000
dwellings holds SQLite's single write lock for minutes): they read in ``Database.read_session``."""

from __future__ import annotations

import threading
import time

from kommuneki.core.models import Tenant, Unit


def test_pages_answer_while_another_transaction_writes(demo_platform, client_factory):
    platform = demo_platform
    admin = client_factory("admin")  # signing in writes: before the long transaction
    takst = client_factory("takst")
    with platform.db.installation_session() as session:
        tenant_id = session.query(Tenant).filter_by(slug="demo").one().id
    sid = admin.get("/api/v1/suggestions?limit=1").json()["items"][0]["id"]
    pm = admin.get("/postmottak").text
    holding, release = threading.Event(), threading.Event()

    def long_write():
        with platform.db.tenant_session(tenant_id) as session:
            session.add(Unit(code="lang-skriving", name="Lang skriving", email="lang@example.org"))
            session.flush()
            holding.set()
            release.wait(60)

    writer = threading.Thread(target=long_write)
    writer.start()
    assert holding.wait(30)
    try:
        for client, path in (
            (admin, "/"),
            (admin, f"/forslag/{sid}"),
            (admin, "/revisjonslogg"),
            (admin, "/postmottak"),
            (admin, "/skjerming"),
            (admin, "/admin/enheter"),
            (admin, "/modeller"),
            (takst, "/eiendomsskatt"),
            (admin, "/api/v1/suggestions?limit=50"),
        ):
            t0 = time.monotonic()
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            assert time.monotonic() - t0 < 10, f"{path} waited for the writer"
    finally:
        release.set()
        writer.join(30)
    assert "Postmottak" in pm
