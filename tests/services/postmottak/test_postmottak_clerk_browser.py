"""The clerk's way through postmottak in a real headless Chromium (issue 13): from the filtered list to a
message, "Avgjør" on the dokumenttype, back to the message (not the general queue), "Journalfør", and
on to the next message. Every page passes axe-core (no serious or critical violation) and reflows at
320 px (WCAG 1.4.10: the page scrolls no wider than the window; tables scroll in their own box)."""

from __future__ import annotations

import pytest
from pm_helpers import make_eml
from tests.conftest import axe_problems, reflow_offenders, reflow_overflow, serve_in_thread


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # a browser test need not run twice
def test_list_message_decide_back_journalfor_next_at_320_px(tenant, page, axe_js):
    from kommuneki.core import accounts
    from kommuneki.core.models import User
    from kommuneki.services.postmottak import service

    platform, tid = tenant
    with platform.db.installation_session() as s:
        uid = accounts.create_user(s, username="pm-clerk", password="passord-for-test", actor="test").id
    with platform.db.tenant_session(tid) as s:
        accounts.grant_role(s, tid, s.get(User, uid), "arkivar", actor="test")
    older = service.take_in(
        platform, tid, make_eml("Hull i veien", "Det er et stort hull i Storgata 12."), source="t", actor="t"
    )
    newer = service.take_in(
        platform,
        tid,
        make_eml(
            "Innsynskrav i avtale om brøyting med entreprenør for vintersesongen 2025–2026",
            "Jeg ber om innsyn i avtalen med entreprenøren om brøyting, jf. offentleglova § 3. "
            + "Lenke: https://www.example.no/postliste/2025/0000123456789012345678901234567890",
        ),
        source="t",
        actor="t",
    )
    problems: dict[str, list[str]] = {}
    wide: dict[str, list[str]] = {}

    def check(name: str) -> None:
        assert page.locator("h1").count() == 1, name
        found = axe_problems(page, axe_js)
        if found:
            problems[name] = found
        if reflow_overflow(page) > 0:
            wide[name] = [f"+{reflow_overflow(page)}px", *reflow_offenders(page)]

    with serve_in_thread(platform) as base:
        page.goto(base + "/logg-inn")
        page.get_by_label("Brukernavn").fill("pm-clerk")
        page.get_by_label("Passord").fill("passord-for-test")
        page.get_by_role("button", name="Logg inn", exact=True).click()
        page.wait_for_load_state()
        page.goto(base + "/postmottak?tilstand=triaged")
        check("liste")
        page.locator(f"a[href='/postmottak/{newer['id']}?tilstand=triaged']").click()
        page.wait_for_url(f"**/postmottak/{newer['id']}?tilstand=triaged")
        check("melding")
        assert page.get_by_role("button", name="Journalfør").count() == 0  # dokumenttype not decided yet
        card = page.locator("section.card", has_text="Dokumenttype og tittel")
        card.get_by_role("link", name="Avgjør").click()
        page.wait_for_url("**/forslag/*")
        check("forslag")
        page.get_by_role("button", name="Lagre avgjørelsen").click()  # "Godta" is preselected
        page.wait_for_load_state()
        assert "Forslaget er godtatt" in page.locator(".flash").inner_text()
        page.get_by_role("link", name="← Tilbake").click()
        page.wait_for_url(f"**/postmottak/{newer['id']}?tilstand=triaged")
        page.get_by_role("button", name="Journalfør").click()
        page.wait_for_load_state()
        assert "Meldingen er journalført" in page.locator(".flash").inner_text()
        assert page.get_by_role("link", name="Last ned arkivmelding (Fiks Arkiv)").count() == 1
        # journalført, so out of the "Til behandling" list; "Neste melding" still leads on from here
        page.get_by_role("link", name="Neste melding →").click()
        page.wait_for_url(f"**/postmottak/{older['id']}?tilstand=triaged")
        page.get_by_role("link", name="← Tilbake til listen").click()
        page.wait_for_url("**/postmottak?tilstand=triaged")
        page.goto(base + "/postmottak/987654")
        assert page.get_by_role("navigation", name="Hovedmeny").count() == 1  # the error page has the menu
        check("feilside")
    assert problems == {}, problems
    assert wide == {}, f"pages wider than 320 px (the elements that reach past): {wide}"
