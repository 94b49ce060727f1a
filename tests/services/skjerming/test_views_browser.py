"""The skjerming pages in a real headless Chromium: upload, highlighted findings, accessibility (axe-core:
no serious or critical violations), decision, download of the redacted file."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import axe_problems, free_port, make_platform, serve_in_thread

PASSWORD = "skjerming-browser-passord"
FNR = "26078704828"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from kommuneki.core import accounts
    from kommuneki.core.models import User

    port = free_port()
    platform = make_platform(tmp_path_factory.mktemp("skjerming-browser"), None, log_level="WARNING")
    platform.upgrade_db()
    with platform.db.installation_session() as s:
        tenant_id = accounts.create_tenant(s, slug="nettleser", name="Nettleser kommune", actor="test").id
        user_id = accounts.create_user(
            s,
            username="arkivar",
            password=PASSWORD,
            full_name="Arne Arkivar",
            email="arkivar@example.test",
            actor="test",
            via="test",
        ).id
    with platform.db.tenant_session(tenant_id) as s:
        accounts.grant_role(s, tenant_id, s.get(User, user_id), "arkivar", actor="test")
    with serve_in_thread(platform, port) as url:
        yield url
    platform.close()


def test_upload_review_decide_download_accessible(server, tmp_path, page, axe_js):
    # `page` comes from pytest-playwright (Debian Chromium, see tests/conftest.py): one Playwright
    # driver per process, shared with the other browser tests
    doc = tmp_path / "vedtak.txt"
    doc.write_text(
        f"Vedtak\n\nSøker med fødselsnummer {FNR} har fått svar. Saken er avsluttet.", encoding="utf-8"
    )
    page.goto(server + "/logg-inn?neste=/skjerming")
    page.fill("#username", "arkivar")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/skjerming")
    assert axe_problems(page, axe_js) == []
    page.set_input_files("#fil", str(doc))
    page.fill("#tittel", "Vedtak om støtte")
    page.click("text=Finn opplysninger som bør skjermes")
    page.wait_for_selector("mark.t-fodselsnummer")
    assert page.locator("mark.t-fodselsnummer .funn-etikett").first.inner_text().startswith(" [")
    assert axe_problems(page, axe_js) == []
    assert page.locator("input[name=innsyn]:checked").count() >= 1
    page.click("text=Lagre avgjørelsen")
    page.wait_for_selector("text=Avgjørelsen er lagret")
    with page.expect_download() as info:
        page.click("text=Skjermet versjon for innsyn")
    body = Path(info.value.path()).read_text(encoding="utf-8")
    assert FNR not in body and "Saken er avsluttet." in body


def test_lagre_without_a_reason_keeps_the_ticks_and_the_error_stands_by_the_field(
    server, tmp_path, page, axe_js
):
    from tests.conftest import reflow_offenders, reflow_overflow

    doc = tmp_path / "notat.txt"
    doc.write_text(
        f"Notat\n\nKari Nordmann, fødselsnummer {FNR}, telefon 922 33 444, bor i Storgata 5.",
        encoding="utf-8",
    )
    page.goto(server + "/logg-inn?neste=/skjerming")
    page.fill("#username", "arkivar")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/skjerming")
    assert reflow_overflow(page) <= 0, reflow_offenders(page)
    page.set_input_files("#fil", str(doc))
    page.click("text=Finn opplysninger som bør skjermes")
    page.wait_for_selector("mark.t-fodselsnummer")
    unticked = page.locator("input[name=innsyn]:not(:checked)")
    assert unticked.count() >= 1
    extra = unticked.first.get_attribute("id")
    page.check(f"#{extra}")
    ticked = sorted(page.locator("input[name=innsyn]:checked").evaluate_all("els => els.map(e => e.value)"))
    page.get_by_role("button", name="Lagre avgjørelsen").click()
    page.wait_for_load_state()
    # the same ticks as sent, and the error right by the reason field, which points to it
    assert (
        sorted(page.locator("input[name=innsyn]:checked").evaluate_all("els => els.map(e => e.value)"))
        == ticked
    )
    error = page.locator("#begrunnelse-feil")
    assert error.is_visible() and "begrunnelse" in error.inner_text().lower()
    assert page.locator("#begrunnelse-feil + textarea#begrunnelse").count() == 1
    assert page.locator("#begrunnelse").get_attribute("aria-describedby") == "begrunnelse-feil"
    assert axe_problems(page, axe_js) == []
    assert reflow_overflow(page) <= 0, reflow_offenders(page)
    page.fill("#begrunnelse", "Telefonnummeret er også privat her.")
    page.get_by_role("button", name="Lagre avgjørelsen").click()
    page.wait_for_selector("text=Avgjørelsen er lagret")
