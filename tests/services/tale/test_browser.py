"""Recording in a real headless Chromium with a fake microphone fed from a WAV file (Norwegian speech):
record, stop, the upload fails while offline (the recording stays in the browser), comes back after a
reload, is sent, transcribed in a background job with progress, reviewed and approved; then it is gone
from the browser. No serious or critical axe-core violation on the pages, and no CSP error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, axe_problems, serve_in_thread

from kommuneki.core import accounts
from kommuneki.core.models import User
from kommuneki.services.tale import ROLE, service

from .test_engine import write_wav

PASSWORD = "Tale-nettleser-passord-1"


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # a browser test need not run twice
def test_record_in_the_browser_survive_a_dropped_connection_and_approve(
    platform, transcriber, speech, browser_type, axe_js, tmp_path
):
    platform.upgrade_db()
    with platform.db.installation_session() as session:
        tenant_id = accounts.create_tenant(session, slug="tb", name="Tale nettleser", kommunenummer="0407").id
        user_id = accounts.create_user(session, username="pleier", password=PASSWORD, actor="test").id
    with platform.db.tenant_session(tenant_id) as session:
        accounts.grant_role(session, tenant_id, session.get(User, user_id), ROLE, actor="test")
    service.set_settings(platform, tenant_id, {"model_dir": str(transcriber.model.path)})
    wav = tmp_path / "mikrofon.wav"
    write_wav(wav, speech / "norwegian-medium-8s.mp3")
    browser = browser_type.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}",
        ],
    )
    context = browser.new_context(locale="nb-NO", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    problems: dict[str, list[str]] = {}
    try:
        with serve_in_thread(platform) as base:
            context.grant_permissions(["microphone"], origin=base)
            page.goto(base + "/logg-inn")
            page.get_by_label("Brukernavn").fill("pleier")
            page.get_by_label("Passord").fill(PASSWORD)
            page.get_by_role("button", name="Logg inn", exact=True).click()
            page.wait_for_load_state()

            page.goto(base + "/tale/opptak/ny")
            problems["opptak"] = axe_problems(page, axe_js)
            status = page.locator("#tale-status")
            page.get_by_role("button", name="Start opptak").click()
            expect(status).to_contain_text("Tar opp")
            page.wait_for_timeout(4000)
            page.get_by_role("button", name="Stopp").click()
            send = page.get_by_role("button", name="Send til utskrift")
            expect(send).to_be_enabled(timeout=15_000)

            context.set_offline(True)  # the connection drops: the recording stays in the browser
            send.click()
            expect(status).to_contain_text("feilet")
            context.set_offline(False)
            page.reload()
            page.wait_for_function(
                "document.getElementById('tale-status').textContent.includes('ikke er sendt')"
            )
            page.get_by_role("button", name="Send til utskrift").click()
            page.wait_for_url("**/jobber/*")
            page.get_by_role("link", name="Se resultatet").wait_for(timeout=240_000)
            page.get_by_role("link", name="Se resultatet").click()
            page.wait_for_url("**/tale/opptak/*")
            assert page.get_by_role("heading", name="Utskrift").count() == 1
            problems["gjennomlesing"] = axe_problems(page, axe_js)
            stored = page.evaluate(
                """() => new Promise(resolve => { const r = indexedDB.open('kommuneki-tale', 1);
                     r.onsuccess = () => { const g = r.result.transaction('opptak').objectStore('opptak')
                       .get('siste'); g.onsuccess = () => resolve(g.result ? g.result.size : 0); }; })"""
            )
            assert stored == 0  # removed from the browser once the server had it
            page.get_by_label("Observasjon").fill("Representantene har tatt sete.")
            page.get_by_role("button", name="Godkjenn notatet").click()
            page.get_by_role("heading", name="Godkjent notat").wait_for()
            assert "Representantene har tatt sete." in page.get_by_label("Tekst til journalen").input_value()
            page.set_viewport_size({"width": 320, "height": 800})  # reflow at 320 px
            assert page.evaluate("document.documentElement.scrollWidth") <= 330
    finally:
        context.close()
        browser.close()
    assert not {k: v for k, v in problems.items() if v}, problems
    assert not csp_errors, csp_errors
