"""Pages and API of skjerming through a signed-in client: upload, highlighted findings, decision,
download of the redacted file; the same through /api/v1/skjerming."""

from __future__ import annotations

import re

import pytest
from tests.conftest import login_client, make_platform
from tests.ingest.makers import make_docx

PASSWORD = "skjerming-test-passord"


@pytest.fixture(scope="module")
def client_factory(tmp_path_factory):
    """A signed-in TestClient over one SQLite platform for the module, with one tenant and an arkivar
    (the full demo is not needed here and costs seconds per test; the service tests run on both
    databases)."""

    from kommuneki.core import accounts
    from kommuneki.web.app import create_app

    platform = make_platform(tmp_path_factory.mktemp("skjerming-web"))
    platform.upgrade_db()
    with platform.db.installation_session() as s:
        t = accounts.create_tenant(s, slug="skjerming-web", name="Web kommune", actor="test")
        u = accounts.create_user(
            s,
            username="arkivar",
            password=PASSWORD,
            full_name="Arne Arkivar",
            email="arkivar@example.test",
            actor="test",
            via="test",
        )
        tenant_id, user_id = t.id, u.id
    with platform.db.tenant_session(tenant_id) as s:
        from kommuneki.core.models import User

        accounts.grant_role(s, tenant_id, s.get(User, user_id), "arkivar", actor="test")
    app = create_app(platform=platform)
    clients = []

    def make(username=None):
        c = login_client(app, username, PASSWORD)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()
    platform.close()


FNR = "26078704828"
TEXT = f"Vedtak\n\nSøker med fødselsnummer {FNR} har fått svar. Saken er avsluttet."


def test_page_upload_review_decide_download(client_factory):
    c = client_factory("arkivar")
    assert c.get("/skjerming").status_code == 200
    r = c.post(
        "/skjerming",
        files={"fil": ("vedtak.txt", TEXT.encode(), "text/plain")},
        data={"tittel": "Vedtak om støtte"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    url = r.headers["location"]
    resp = c.get(url)
    assert resp.headers["cache-control"] == "no-store"  # personal data: not cached
    page = resp.text
    # highlighted by type, with a visible label (not colour alone) and a legend
    assert re.search(r'<mark class="funn t-fodselsnummer skjermes" id="funn-\d+">' + FNR, page)
    assert "Fødselsnummer, skjermes]" in page and "Tegnforklaring" in page
    assert 'style="' not in page and "<script" not in page  # CSP: no inline style or script
    # each finding says why in words: the checksum result and the context word, then the proposal's reason
    assert "Gyldig fødselsnummer etter dagens regel; ord i nærheten: «fødselsnummer»." in page
    assert "Identitetsnummer foreslås alltid skjermet." in page
    # the generic suggestion page renders the structured explanation too
    sid = re.search(r'href="/forslag/(\d+)">\(forslag', page).group(1)  # the innsyn suggestion
    generic = c.get(f"/forslag/{sid}")
    assert generic.status_code == 200 and "offl. § 26 (5)" in generic.text
    index = re.search(r'name="innsyn" value="(\d+)"', page).group(1)
    r = c.post(
        url + "/avgjor", data={"innsyn": index, "internett": index, "begrunnelse": ""}, follow_redirects=False
    )
    assert r.status_code == 303
    page = c.get(url).text
    assert "Godtatt" in page and "disabled" in page
    d = c.get(url + "/skjermet?til=innsyn")
    assert d.status_code == 200 and "attachment" in d.headers["content-disposition"]
    assert FNR not in d.text and "Saken er avsluttet." in d.text
    assert "innsyn: verifisert fjernet (1 opplysninger" in c.get(url).text


def test_page_bad_file_flashes_error(client_factory):
    c = client_factory("arkivar")
    r = c.post("/skjerming", files={"fil": ("tom.txt", b"", "text/plain")})
    assert r.status_code == 200 and "Filen er tom." in r.text


def test_api_documents_decision_redacted(client_factory):
    c = client_factory("arkivar")
    r = c.post(
        "/api/v1/skjerming/documents",
        files={"file": ("v.docx", make_docx(body=[TEXT]), "application/octet-stream")},
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    item = doc["item_id"]
    assert doc["decision"] == "partial"
    got = c.get(f"/api/v1/skjerming/documents/{item}").json()
    assert got["innsyn"]["kind"] == "skjerming.innsyn" and got["findings"]
    index = next(f["index"] for f in got["findings"] if f["type"] == "FODSELSNUMMER")
    r = c.post(f"/api/v1/skjerming/documents/{item}/decision", json={"innsyn": [index], "internett": [index]})
    assert r.status_code == 200, r.text
    red = c.get(f"/api/v1/skjerming/documents/{item}/redacted?scope=innsyn")
    assert red.status_code == 200 and FNR.encode() not in red.content
    assert red.headers["content-type"].startswith("application/vnd.openxmlformats")
    # deciding twice is a conflict
    assert c.post(f"/api/v1/skjerming/documents/{item}/decision", json={}).status_code == 409


def test_api_redact_in_one_call_and_errors(client_factory):
    c = client_factory("arkivar")
    r = c.post("/api/v1/skjerming/redact", files={"file": ("a.txt", TEXT.encode(), "text/plain")})
    assert r.status_code == 200 and FNR not in r.text
    r = c.post(
        "/api/v1/skjerming/documents",
        files={"file": ("junk.bin", bytes(range(256)) * 20, "application/octet-stream")},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    assert c.get("/api/v1/skjerming/documents/999999").status_code == 404
    assert (
        client_factory().post("/api/v1/skjerming/documents", files={"file": ("a.txt", b"x")}).status_code
        == 401
    )


def test_page_warns_when_the_whole_document_is_withheld(client_factory):
    c = client_factory("arkivar")
    text = f"Søker {FNR} har depresjon. Søkeren får økonomisk sosialhjelp."
    r = c.post("/api/v1/skjerming/documents", files={"file": ("b.txt", text.encode(), "text/plain")})
    assert r.json()["decision"] == "withhold", r.json()
    assert r.json()["whole_document_hjemmel"] == "offl. § 12 bokstav c"
    page = c.get(f"/skjerming/{r.json()['item_id']}").text
    assert (
        "Hele dokumentet er unntatt fra innsyn" in page and 'id="hele" name="hele" value="1" checked' in page
    )


def test_lagre_without_a_reason_keeps_the_form_and_shows_the_error_beside_the_field(client_factory):
    # issue 13: a change without a reason used to redirect, resetting every checkbox the reviewer had
    # changed, with the error far above the form
    c = client_factory("arkivar")
    text = f"Notat\n\nKari Nordmann, fødselsnummer {FNR}, telefon 922 33 444, bor i Storgata 5."
    r = c.post(
        "/skjerming", files={"fil": ("notat.txt", text.encode(), "text/plain")}, follow_redirects=False
    )
    url = r.headers["location"]
    page = c.get(url).text
    proposed = set(re.findall(r'name="innsyn" value="(\d+)" checked', page))
    every = set(re.findall(r'name="innsyn" value="(\d+)"', page))
    assert proposed and every - proposed, "a finding not proposed withheld"
    # the reviewer ticks every finding and unticks nothing: a change, which needs a reason
    chosen = sorted(every)
    r = c.post(url + "/avgjor", data={"innsyn": chosen, "internett": chosen[:1], "begrunnelse": ""})
    assert r.status_code == 422
    again = r.text
    assert set(re.findall(r'name="innsyn" value="(\d+)" checked', again)) == every
    assert set(re.findall(r'name="internett" value="(\d+)" checked', again)) == set(chosen[:1])
    # the error stands beside the reason field and the field points to it
    m = re.search(r'<p class="field-error" role="alert" id="begrunnelse-feil">([^<]+)</p>\s*<textarea', again)
    assert m and "begrunnelse" in m.group(1).lower()
    assert 'aria-invalid="true" aria-describedby="begrunnelse-feil"' in again
    # nothing was decided: the suggestion is still pending, and a reason lets the same choice through
    assert "Venter på avgjørelse" in again
    r = c.post(url + "/avgjor", data={"innsyn": chosen, "internett": chosen, "begrunnelse": "Alt skjermes."})
    assert r.status_code == 200 and "Avgjørelsen er lagret" in r.text


def test_the_generic_suggestion_page_shows_the_proposal_in_words_not_codes(client_factory):
    """The shared /forslag page shows skjerming's values through the spec's value labels: the decision
    (``partial`` → «delvis unntatt»), finding types (``FODSELSNUMMER`` → «Fødselsnummer») and hjemmel ids
    by their titles — in the proposal, and as the change form's choices."""
    from kommuneki.services.skjerming import engine, legal

    c = client_factory("arkivar")
    r = c.post(
        "/api/v1/skjerming/documents",
        files={"file": ("ord.docx", make_docx(body=[TEXT]), "application/octet-stream")},
    )
    item = r.json()["item_id"]
    innsyn = c.get(f"/api/v1/skjerming/documents/{item}").json()["innsyn"]
    assert innsyn["value"]["decision"] == "partial"
    hjemmel_ids = {span["hjemmel"] for span in innsyn["value"]["withheld"]}
    page = c.get(f"/forslag/{innsyn['id']}", headers={"accept": "text/html"}).text
    proposed = re.search(r'<dd class="proposed">(.*?)</dd>', page, re.S).group(1)
    assert engine.DECISION_LABELS["partial"] in proposed and "partial" not in proposed
    assert "Fødselsnummer" in proposed and "FODSELSNUMMER" not in proposed
    for hid in hjemmel_ids:
        assert legal.by_id(hid).label in proposed and hid not in proposed
    choices = re.search(r'<select id="v-decision".*?</select>', page, re.S).group(0)
    assert '<option value="partial" selected>delvis unntatt</option>' in choices


def _wait_job(c, job_id: int) -> dict:
    import time

    deadline = time.monotonic() + 60
    while (job := c.get(f"/api/v1/jobs/{job_id}").json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    return job


def test_several_files_are_one_batch_screened_in_the_background_with_a_job_page(client_factory):
    c = client_factory("arkivar")
    files = [
        ("fil", ("a.txt", TEXT.encode(), "text/plain")),
        ("fil", ("b.txt", (TEXT + " Ny sak.").encode(), "text/plain")),
        ("fil", ("tom.txt", b"", "text/plain")),  # stored, then failed with its reason; the others go on
    ]
    r = c.post("/skjerming", files=files, follow_redirects=False)
    assert r.status_code == 303
    m = re.search(r"/jobber/(\d+)$", r.headers["location"])
    assert m, r.headers["location"]
    page = c.get(r.headers["location"])
    assert page.status_code == 200 and "Skjerming av en bunke dokumenter" in page.text
    assert "3 dokumenter er lagret og gjennomgås i bakgrunnen." in page.text
    job = _wait_job(c, int(m.group(1)))
    assert job["state"] == "done" and job["message"].startswith("2 dokumenter gjennomgått"), job
    assert "1 kunne ikke leses" in job["message"]
    listing = c.get("/skjerming").text
    assert "a.txt" in listing and "b.txt" in listing

    api = c.post(
        "/api/v1/skjerming/batches",
        files=[("files", ("c.txt", (TEXT + " Tredje.").encode(), "text/plain"))],
    )
    assert api.status_code == 202, api.text
    body = api.json()
    assert body["job_url"] == f"/jobber/{body['job_id']}" and len(body["item_ids"]) == 1
    assert _wait_job(c, body["job_id"])["state"] == "done"
