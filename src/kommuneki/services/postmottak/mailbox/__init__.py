"""Mail sources: IMAP (password or XOAUTH2) and Microsoft Graph. Each yields ``RemoteMessage`` with a
stable ``remote_id`` so the service can take every message in exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RemoteMessage:
    remote_id: str  # IMAP "uidvalidity:uid", Graph message id
    received: datetime | None  # IMAP INTERNALDATE, Graph receivedDateTime
    raw: bytes
