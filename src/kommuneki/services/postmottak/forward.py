"""Forwarding by SMTP with the original attached unchanged.

The original is attached byte for byte as ``original.eml`` (base64, so no relay can re-wrap its lines)
and its SHA-256 is stated in a header, so the receiving unit — and an auditor — can check it.
Forwarding to an address outside the tenant's own domains needs a person's decision: the service checks
:func:`inside_domains` before it calls :func:`send`.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ...core.errors import InvalidInput


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    sender: str = "postmottak@localhost"
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    timeout_s: float = 30.0


def inside_domains(address: str, domains: list[str]) -> bool:
    """True when ``address`` belongs to one of ``domains`` (or a subdomain of one)."""
    domain = address.rsplit("@", 1)[-1].strip().lower()
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in domains if d)


def forward_message_id(tenant_id: int, message_id: int, suggestion_id: int, sender: str) -> str:
    """The forward's Message-ID, the same for every attempt of one decision (RFC 5322 §3.6.4: a resent
    copy of one message keeps its id, so the receiving system can see it is the same mail)."""
    domain = sender.rsplit("@", 1)[-1] or "localhost"
    return f"<postmottak.t{tenant_id}.m{message_id}.s{suggestion_id}@{domain}>"


def build_forward(
    original: bytes, *, sender: str, to: str, subject: str, note: str, message_id: str | None = None
) -> EmailMessage:
    if "@" not in to:
        raise InvalidInput(f"Ugyldig mottakeradresse: {to}")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = f"VS: {subject}" if subject else "VS: (uten emne)"
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id or make_msgid(domain=sender.rsplit("@", 1)[-1])
    msg["X-Kommuneki-Original-SHA256"] = hashlib.sha256(original).hexdigest()
    msg.set_content(note)
    msg.add_attachment(original, maintype="application", subtype="octet-stream", filename="original.eml")
    return msg


def send(settings: SmtpSettings, msg: EmailMessage) -> None:
    """Send ``msg``; raises OSError/smtplib.SMTPException on failure (the service records it)."""
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        smtp.send_message(msg)
