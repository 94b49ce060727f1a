"""The web UI driven by a real headless Chromium against a live server (its own committed database with
the demo loaded): a case officer works the queue, an archivist finds the decisions in the audit log, an
administrator manages units, users, roles and automation, switches tenant and signs out."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import expect

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def _open_suggestion(page, base: str, item_title: str) -> None:
    page.goto(base + "/?status=all&tjeneste=malform")
    page.get_by_role("link", name=item_title).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(item_title)


def test_wrong_password_shows_a_norwegian_error(page, live_server):
    login(page, live_server.url, "saksbehandler", "ikke-passordet")
    expect(page.get_by_role("alert")).to_have_text("Feil brukernavn eller passord.")
    expect(page).to_have_url(re.compile(r"/logg-inn$"))
    assert page.get_by_label("Brukernavn").input_value() == "saksbehandler"
    # recorded in the installation's chain (no tenant is known yet), the user name only as a hash
    failed = live_server.audit_events("auth.login_failed", tenant=None)[0]
    assert failed["data"]["method"] == "password" and failed["data"]["reason"] == "bad_credentials"
    assert failed["data"]["username_sha256"] == hashlib.sha256(b"saksbehandler").hexdigest()


def test_case_officer_works_the_queue_and_the_archivist_finds_the_decisions(page, live_server):
    base = live_server.url
    login(page, base, "saksbehandler")
    expect(page).to_have_url(base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Forslag til behandling")
    rows = page.locator("table.queue tbody tr")
    pending = rows.count()
    assert pending >= 4  # the demo's four documents
    # the oldest is offered first
    expect(page.get_by_role("link", name="Behandle neste forslag")).to_have_attribute(
        "href", rows.first.get_by_role("link").get_attribute("href")
    )

    # filter: service, status, confidence
    page.get_by_label("Tjeneste").select_option("malform")
    page.get_by_label("Status").select_option("pending")
    page.get_by_label("Sikkerhet fra (%)").fill("80")
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"tjeneste=malform.*min_sikkerhet=80"))
    confidences = [int(t.split()[0]) for t in page.locator("table.queue .conf").all_inner_texts()]
    assert confidences and all(c >= 80 for c in confidences)
    assert len(confidences) < pending  # the short note (50 %) is filtered away
    expect(page.get_by_role("link", name="kort.txt")).to_have_count(0)
    page.get_by_label("Sikkerhet fra (%)").fill("")
    page.get_by_label("Sikkerhet til (%)").fill("60")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("link", name="kort.txt")).to_have_count(1)
    screenshot(page, "scenario-queue-filtered")

    # open one, read the explanation, accept
    _open_suggestion(page, base, "brev-nynorsk.txt")
    expect(page.locator("p.lead-summary")).to_have_text("Teksten ser ut til å være skrevet på nynorsk.")
    evidence = page.locator("table.evidence")
    expect(evidence.locator("th")).to_contain_text(["Språk", "Poeng"])
    expect(evidence).to_contain_text("nynorsk")
    expect(page.get_by_label("Teksten forslaget bygger på")).to_contain_text("Eg lurer på")
    # the new-value field only shows when "Endre" is chosen (CSS :has, no script)
    expect(page.get_by_label("Språk", exact=True)).to_be_hidden()
    page.get_by_label("Godta").check()
    page.get_by_role("button", name="Lagre avgjørelsen").click()
    expect(page.locator(".flash").filter(has_text="Forslaget er godtatt.")).to_be_visible()
    expect(page.locator("section.decided")).to_contain_text("Godtatt")
    expect(page.get_by_role("button", name="Lagre avgjørelsen")).to_have_count(0)

    # change with a new value and a reason
    _open_suggestion(page, base, "brev-bokmal.txt")
    page.get_by_label("Endre").check()
    expect(page.get_by_label("Språk", exact=True)).to_be_visible()
    page.get_by_label("Språk", exact=True).select_option("nn")
    page.get_by_label("Begrunnelse").fill("Avsenderen skriver nynorsk i tidligere brev.")
    screenshot(page, "scenario-suggestion-change")
    page.get_by_role("button", name="Lagre avgjørelsen").click()
    expect(page.locator(".flash").filter(has_text="Forslaget er endret.")).to_be_visible()
    expect(page.locator("section.decided")).to_contain_text("Ny verdi: Språk: nynorsk")
    expect(page.locator("ol.history li").last).to_contain_text("Avgjørelse tatt (Sara Saksbehandler)")

    # reject without a reason: a Norwegian error, and the choice is kept
    _open_suggestion(page, base, "letter-english.txt")
    page.get_by_label("Avvis").check()
    page.get_by_role("button", name="Lagre avgjørelsen").click()
    expect(page.get_by_role("alert")).to_have_text("Oppgi en begrunnelse for avvisningen.")
    expect(page.get_by_label("Avvis")).to_be_checked()
    screenshot(page, "scenario-reject-error")
    page.get_by_label("Begrunnelse").fill("Henvendelsen gjelder barnehage, ikke målform.")
    page.get_by_role("button", name="Lagre avgjørelsen").click()
    expect(page.locator(".flash").filter(has_text="Forslaget er avvist.")).to_be_visible()
    decided_url = page.url

    # a case officer does not see the audit log
    expect(page.get_by_role("link", name="Revisjonslogg")).to_have_count(0)
    page.get_by_role("button", name="Logg ut").click()
    expect(page.locator(".flash")).to_have_text("Du er logget ut.")

    # the archivist finds the three decisions in the audit log
    login(page, base, "arkivar")
    page.get_by_role("link", name="Revisjonslogg").click()
    page.get_by_label("Hendelse", exact=True).select_option("decision.made")
    page.get_by_label("Aktør").fill(f"user:{live_server.user_id('saksbehandler')}")
    page.get_by_role("button", name="Søk").click()
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Sara Saksbehandler")
    expect(rows.first).to_contain_text("outcome=rejected")
    expect(page.locator("table.audit")).to_contain_text("outcome=changed")
    expect(page.locator("table.audit")).to_contain_text("outcome=accepted")
    page.get_by_role("link", name="Kontroller kjeden nå").click()
    expect(page.locator("#kjede")).to_contain_text("ingen endret eller fjernet")
    expect(rows).to_have_count(3)  # the search is kept
    screenshot(page, "scenario-audit-decisions")
    rows.first.get_by_role("link", name=re.compile(r"^forslag \d+$")).click()
    assert page.url == decided_url
    # and the audit log itself holds no text from the decision
    assert all("Henvendelsen" not in str(e["data"]) for e in live_server.audit_events("decision.made"))


def test_admin_manages_units_users_roles_and_automation(page, live_server):
    base = live_server.url
    login(page, base, "admin")

    # a unit
    page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Enheter").click()
    page.get_by_label("Kode", exact=True).fill("kultur")
    page.get_by_label("Navn", exact=True).fill("Kultur og fritid")
    page.get_by_label("E-post", exact=True).fill("kultur@demo.kommune.test")
    page.get_by_role("button", name="Opprett enhet").click()
    expect(page.locator(".flash")).to_have_text("Enheten Kultur og fritid er opprettet.")
    expect(page.get_by_label("Navn på kultur")).to_have_value("Kultur og fritid")
    # rename it in its row
    page.get_by_label("Navn på kultur").fill("Kultur, idrett og fritid")
    page.get_by_role("button", name="Lagre kultur").click()
    expect(page.locator(".flash")).to_have_text("Enheten er oppdatert.")
    expect(page.get_by_label("Navn på kultur")).to_have_value("Kultur, idrett og fritid")

    # a user with a role
    page.get_by_role("link", name="Brukere og roller").click()
    page.get_by_label("Brukernavn").fill("nina")
    page.get_by_label("Fullt navn").fill("Nina Nyansatt")
    page.get_by_label("E-post (brukes").fill("nina@demo.kommune.test")
    page.get_by_label("Passord").fill("et-langt-passord")
    page.get_by_label("Rolle", exact=True).select_option("saksbehandler")
    page.get_by_role("button", name="Opprett bruker").click()
    expect(page.locator(".flash")).to_have_text("Brukeren nina har fått rollen Saksbehandler.")
    row = page.locator("tr", has_text="Nina Nyansatt")
    expect(row).to_contain_text("Saksbehandler")
    # grant and revoke a role
    page.get_by_label("Rolle for nina").select_option("arkivar")
    row.get_by_role("button", name="Gi rolle").click()
    expect(page.locator(".flash")).to_have_text("Rollene er oppdatert.")
    expect(page.locator("tr", has_text="Nina Nyansatt")).to_contain_text("Arkivar")
    page.get_by_role("button", name="Fjern rollen Arkivar fra nina").click()
    expect(page.locator("tr", has_text="Nina Nyansatt").locator("ul.roles")).not_to_contain_text("Arkivar")
    assert [e["data"]["role"] for e in live_server.audit_events("role.revoked")][:1] == ["arkivar"]

    # automation: malform may be automated; switch it on at 90 %
    page.get_by_role("link", name="Automatisering").click()
    page.get_by_label("Automatiser målform").check()
    page.get_by_label("Terskel (%) for Målform").fill("90")
    page.get_by_role("button", name="Lagre Målform").click()
    expect(page.locator(".flash")).to_have_text("Automatiseringen er oppdatert.")
    row = page.get_by_role("row").filter(has=page.get_by_label("Automatiser målform"))
    expect(row).to_contain_text("På fra 90 % sikkerhet")
    expect(page.get_by_label("Automatiser målform")).to_be_checked()
    screenshot(page, "scenario-automation-on")
    assert live_server.audit_events("policy.changed")[0]["data"]["enabled"] is True


def test_admin_switches_tenant_and_signs_out(page, live_server):
    base = live_server.url
    login(page, base, "admin")
    expect(page.locator("header .tenant")).to_have_text("Demo kommune")
    page.get_by_label("Organisasjon").select_option(label="Nabo kommune")
    page.get_by_role("button", name="Bytt").click()
    expect(page.locator(".flash")).to_have_text("Du har byttet organisasjon.")
    expect(page.locator("header .tenant")).to_have_text("Nabo kommune")
    # the neighbour has no suggestions and none of the demo tenant's
    expect(page.locator("table.queue")).to_have_count(0)
    expect(page.locator(".empty-state")).to_contain_text("Ingen forslag venter")
    screenshot(page, "scenario-nabo-empty-queue")
    page.get_by_role("button", name="Logg ut").click()
    expect(page).to_have_url(re.compile(r"/logg-inn$"))
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/logg-inn\?neste=/$"))


def test_oidc_sign_in_through_the_browser(page, live_server):
    """The login page's OIDC button, the provider's own authorization page, back to the queue."""
    base = live_server.url
    page.goto(base + "/logg-inn")
    page.get_by_role("link", name="Logg inn med testleverandøren").click()
    expect(page).to_have_url(re.compile(re.escape(live_server.oidc_issuer) + r"/oauth2/authorize\?"))
    # oidc-provider-mock: an unknown subject is created with {"email": sub}; the demo leader's address
    page.locator("input[name=sub]").fill("leder@demo.kommune.test")
    page.get_by_role("button", name="Authorize").click()
    expect(page).to_have_url(base + "/")
    expect(page.locator("header .who")).to_contain_text("Lise Leder")
    login = live_server.audit_events("auth.login")[0]
    assert login["data"]["method"] == "oidc"
    page.get_by_role("button", name="Logg ut").click()

    # someone the installation does not know is refused, in Norwegian
    page.get_by_role("link", name="Logg inn med testleverandøren").click()
    page.locator("input[name=sub]").fill("ukjent@example.test")
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Ingen bruker i kommuneki er knyttet til denne identiteten"
    )
    screenshot(page, "oidc-unknown-identity")


def test_api_docs_load_without_any_outside_address(page, live_server):
    """An air-gapped kommune reaches no CDN: every request of /docs stays on this server, and the strict
    CSP (no inline script) does not stop Swagger UI."""
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(live_server.url + "/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=20000)
    expect(page.locator("body")).to_contain_text("/api/v1/")
    outside = [u for u in requested if not u.startswith((live_server.url, "data:", "blob:"))]
    assert outside == []
    assert [b for b in blocked if "script" in b] == []
    assert (
        "script-src 'self';" in page.request.get(live_server.url + "/docs").headers["content-security-policy"]
    )
    screenshot(page, "api-docs")
    assert page.request.get(live_server.url + "/redoc").status == 404
