"""Tale's pages and routes on a real app: upload without JavaScript → job page → review → approve; the
recording page's header relaxation; and every route that could show a recording, per role (only the
recorder and the named colleague read it — helsepersonelloven § 21)."""

from __future__ import annotations

import re

import pytest
from tests.conftest import login_client

from kommuneki.core import accounts, jobs
from kommuneki.core.models import User
from kommuneki.services.tale import ROLE, service

PASSWORD = "Tale-test-passord-1"
PEOPLE = {
    "sykepleier": ROLE,
    "kollega": ROLE,
    "annen": ROLE,
    "leder": "leder",
    "admin": "admin",
    "personvernombud": "personvernombud",
}


@pytest.fixture
def site(platform, transcriber):
    from kommuneki.web.app import create_app

    platform.upgrade_db()
    with platform.db.installation_session() as session:
        tenant_id = accounts.create_tenant(session, slug="tw", name="Tale web", kommunenummer="0406").id
    ids = {}
    for name, role in PEOPLE.items():
        with platform.db.installation_session() as session:
            ids[name] = accounts.create_user(session, username=name, password=PASSWORD, actor="test").id
        with platform.db.tenant_session(tenant_id) as session:
            accounts.grant_role(session, tenant_id, session.get(User, ids[name]), role, actor="test")
    service.set_settings(platform, tenant_id, {"model_dir": str(transcriber.model.path)})
    app = create_app(platform=platform)
    clients = {name: login_client(app, name, PASSWORD) for name in PEOPLE}
    yield platform, tenant_id, ids, clients
    for c in clients.values():
        c.close()


def _csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def test_upload_review_approve_and_who_may_read(site, speech):
    platform, tenant_id, ids, clients = site
    nurse = clients["sykepleier"]
    home = nurse.get("/tale")
    assert home.status_code == 200 and "Last opp lydfil" in home.text
    r = nurse.post(
        "/tale/opptak",
        data={"csrf_token": _csrf(nurse, "/tale"), "grunnlag": "dokumentasjonsplikt"},
        files={"lyd": ("diktat.mp3", (speech / "norwegian-short-3s.mp3").read_bytes(), "audio/mpeg")},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/jobber/")
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    job = jobs.wait(platform, tenant_id, job_id, timeout=300)
    assert job["state"] == "done", job
    item_id = job["result"]["item_id"]
    suggestion_id = job["result"]["suggestion_id"]
    page = nurse.get(f"/tale/opptak/{item_id}")
    assert (
        page.status_code == 200
        and "Godkjenn notatet" in page.text
        and 'name="seksjon:Observasjon"' in page.text
    )
    assert "<mark" in page.text or "Kontroller" in page.text or "usikre" in page.text.lower()

    routes = [
        f"/tale/opptak/{item_id}",
        f"/tale/opptak/{item_id}/lyd",
        f"/api/v1/tale/recordings/{item_id}",
        f"/api/v1/items/{item_id}",
        f"/api/v1/items/{item_id}/content",
        f"/api/v1/suggestions/{suggestion_id}",
        f"/forslag/{suggestion_id}",
    ]

    def readable(who: str) -> list[str]:
        return [p for p in routes if clients[who].get(p).status_code == 200]

    assert readable("sykepleier") == routes
    for who in ("kollega", "annen", "leder", "admin", "personvernombud"):
        assert readable(who) == [], who
        queue = clients[who].get("/api/v1/suggestions")
        assert (
            str(suggestion_id) not in [str(s["id"]) for s in queue.json().get("items", [])]
            if queue.status_code == 200
            else True
        )
    refused = nurse.post(
        f"/tale/opptak/{item_id}/kollega",
        data={"csrf_token": _csrf(nurse, f"/tale/opptak/{item_id}"), "brukernavn": "leder"},
    )
    assert "Fant ingen kollega" in refused.text  # leder does not use the service: not a colleague here
    nurse.post(
        f"/tale/opptak/{item_id}/kollega",
        data={"csrf_token": _csrf(nurse, f"/tale/opptak/{item_id}"), "brukernavn": "kollega"},
    )

    assert f"/tale/opptak/{item_id}" in readable("kollega")
    assert readable("annen") == []

    r = nurse.post(
        f"/tale/opptak/{item_id}/godkjenn",
        data={
            "csrf_token": _csrf(nurse, f"/tale/opptak/{item_id}"),
            "seksjon:Observasjon": "Stortingets møte er lovlig satt.",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = nurse.get(f"/tale/opptak/{item_id}")
    assert "Godkjent notat" in page.text and "Observasjon:\nStortingets møte er lovlig satt." in page.text
    assert nurse.get(f"/tale/opptak/{item_id}/lyd").status_code == 404  # audio deleted on approval
    export = nurse.post(
        f"/tale/opptak/{item_id}/eksport",
        data={"csrf_token": _csrf(nurse, f"/tale/opptak/{item_id}"), "format": "txt"},
    )
    assert export.status_code == 200 and export.text == "Observasjon:\nStortingets møte er lovlig satt.\n"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # headers do not depend on the database
def test_only_the_recording_page_may_use_the_microphone(site):
    _platform, _tenant_id, _ids, clients = site
    nurse = clients["sykepleier"]
    record = nurse.get("/tale/opptak/ny")
    assert record.status_code == 200 and "https://" in record.text  # the insecure-page message is there
    assert "microphone=(self)" in record.headers["permissions-policy"]
    assert "media-src 'self' blob:" in record.headers["content-security-policy"]
    home = nurse.get("/tale")
    assert "microphone=()" in home.headers["permissions-policy"]
    assert "blob:" not in home.headers["content-security-policy"]
    assert clients["leder"].get("/tale/opptak/ny").status_code == 403
