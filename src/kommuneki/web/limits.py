"""Request body size limit that holds whether or not the client sends ``Content-Length``.

A declared length over the limit is refused before the body is read. A chunked body (no
``Content-Length``) or one longer than declared is counted as it arrives: the ``receive`` the app reads
from raises :class:`BodyTooLarge` once the running total passes the limit, so no more of it is read or
buffered. FastAPI re-raises an ``HTTPException`` raised while it reads the body, so the app's error
handlers answer 413 in the one error shape (JSON for the API, an HTML page for pages).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        size = f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{limit / 1024:.0f} kB"
        super().__init__(413, f"Forespørselen er for stor (grense {size}).")


# what a multipart form adds around an upload of ``max_upload_bytes`` (boundaries, the CSRF field)
FORM_OVERHEAD = 64 * 1024


class BodySizeLimit:
    """Pure ASGI middleware: at most ``settings.max_upload_bytes`` (plus a form's overhead) of request
    body per request. The setting is read per request."""

    def __init__(self, app: ASGIApp, settings):
        self.app = app
        self.settings = settings

    @property
    def limit(self) -> int:
        return self.settings.max_upload_bytes + FORM_OVERHEAD

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        received, limit = 0, self.limit

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted_receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        from .errors import respond  # late: errors imports BodyTooLarge from here

        exc = BodyTooLarge(self.limit)
        response = respond(Request(scope, receive), 413, "payload_too_large", exc.detail)
        await response(scope, receive, send)
