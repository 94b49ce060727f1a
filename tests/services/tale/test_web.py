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


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # page text does not depend on the database
def test_pages_follow_the_tenants_malform(site):
    from kommuneki.core.models import Tenant
    from kommuneki.services.tale import texts

    platform, tenant_id, _ids, clients = site
    nurse = clients["sykepleier"]
    assert 'lang="nb"' in nurse.get("/tale").text and "Mine opptak" in nurse.get("/tale").text
    with platform.db.installation_session() as session:
        session.get(Tenant, tenant_id).malform = "nynorsk"
    home, record = nurse.get("/tale").text, nurse.get("/tale/opptak/ny").text
    assert '<div lang="nn">' in home and "Opptaka mine" in home and "Dokumentasjonsplikta" in home
    assert "Mine opptak" not in home
    assert '<div lang="nn">' in record and "Mikrofonen verkar berre" in record
    assert 'data-no-mic="Fekk ikkje tilgang' in record  # the recorder script's messages too
    empty = nurse.post("/tale/opptak", data={"csrf_token": _csrf(nurse, "/tale")}, follow_redirects=True)
    assert "Vel ei lydfil." in empty.text
    assert set(texts.TEXTS["bokmal"]) == set(texts.TEXTS["nynorsk"])


def test_every_error_message_the_engine_and_service_raise_has_both_malformer():
    """The service's and the engine's refusals (what a nurse may see) are in the catalogue in bokmål and
    nynorsk: every ``AudioError`` text the engine raises, and every code a ``ModelMissing`` carries."""
    import ast
    from pathlib import Path

    from kommuneki.services.tale import texts

    assert set(texts.ERRORS["bokmal"]) == set(texts.ERRORS["nynorsk"])
    room = Path(texts.__file__).parent
    audio_texts, model_codes = [], []
    for path in (room / "engine" / "audio.py", room / "service.py", room / "engine" / "model.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "AudioError":
                if isinstance(node.args[0], ast.Constant):
                    audio_texts.append(node.args[0].value)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ModelMissing":
                model_codes.append(node.args[1].value)
    assert len(audio_texts) >= 5 and len(model_codes) == 5
    for message in audio_texts:
        nynorsk = texts.audio_error("nynorsk", message)
        assert nynorsk != message and texts.audio_error("bokmal", message) == message, message
    for code in model_codes:
        assert code in texts.MODEL_ERRORS
        assert texts.model_error("nynorsk", code) != texts.model_error("bokmal", code)
    for key, bokmal in texts.ERRORS["bokmal"].items():  # the nynorsk text has no bokmål forms
        nynorsk = texts.ERRORS["nynorsk"][key]
        for word in ("ikke", "fant", "bare", "filen", "noe", "lydfilen", "allerede", "fra", "lager"):
            assert word not in nynorsk.lower().replace(",", " ").split(), (key, nynorsk)
        assert bokmal.count("{") == nynorsk.count("{"), key


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_review_page_in_nynorsk_has_no_bokmal_words_of_its_own(platform):
    """The review template rendered with a transcribed recording, as the page does, in nynorsk: none of
    the bokmål page words is left (the transcript itself is what was said)."""
    from kommuneki.services.tale import texts
    from kommuneki.web.app import create_app

    env = create_app(platform=platform).state.templates.env
    rec = {
        "id": 7,
        "received_at": None,
        "basis": service.BASES["dokumentasjonsplikt"],
        "basis_key": "dokumentasjonsplikt",
        "state": "transcribed",
        "audio": True,
        "own": True,
        "removed": False,
        "low_word_probability": 0.5,
        "transcript": {
            "model": {"name": "whisper-base", "sha256": "ab" * 32},
            "language": "nn",
            "duration": 12.0,
            "dropped_segments": 1,
            "segments": [{"start": 0.0, "end": 3.0, "text": "Ho sov godt.", "flags": ["low_confidence"]}],
            "words": [{"word": "Ho", "start": 0.0, "end": 0.5, "probability": 0.3}],
        },
        "suggestion": {
            "status": "pending",
            "explanation": {"summary": ""},
            "value": {"sections": [{"name": "Observasjon", "text": "Ho sov godt."}]},
        },
        "note": {"fields": [{"type": "puls", "value": 70, "unit": "/min", "text": "puls sytti"}]},
        "to_check": [{"type": "fødselsnummer", "text": "x"}],
        "approved": None,
    }
    html = env.get_template("tale/review.html").render(
        rec=rec, t=texts.texts("nynorsk"), bases=texts.bases("nynorsk", service.BASES), csrf_token="x"
    )
    assert '<div lang="nn">' in html
    html = html.split('<div lang="nn">', 1)[1].split("<script", 1)[0]  # the page's own part
    assert "låg tryggleik" in html and "Spel av" in html
    assert "Dokumentasjonsplikta" in html and "Berre" not in html  # the recorder may approve
    for bokmal in ("ikke", "Bare", "slettes", "Sannsynlighet", "funnet", "Brukernavn", "lav sikkerhet"):
        found = re.search(rf"\b{bokmal}\b", re.sub(r"<[^>]+>", " ", html))
        assert found is None, found.string[max(0, found.start() - 60) : found.end() + 20]
