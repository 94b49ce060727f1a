"""Microsoft Graph (Exchange Online, where IMAP passwords are switched off): list the inbox and fetch
each message's MIME content.

* token: client credentials at ``https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`` with
  scope ``https://graph.microsoft.com/.default`` (application permission Mail.Read / Mail.Send);
* list: ``GET /v1.0/users/{mailbox}/mailFolders/inbox/messages?$select=id,receivedDateTime,internetMessageId``
  following ``@odata.nextLink``;
* content: ``GET /v1.0/users/{mailbox}/messages/{id}/$value`` (RFC 822 MIME).

Tests use recorded replies through an ``httpx`` transport; nothing here is faked in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import httpx

from ....core.errors import InvalidInput
from . import RemoteMessage

GRAPH = "https://graph.microsoft.com/v1.0"
LOGIN = "https://login.microsoftonline.com"


@dataclass(frozen=True)
class GraphSettings:
    tenant_id: str
    client_id: str
    client_secret: str
    mailbox: str  # user id or address of the shared mailbox
    page_size: int = 50
    # the endpoints: Microsoft's global cloud, or a national cloud's (e.g. https://graph.microsoft.us/v1.0
    # and https://login.microsoftonline.us)
    graph_url: str = GRAPH
    login_url: str = LOGIN

    @property
    def mailbox_name(self) -> str:
        return f"graph:{self.mailbox}/inbox"


class GraphSource:
    def __init__(self, settings: GraphSettings, transport: httpx.BaseTransport | None = None):
        self.s = settings
        self.http = httpx.Client(transport=transport, timeout=60.0)
        self._token: str | None = None

    def close(self) -> None:
        self.http.close()

    def token(self) -> str:
        if self._token is None:
            r = self.http.post(
                f"{self.s.login_url}/{self.s.tenant_id}/oauth2/v2.0/token",
                data={
                    "client_id": self.s.client_id,
                    "client_secret": self.s.client_secret,
                    "scope": "https://graph.microsoft.com/.default",
                    "grant_type": "client_credentials",
                },
            )
            if r.status_code != 200:
                raise InvalidInput(
                    f"Microsoft-innlogging feilet ({r.status_code}): "
                    f"{r.json().get('error_description', '')[:200] if r.content else ''}"
                )
            self._token = r.json()["access_token"]
        return self._token

    def _get(self, url: str, **params) -> httpx.Response:
        r = self.http.get(url, params=params or None, headers={"Authorization": f"Bearer {self.token()}"})
        if r.status_code != 200:
            detail = ""
            try:
                detail = r.json().get("error", {}).get("message", "")
            except ValueError:
                pass
            raise InvalidInput(f"Microsoft Graph svarte {r.status_code}: {detail[:200]}")
        return r

    def listing(self) -> Iterator[dict]:
        url = f"{self.s.graph_url}/users/{quote(self.s.mailbox)}/mailFolders/inbox/messages"
        r = self._get(
            url,
            **{
                "$select": "id,receivedDateTime,internetMessageId",
                "$top": str(self.s.page_size),
                "$orderby": "receivedDateTime asc",
            },
        )
        while True:
            body = r.json()
            yield from body.get("value", [])
            nxt = body.get("@odata.nextLink")
            if not nxt:
                return
            r = self._get(nxt)

    def new_messages(self, known: set[str]) -> Iterator[RemoteMessage]:
        for entry in self.listing():
            if entry["id"] in known:
                continue
            raw = self._get(
                f"{self.s.graph_url}/users/{quote(self.s.mailbox)}/messages/{quote(entry['id'])}/$value"
            ).content
            received = (
                datetime.fromisoformat(entry["receivedDateTime"].replace("Z", "+00:00"))
                if entry.get("receivedDateTime")
                else None
            )
            yield RemoteMessage(remote_id=entry["id"], received=received, raw=raw)
