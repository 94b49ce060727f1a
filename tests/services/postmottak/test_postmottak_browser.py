"""The postmottak pages in a real headless Chromium with axe-core: no serious or critical violations,
and the page works under the app's CSP (no inline script or style)."""

from __future__ import annotations

import pytest
from pm_helpers import make_eml
from tests.conftest import axe_problems, serve_in_thread


@pytest.mark.browser
def test_inbox_and_message_pages_are_accessible(tenant, page, axe_js):
    # `page` and `axe_js` come from tests/conftest.py (pytest-playwright with Debian Chromium): one
    # Playwright driver per process, shared with every other browser test
    from kommuneki.core import accounts
    from kommuneki.core.models import User
    from kommuneki.services.postmottak import service

    platform, tid = tenant
    with platform.db.installation_session() as s:
        uid = accounts.create_user(s, username="pm-a11y", password="passord-for-test", actor="test").id
    with platform.db.tenant_session(tid) as s:
        accounts.grant_role(s, tid, s.get(User, uid), "arkivar", actor="test")
        accounts.grant_role(s, tid, s.get(User, uid), "admin", actor="test")  # the training page too
    r = service.take_in(
        platform,
        tid,
        make_eml("Innsynskrav", "Jeg ber om innsyn i avtalen om brøyting."),
        source="test",
        actor="test",
    )
    problems: dict[str, list[str]] = {}
    csp_errors: list[str] = []
    with serve_in_thread(platform) as base:
        page.on(
            "console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None
        )
        page.goto(base + "/logg-inn")
        page.get_by_label("Brukernavn").fill("pm-a11y")
        page.get_by_label("Passord").fill("passord-for-test")
        page.get_by_role("button", name="Logg inn", exact=True).click()
        page.wait_for_load_state()
        for path in ("/postmottak", "/postmottak/trening", f"/postmottak/{r['id']}"):
            page.goto(base + path)
            assert page.locator("h1").count() == 1
            if path == "/postmottak":
                page.get_by_text("Ta inn e-post fra filer").click()  # the import form, opened
            problems[path] = axe_problems(page, axe_js)
        assert page.locator("mark.pm-term").count() > 0
    assert problems == {"/postmottak": [], "/postmottak/trening": [], f"/postmottak/{r['id']}": []}
    assert csp_errors == []
