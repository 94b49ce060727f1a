"""A large document's redaction as a job (``skjerming.redact``): the document page offers a POST that
starts it (a GET starts nothing), the job page shows its progress, and the finished job's result is the
download — made and verified on a worker like the synchronous one, kept in the tenant's blob store by its
hash. Small documents keep the synchronous download. On a real worker process too (SQLite broker)."""

from __future__ import annotations

import re

import pytest
from test_views_pages import FNR, TEXT, client_factory  # noqa: F401 - the fixture: a signed-in client
from tests.core.conftest import queued  # noqa: F401 - the fixture: a real broker and worker processes

from kommuneki.core import accounts, jobs
from kommuneki.core.models import Job
from kommuneki.core.permissions import Principal
from kommuneki.services.skjerming import service


def _decided(c) -> str:
    r = c.post(
        "/skjerming", files={"fil": ("vedtak.txt", TEXT.encode(), "text/plain")}, follow_redirects=False
    )
    url = r.headers["location"]
    index = re.search(r'name="innsyn" value="(\d+)"', c.get(url).text).group(1)
    assert c.post(url + "/avgjor", data={"innsyn": index, "internett": index}).status_code == 200
    return url


def test_a_large_document_is_redacted_as_a_job_and_downloaded_from_its_result(client_factory, monkeypatch):
    c = client_factory("arkivar")
    url = _decided(c)
    small = c.get(url).text
    assert f'href="{url}/skjermet?til=innsyn"' in small and "Lag skjermet versjon" not in small

    monkeypatch.setattr(service, "BACKGROUND_BYTES", 10)  # this document now counts as large
    page = c.get(url).text
    assert "Lag skjermet versjon for innsyn" in page and f'href="{url}/skjermet?til=innsyn"' not in page
    r = c.get(url + "/skjermet?til=innsyn", follow_redirects=False)  # a GET starts no job
    assert r.status_code == 303 and r.headers["location"].startswith(url)
    none_yet = c.get(url + "/skjermet/ferdig?til=innsyn")
    assert "Ingen skjermet versjon er laget i bakgrunnen" in none_yet.text

    r = c.post(url + "/skjermet", data={"til": "innsyn"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/jobber/")
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    platform = c.app.state.platform
    with platform.db.read_session(unscoped=True) as s:
        tenant_id = s.get(Job, job_id).tenant_id
    job = jobs.wait(platform, tenant_id, job_id)
    assert job["state"] == "done", job
    assert job["result"]["verified"] is True and job["result"]["withheld"] == 1
    assert job["title"] == "Skjermet versjon av et stort dokument"
    r = c.get(f"/jobber/{job_id}/resultat", follow_redirects=False)
    assert r.headers["location"] == url + "/skjermet/ferdig?til=innsyn"
    d = c.get(url + "/skjermet/ferdig?til=innsyn")
    assert d.status_code == 200 and "attachment" in d.headers["content-disposition"]
    assert FNR not in d.text and "Saken er avsluttet." in d.text
    assert d.headers["cache-control"] == "no-store"
    assert "innsyn: verifisert fjernet (1 opplysninger" in c.get(url).text
    # the other scope was never made in the background
    assert "Ingen skjermet versjon" in c.get(url + "/skjermet/ferdig?til=internett").text


@pytest.mark.parametrize("queued", ["sqlite"], indirect=True)
def test_the_redaction_job_runs_on_a_real_worker(queued):
    platform = queued
    with platform.db.installation_session() as s:
        tenant_id = accounts.create_tenant(s, slug="stor", name="Stor kommune", actor="test").id
    screened = service.screen_document(
        platform, tenant_id, TEXT.encode(), filename="vedtak.txt", actor="test", source="test"
    )
    who = Principal(user_id=None, tenant_id=tenant_id, via="cli")
    job_id = service.submit_redaction(platform, who, screened["item_id"], "innsyn")
    platform.start_worker()
    job = jobs.wait(platform, tenant_id, job_id, timeout=600)
    assert job["state"] == "done", job
    made = service.redaction_of_job(platform, who, screened["item_id"], "innsyn")
    assert FNR.encode() not in made.data and b"Saken er avsluttet." in made.data
    assert made.sha256() == job["result"]["sha256"]


def test_erasure_reaches_the_redacted_file_kept_for_download(client_factory, monkeypatch):
    """The file a worker keeps for download is a copy of the document: once the document's content is
    erased, the hourly sweep deletes it (and a day after it was made, in any case); the download then
    says it is gone. A file the sweep keeps (document alive, made just now) stays."""
    c = client_factory("arkivar")
    url = _decided(c)
    monkeypatch.setattr(service, "BACKGROUND_BYTES", 10)
    r = c.post(url + "/skjermet", data={"til": "innsyn"}, follow_redirects=False)
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    platform = c.app.state.platform
    with platform.db.read_session(unscoped=True) as s:
        tenant_id = s.get(Job, job_id).tenant_id
    job = jobs.wait(platform, tenant_id, job_id)
    kept = platform.blobs.path(tenant_id, job["result"]["sha256"])
    assert kept.exists()
    assert service.sweep_redacted_task(platform, tenant_id, {}, lambda *_: None)["removed"] == 0
    assert kept.exists()

    item_id = int(url.rsplit("/", 1)[1])
    from kommuneki.core import items
    from kommuneki.core.models import Item

    with platform.db.tenant_session(tenant_id) as s:
        items.remove_content(s, platform.blobs, s.get(Item, item_id), reason="erasure", actor="test")
    assert service.sweep_redacted_task(platform, tenant_id, {}, lambda *_: None)["removed"] == 1
    assert not kept.exists()
    with platform.db.read_session(tenant_id) as s:
        assert s.get(Job, job_id).result["file_removed"] == "document removed"
    assert service.sweep_redacted_task(platform, tenant_id, {}, lambda *_: None)["removed"] == 0
