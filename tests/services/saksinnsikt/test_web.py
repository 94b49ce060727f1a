"""Saksinnsikt's pages and API through the real app: the question form (POST, CSRF), the citation that
opens the extracted text with the passage highlighted, nothing recorded on a GET, and a restricted
passage absent from pages, the API and /api/v1/items/*."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from tests.conftest import login_client

from kommuneki.core.models import Suggestion
from kommuneki.services.saksinnsikt import service
from kommuneki.web.app import create_app

from .conftest import SECRET


@pytest.fixture
def web(sak_tenant, extract_dir):
    platform, tid, make_user = sak_tenant
    service.import_noark(platform, tid, extract_dir, actor="test")
    make_user("web-vanlig")
    granted = make_user("web-barnevern")
    service.grant(platform, tid, granted.user_id, "13", actor="test")
    app = create_app(platform=platform)
    clients = []

    def client(name):
        c = login_client(app, name, "passord-for-test")
        clients.append(c)
        return c

    yield platform, tid, client
    for c in clients:
        c.close()


def _suggestions(platform, tid):
    with platform.db.tenant_session(tid) as s:
        return s.scalar(select(func.count(Suggestion.id)))


def test_question_page_answers_with_a_citation_that_highlights_the_passage(web):
    platform, tid, client = web
    c = client("web-vanlig")
    page = c.get("/saksinnsikt")
    assert page.status_code == 200 and "Spørsmål eller søkeord" in page.text
    before = _suggestions(platform, tid)
    c.get("/saksinnsikt")
    assert _suggestions(platform, tid) == before  # a GET records nothing
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post(
        "/saksinnsikt",
        data={"q": "Kan garasjen bygges nær nabogrensen?", "metode": "bm25", "csrf_token": token},
    )
    assert r.status_code == 200
    assert "nabogrensen" in r.text and "ikke generert tekst" in r.text
    link = re.search(
        r'href="(/saksinnsikt/dokument/\d+\?passasje=\d+&amp;fra=\d+&amp;til=\d+)"', r.text
    ).group(1)
    doc = c.get(link.replace("&amp;", "&"))
    assert doc.status_code == 200
    marked = re.search(r'<mark id="sitat">(.*?)</mark>', doc.text, re.S).group(1)
    assert "nabogrensen" in marked and "side 1" in doc.text
    assert "Last ned originalen" in doc.text
    assert _suggestions(platform, tid) == before + 1
    no_csrf = c.post("/saksinnsikt", data={"q": "garasje"}, headers={"X-CSRF-Token": ""})
    assert no_csrf.status_code in (400, 403)


def test_restricted_text_never_reaches_pages_or_the_api_without_the_grant(web):
    platform, tid, client = web
    plain, granted = client("web-vanlig"), client("web-barnevern")
    body = {"query": "bekymringsmelding familien Hansen omsorgssvikt", "method": "bm25"}
    r = plain.post("/api/v1/saksinnsikt/search", json=body)
    assert r.status_code == 200 and "Hansen" not in r.text and "omsorgssvikt" not in r.text
    assert r.json()["results"][0]["document"]["variant"] == "public"
    doc_id = r.json()["results"][0]["document"]["id"]
    page = plain.get(f"/saksinnsikt/dokument/{doc_id}")
    assert page.status_code == 200 and "Hansen" not in page.text and "offentlige varianten" in page.text
    api_doc = plain.get(f"/api/v1/saksinnsikt/documents/{doc_id}")
    assert "Hansen" not in api_doc.text
    with platform.db.tenant_session(tid) as s:
        from kommuneki.services.saksinnsikt.models import SaksDocument

        item_id = s.get(SaksDocument, doc_id).item_id
    # the generic item routes: the service's items are for its reviewers; a saksbehandler without
    # the grant must not read the restricted original there either
    generic = plain.get(f"/api/v1/items/{item_id}")
    assert "Hansen" not in generic.text and SECRET not in generic.text
    full = granted.post("/api/v1/saksinnsikt/search", json=body)
    assert "Hansen" in full.text
    original = granted.get(f"/saksinnsikt/dokument/{doc_id}/original")
    assert original.status_code == 200 and SECRET.encode() in original.content


def test_similar_cases_panel_on_the_postmottak_message_page(sak_tenant, tmp_path):
    from email.message import EmailMessage

    from kommuneki.core import registry

    from .test_cases import _folder

    platform, tid, make_user = sak_tenant
    service.import_folder(platform, tid, _folder(tmp_path), actor="test")
    make_user("pm-sak", role="arkivar")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "kari@example.test", "postmottak@kommune.test", "Søknad"
    msg.set_content("Jeg søker om dispensasjon for garasje nær nabogrensen.")
    take_in = registry.resolve("kommuneki.services.postmottak.service:take_in")
    pm = take_in(platform, tid, bytes(msg), source="test", actor="test")
    with login_client(create_app(platform=platform), "pm-sak", "passord-for-test") as c:
        page = c.get(f"/postmottak/{pm['id']}")
    assert page.status_code == 200
    assert "Like saker (saksinnsikt)" in page.text and "3 like saker: 2 innvilget, 1 avslått" in page.text
    assert "ikke gjeldende rett" in page.text
