"""The postmottak pages and API with a signed-in arkivar (demo tenant)."""

from __future__ import annotations

from pm_helpers import make_eml


def test_inbox_message_page_and_log_export(client_factory):
    c = client_factory("arkivar")
    raw = make_eml("Innsynskrav", "Jeg ber om innsyn i avtalen om brøyting.", message_id="<v1@x>")
    r = c.post("/api/v1/postmottak/messages", files={"file": ("innsyn.eml", raw, "message/rfc822")})
    assert r.status_code == 201, r.text
    pm_id = r.json()["id"]
    page = c.get("/postmottak")
    assert page.status_code == 200 and "Postmottak" in page.text and 'lang="nb"' in page.text
    assert f"/postmottak/{pm_id}" in page.text and "pm-badge" in page.text  # innsyn countdown
    detail = c.get(f"/postmottak/{pm_id}")
    assert detail.status_code == 200 and '<mark class="pm-term"' in detail.text
    assert "style=" not in detail.text and "<script" not in detail.text  # CSP: no inline style or script
    log = c.get(f"/postmottak/{pm_id}/logg.json")
    assert log.status_code == 200 and log.json()["logg"][0]["what"] == "mottatt"
    xml = c.get(f"/postmottak/{pm_id}/arkivmelding.xml")
    assert xml.status_code == 200 and b"INNSYNSKRAV" in xml.content


def test_saksbehandler_without_audit_export_cannot_export_log(client_factory):
    c = client_factory("saksbehandler")
    r = c.post("/api/v1/postmottak/messages", files={"file": ("a.eml", make_eml("Hei", "Hull i veien."), "message/rfc822")})
    assert r.status_code == 201
    assert c.get(f"/postmottak/{r.json()['id']}/logg.json").status_code == 403
