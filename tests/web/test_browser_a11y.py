"""Accessibility of every page: axe-core, injected into the real page in headless Chromium, must find no
serious or critical violation. Each page is also saved as a screenshot under test-artifacts/ (for people
to look at; nothing is compared)."""

from __future__ import annotations

import pytest

from tests.conftest import axe_problems

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_every_page_has_no_serious_accessibility_violation(page, live_server, axe_js):
    base = live_server.url
    problems: dict[str, list[str]] = {}
    shots: list[str] = []

    def check(name: str, path: str | None = None) -> None:
        shots.append(name)
        if path is not None:
            page.goto(base + path)
        screenshot(page, name)
        found = axe_problems(page, axe_js)
        if found:
            problems[name] = found

    check("login", "/logg-inn")
    page.get_by_label("Brukernavn").fill("admin")
    page.get_by_label("Passord").fill("feil-passord")
    page.get_by_role("button", name="Logg inn", exact=True).click()
    check("login-error")

    login(page, base, "admin")
    check("queue", "/")
    check("queue-empty", "/?min_sikkerhet=100&maks_sikkerhet=100&status=rejected")
    # one suggestion page per service that has any (each may render its explanation its own way)
    for spec in live_server.platform.registry:
        page.goto(base + f"/?status=all&tjeneste={spec.name}")
        link = page.locator("table.queue a[href^='/forslag/']").first
        if link.count():
            check(f"suggestion-{spec.name}", link.get_attribute("href"))
    assert any(name.startswith("suggestion-") for name in shots), "the demo has no suggestion to check"
    check("audit", "/revisjonslogg")
    check("audit-search", "/revisjonslogg?hendelse=auth.login&kontroller=1")
    check("users", "/admin/brukere")
    check("units", "/admin/enheter")
    check("automation", "/admin/automatisering")
    check("settings", "/admin/innstillinger")
    page.locator("#bemanning-horizon").fill("3")
    page.locator("#bemanning button[type=submit]").click()
    assert page.locator("#bemanning-horizon-error").inner_text() == "Må være minst 7."
    check("settings-refused")
    check("models", "/modeller")
    check("error-404-suggestion", "/forslag/999999")
    check("error-404-page", "/finnes-ikke")
    login(page, base, "saksbehandler")
    check("error-403", "/admin/brukere")
    assert "Ingen tilgang" in page.locator("h1").inner_text()

    report = "\n".join(f"{name}:\n  " + "\n  ".join(lines) for name, lines in problems.items())
    assert not problems, "axe-core found serious or critical violations:\n" + report
