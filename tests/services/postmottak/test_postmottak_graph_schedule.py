"""Microsoft Graph mailbox polling as a scheduled task (``postmottak.poll``): the workers' scheduler starts
it for a tenant whose mailbox is on Microsoft 365 (settings ``graph``), as a job on the real task queue
(Huey, SQLite storage). Graph itself cannot run here: a loopback HTTP server replays the recorded replies
of test_postmottak_graph.py (token, two pages of the inbox listing, each message's MIME), reached through
the settings' endpoints ``graph_url``/``login_url`` — the same ones a national cloud sets. The client
secret comes from the environment, never from the database."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy import select
from test_postmottak_graph import FIX, MIME
from test_postmottak_schedule import (
    _polls,
    _run_queued,
    _tenant,
    scheduled,  # noqa: F401 - the fixture: SQLite broker, real database
)

from kommuneki.core import schedule
from kommuneki.core.db import utcnow
from kommuneki.services.postmottak import service
from kommuneki.services.postmottak.models import PostmottakMessage

CLOUD = "https://graph.microsoft.com/v1.0"


@pytest.fixture
def graph_server():
    """The recorded Graph replies on 127.0.0.1; yields (base url, requests seen)."""
    seen: list[tuple[str, str]] = []

    class Replay(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802 - http.server's hook name
            seen.append(("POST", self.path))
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            if self.path.endswith("/oauth2/v2.0/token") and form.get("client_secret") == ["hemmelig"]:
                return self._send(200, (FIX / "token.json").read_bytes())
            return self._send(401, json.dumps({"error": "invalid_client"}).encode())

        def do_GET(self):  # noqa: N802
            seen.append(("GET", self.path))
            if not self.headers.get("Authorization", "").startswith("Bearer eyJ"):
                return self._send(401, (FIX / "error-401.json").read_bytes())
            url = urlsplit(self.path)
            path = unquote(url.path)
            if path.endswith("/mailFolders/inbox/messages"):
                page = (
                    "messages-page2.json"
                    if parse_qs(url.query).get("$skip") == ["2"]
                    else "messages-page1.json"
                )
                # the next page's link names this server, as the real service's names itself
                body = (FIX / page).read_text().replace(CLOUD, f"{base}/v1.0")
                return self._send(200, body.encode())
            if path.endswith("/$value"):
                msg_id = path.split("/messages/")[1].rsplit("/$value", 1)[0]
                if msg_id in MIME:
                    return self._send(200, MIME[msg_id], "text/plain")
            return self._send(404, json.dumps({"error": {"code": "ErrorItemNotFound"}}).encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, seen
    server.shutdown()
    server.server_close()


def _graph(base: str) -> dict:
    return {
        "tenant_id": "00000000-0000-0000-0000-000000000001",
        "client_id": "app",
        "mailbox": "postmottak@demo.kommune.test",
        "page_size": 2,
        "graph_url": f"{base}/v1.0",
        "login_url": base,
    }


def test_a_graph_mailbox_is_polled_by_the_schedule_and_each_message_taken_in_once(
    scheduled,  # noqa: F811
    graph_server,
    monkeypatch,
):
    platform = scheduled
    base, seen = graph_server
    with_graph, without = _tenant(platform, "sky"), _tenant(platform, "ingen")
    service.update_settings(platform, with_graph, "test", graph=_graph(base))
    monkeypatch.setenv("POSTMOTTAK_GRAPH_SECRET", "hemmelig")
    assert service.mailbox_configured(platform, with_graph)
    assert not service.mailbox_configured(platform, without)

    schedule.run_due(platform)
    assert [(j.tenant_id, j.schedule_run, j.state) for j in _polls(platform)] == [(with_graph, 1, "queued")]
    assert set(_run_queued(platform)) == {"done"}
    (first,) = _polls(platform)
    assert first.state == "done" and first.result["received"] == 3, first.error
    with platform.db.read_session(with_graph) as session:
        rows = session.scalars(select(PostmottakMessage)).all()
    assert sorted(r.remote_id for r in rows) == sorted(MIME)
    assert {r.mailbox for r in rows} == {"graph:postmottak@demo.kommune.test/inbox"}
    assert any(p.endswith("$skip=2") or "%24skip=2" in p for _m, p in seen)  # the second page was followed

    schedule.run_due(platform, now=utcnow() + timedelta(seconds=61))
    _run_queued(platform)
    second = _polls(platform)[1]
    assert second.state == "done" and second.result["received"] == 0  # nothing taken in twice
    with platform.db.read_session(with_graph) as session:
        assert len(session.scalars(select(PostmottakMessage)).all()) == 3


def test_a_missing_graph_secret_fails_the_poll_with_a_norwegian_reason(
    scheduled,  # noqa: F811
    graph_server,
    monkeypatch,
):
    platform = scheduled
    base, _seen = graph_server
    tid = _tenant(platform, "uten-hemmelighet")
    service.update_settings(platform, tid, "test", graph=_graph(base))
    monkeypatch.delenv("POSTMOTTAK_GRAPH_SECRET", raising=False)
    schedule.run_due(platform)
    _run_queued(platform)
    (failed,) = _polls(platform)
    assert failed.state == "failed" and "POSTMOTTAK_GRAPH_SECRET" in failed.error
