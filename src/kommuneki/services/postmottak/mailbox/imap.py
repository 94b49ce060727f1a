"""IMAP polling with imaplib: list UIDs, skip those already taken in, fetch the rest with BODY.PEEK[]
(so the server's \\Seen flag is left for people) and INTERNALDATE (the day the message arrived, which
starts the innsyn deadline). ``remote_id`` is ``<UIDVALIDITY>:<UID>``: if the server renumbers the
folder, UIDVALIDITY changes and nothing is confused with an older message."""

from __future__ import annotations

import imaplib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from ....core.errors import InvalidInput
from . import RemoteMessage

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int = 993
    username: str = ""
    password: str | None = None
    oauth2_token: str | None = None  # XOAUTH2 (Exchange Online, Gmail) instead of a password
    folder: str = "INBOX"
    ssl: bool = True
    timeout_s: float = 60.0

    @property
    def mailbox_name(self) -> str:
        return f"imap:{self.username}@{self.host}/{self.folder}"


class ImapSource:
    def __init__(self, settings: ImapSettings):
        self.s = settings
        self.conn: imaplib.IMAP4 | None = None
        self.uidvalidity: str = ""

    def __enter__(self) -> "ImapSource":
        s = self.s
        cls = imaplib.IMAP4_SSL if s.ssl else imaplib.IMAP4
        try:
            self.conn = cls(s.host, s.port, timeout=s.timeout_s)
            if s.oauth2_token:
                auth = f"user={s.username}\x01auth=Bearer {s.oauth2_token}\x01\x01".encode()
                self.conn.authenticate("XOAUTH2", lambda _challenge: auth)
            else:
                self.conn.login(s.username, s.password or "")
            typ, data = self.conn.select(f'"{s.folder}"', readonly=True)
        except imaplib.IMAP4.error as exc:
            raise InvalidInput(f"Innlogging eller valg av mappe feilet på IMAP-serveren: {exc}") from exc
        if typ != "OK":
            raise InvalidInput(f"Fant ikke mappen {s.folder} på IMAP-serveren.")
        typ, resp = self.conn.response("UIDVALIDITY")
        self.uidvalidity = resp[0].decode() if resp and resp[0] else "0"
        return self

    def __exit__(self, *_exc) -> None:
        if self.conn is not None:
            try:
                self.conn.logout()
            except (imaplib.IMAP4.error, OSError):
                pass

    def uids(self) -> list[str]:
        typ, data = self.conn.uid("SEARCH", None, "ALL")
        return [u.decode() for u in (data[0] or b"").split()] if typ == "OK" else []

    def fetch(self, uid: str) -> RemoteMessage | None:
        typ, data = self.conn.uid("FETCH", uid, "(INTERNALDATE BODY.PEEK[])")
        if typ != "OK" or not data or data[0] is None:
            return None
        meta, raw = data[0][0], data[0][1]
        received = None
        m = _INTERNALDATE.search(meta)
        if m:
            received = datetime.strptime(m.group(1).decode(), "%d-%b-%Y %H:%M:%S %z")
        return RemoteMessage(remote_id=f"{self.uidvalidity}:{uid}", received=received, raw=raw)

    def new_messages(self, known: set[str]) -> Iterator[RemoteMessage]:
        """Messages whose ``remote_id`` is not in ``known``, oldest UID first."""
        for uid in self.uids():
            if f"{self.uidvalidity}:{uid}" in known:
                continue
            msg = self.fetch(uid)
            if msg is not None:
                yield msg
