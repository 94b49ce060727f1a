"""The request body limit holds without ``Content-Length``: a chunked body is counted as it arrives and
refused with 413 once it passes the limit, before the rest is read (issue 12: a 1 GiB chunked JSON body
to the login endpoint, no account needed, took the server to 3.3 GB)."""

from __future__ import annotations

import socket

from sqlalchemy import select

from kommuneki.core.models import Unit
from tests.conftest import serve_in_thread
from tests.core.world import world  # noqa: F401 - module-scoped fixture


def _small_limit(world, limit: int = 1000):
    settings = world.platform.settings
    saved = settings.max_upload_bytes
    settings.max_upload_bytes = limit
    return settings, saved


def test_chunked_body_to_the_login_endpoint_is_cut_off_on_a_live_server(world):
    settings, saved = _small_limit(world)
    try:
        with serve_in_thread(world.platform) as url:
            port = int(url.rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(
                    b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                )
                chunk = b'{"username": "' + b"a" * 16_000
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                filler = b"a" * 16_000
                for _ in range(10):  # 176 kB sent, the body never ends: the server must not wait for it
                    sock.sendall(b"%x\r\n%s\r\n" % (len(filler), filler))
                answer = b""
                while b"\r\n\r\n" not in answer or b"}" not in answer.split(b"\r\n\r\n", 1)[1]:
                    data = sock.recv(65536)
                    if not data:
                        break
                    answer += data
    finally:
        settings.max_upload_bytes = saved
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b'"payload_too_large"' in body and "for stor".encode() in body


def test_chunked_json_and_form_bodies_get_413_in_the_error_shape(world):
    settings, saved = _small_limit(world)
    blob = b"x" * 100_000

    def chunks():  # an iterator: httpx sends it without Content-Length
        yield b'{"code": "chunked", "name": "'
        yield blob
        yield b'", "email": "c@alfa.test"}'

    try:
        c = world.client("admin")
        r = c.post("/api/v1/units", content=chunks(), headers={"Content-Type": "application/json"})
        assert "content-length" not in {k.lower() for k in r.request.headers}
        assert r.status_code == 413, r.text
        error = r.json()["error"]
        assert error["code"] == "payload_too_large" and "for stor" in error["message"]
        # a page (HTML) gets the same refusal as a Norwegian page
        page = world.client()
        r = page.post(
            "/logg-inn",
            content=(part for part in (b"username=a&password=", blob)),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
        )
        assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
        assert "Forespørselen er for stor" in r.text
        # a declared length over the limit is refused before anything is read, in the same shape
        r = page.post("/logg-inn", content=b"username=a&password=" + blob, headers={"Accept": "text/html"})
        assert r.status_code == 413 and "Forespørselen er for stor" in r.text
    finally:
        settings.max_upload_bytes = saved
    with world.platform.db.tenant_session(world.a) as session:
        assert session.scalar(select(Unit).where(Unit.code == "chunked")) is None


def test_a_chunked_body_under_the_limit_still_works(world):
    def chunks():
        yield b'{"code": "liten-chunk", "name": "Liten", '
        yield b'"email": "liten@alfa.test"}'

    r = world.client("admin").post(
        "/api/v1/units", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 201, r.text
