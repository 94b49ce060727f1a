"""The Microsoft Graph client against recorded replies (the documented shapes of
/users/{id}/mailFolders/inbox/messages with @odata.nextLink paging, /messages/{id}/$value and the
token endpoint). Graph is a remote API we cannot run here: the only fake in these tests."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from pm_helpers import make_eml

from kommuneki.core.errors import InvalidInput
from kommuneki.services.postmottak import service
from kommuneki.services.postmottak.mailbox.graph import GraphSettings, GraphSource

FIX = Path(__file__).parent / "fixtures" / "graph"
MIME = {
    "AAMkAGI2TG93AAA=": make_eml(
        "Innsynskrav", "Jeg ber om innsyn i byggesaken.", message_id="<g1@example.test>"
    ),
    "AAMkAGI2TG94AAA=": make_eml(
        "Faktura 77", "Vedlagt følger faktura 77 med forfall 1.5.2025.", message_id="<g2@example.test>"
    ),
    "AAMkAGI2TG95AAA=": make_eml("Gatelys", "Gatelyset i Storgata er ute.", message_id="<g3@example.test>"),
}


def transport(log: list, fail_list: bool = False) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        log.append((request.method, request.url.path, dict(request.url.params)))
        if request.url.host == "login.microsoftonline.com":
            assert b"grant_type=client_credentials" in request.content
            return httpx.Response(200, json=json.loads((FIX / "token.json").read_text()))
        assert request.headers["authorization"].startswith("Bearer eyJ")
        path = request.url.path
        if path.endswith("/mailFolders/inbox/messages"):
            if fail_list:
                return httpx.Response(401, json=json.loads((FIX / "error-401.json").read_text()))
            page = "messages-page2.json" if request.url.params.get("$skip") == "2" else "messages-page1.json"
            return httpx.Response(200, json=json.loads((FIX / page).read_text()))
        if path.endswith("/$value"):
            msg_id = path.split("/messages/")[1].rsplit("/$value", 1)[0]
            return httpx.Response(200, content=MIME[msg_id], headers={"content-type": "text/plain"})
        return httpx.Response(404, json={"error": {"code": "ErrorItemNotFound", "message": "not found"}})

    return httpx.MockTransport(handler)


SETTINGS = GraphSettings(
    tenant_id="00000000-0000-0000-0000-000000000001",
    client_id="app",
    client_secret="hemmelig",
    mailbox="postmottak@demo.kommune.test",
    page_size=2,
)


def test_pages_are_followed_and_known_messages_skipped():
    log: list = []
    src = GraphSource(SETTINGS, transport=transport(log))
    got = list(src.new_messages(known={"AAMkAGI2TG94AAA="}))
    assert [m.remote_id for m in got] == ["AAMkAGI2TG93AAA=", "AAMkAGI2TG95AAA="]
    assert (
        got[0].raw == MIME["AAMkAGI2TG93AAA="] and got[0].received.isoformat() == "2025-04-15T08:30:00+00:00"
    )
    assert sum(1 for m, p, _ in log if p.endswith("/token")) == 1  # one token for the whole run


def test_graph_error_is_a_clear_norwegian_error():
    src = GraphSource(SETTINGS, transport=transport([], fail_list=True))
    with pytest.raises(InvalidInput) as exc:
        list(src.new_messages(set()))
    assert "401" in exc.value.message and "expired" in exc.value.message


def test_poll_through_graph_takes_messages_in_once(tenant):
    platform, tid = tenant
    src = GraphSource(SETTINGS, transport=transport([]))
    first = service.poll(platform, tid, src, mailbox=SETTINGS.mailbox_name)
    again = service.poll(
        platform, tid, GraphSource(SETTINGS, transport=transport([])), mailbox=SETTINGS.mailbox_name
    )
    assert first["received"] == 3 and again["received"] == 0
    rows, total = service.inbox(platform, tid)
    assert total == 3 and any(r["innsyn"] for r in rows)
