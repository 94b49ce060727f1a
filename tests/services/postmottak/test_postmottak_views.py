"""The postmottak pages and API with signed-in users (a light tenant with the demo units)."""

from __future__ import annotations

from pm_helpers import make_eml


def test_inbox_message_page_and_log_export(pm_client):
    c = pm_client("arkivar")
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
    # exported times are Norwegian local time, with the offset, and the zone is named (issue 13)
    assert log.json()["tidssone"] == "Europe/Oslo"
    assert all(e["at"].endswith(("+01:00", "+02:00")) for e in log.json()["logg"])
    assert "journalfores" not in log.text and "journalføres" in log.text
    xml = c.get(f"/postmottak/{pm_id}/arkivmelding.xml")
    assert xml.status_code == 200 and b"INNSYNSKRAV" in xml.content


def test_saksbehandler_without_audit_export_cannot_export_log(pm_client):
    c = pm_client("saksbehandler")
    r = c.post(
        "/api/v1/postmottak/messages",
        files={"file": ("a.eml", make_eml("Hei", "Hull i veien."), "message/rfc822")},
    )
    assert r.status_code == 201
    assert c.get(f"/postmottak/{r.json()['id']}/logg.json").status_code == 403


def test_personvernombud_with_audit_export_cannot_export_a_messages_log(pm_client):
    # the log holds the message's title, suggested values and decision reasons: the personvernombud
    # exports the audit log (ids and hashes) but may not read the inbox (found by the attack sweep,
    # tests/web/test_api_roles.py)
    arkivar = pm_client("arkivar")
    raw = make_eml("Innsynskrav fra Kari Nordmann", "Jeg ber om innsyn.", message_id="<pvo@x>")
    pm_id = arkivar.post(
        "/api/v1/postmottak/messages", files={"file": ("a.eml", raw, "message/rfc822")}
    ).json()["id"]
    pvo = pm_client("personvernombud")
    for fmt in ("json", "csv"):
        r = pvo.get(f"/postmottak/{pm_id}/logg.{fmt}")
        assert r.status_code == 403 and "Kari Nordmann" not in r.text
    assert pvo.get("/api/v1/audit/export").status_code == 200  # its own right stays
    assert arkivar.get(f"/postmottak/{pm_id}/logg.json").status_code == 200


def test_demo_loader_fills_a_living_inbox_once(tenant):
    from kommuneki.services.postmottak import demo, service

    platform, tid = tenant
    assert demo.load_demo(platform, tid, n=12) == 16  # 12 + 4 innsyn requests at every countdown stage
    assert demo.load_demo(platform, tid, n=12) == 0  # idempotent
    rows, total = service.inbox(platform, tid, limit=100)
    assert (
        total == 16
        and sum(1 for r in rows if r["innsyn"]) >= 4
        and all(r["state"] in ("triaged", "deleted") for r in rows)
    )
    assert all(r["suggestions"] for r in rows)


def test_core_decision_page_shows_a_postmottak_suggestion_and_a_person_decides(pm_client, tenant):
    c = pm_client("arkivar")
    r = c.post(
        "/api/v1/postmottak/messages",
        files={
            "file": (
                "f.eml",
                make_eml(
                    "Faktura 991",
                    "Vedlagt følger faktura 991 på kr 4 000 med forfall 30.04.2025.",
                    sender="faktura@firma.no",
                ),
                "message/rfc822",
            )
        },
    )
    sid = r.json()["suggestions"][0]
    page = c.get(f"/forslag/{sid}")
    assert page.status_code == 200 and "faktura" in page.text.lower()
    d = c.post(
        f"/api/v1/suggestions/{sid}/decision", json={"outcome": "rejected", "reason": "Skal journalføres"}
    )
    assert d.status_code in (200, 201), d.text
    log = service_log(tenant, r.json()["id"])
    assert any(e["what"] == "avgjørelse" and e["detail"]["hvem"] == "pm-arkivar" for e in log)


def service_log(tenant, pm_id):
    from kommuneki.services.postmottak import service

    platform, tid = tenant
    return service.message_detail(platform, tid, pm_id)["log"]
