"""Header rules for machine-made mail: bounces, read receipts and auto-replies.

These are decided by headers a mail system sets (RFC 3464 delivery status, RFC 8098 disposition
notifications, RFC 3834 ``Auto-Submitted``), not by words, so they are rules with a stated reason rather
than model output. A rule that fires proposes deletion with the rule's name as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...ingest.email import ParsedMessage

BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.I)
BOUNCE_SUBJECTS = re.compile(
    r"undeliverable|delivery status notification|mail delivery failed|"
    r"kan ikke leveres|returned mail|levering mislyktes",
    re.I,
)


@dataclass(frozen=True)
class RuleHit:
    rule: str  # stable id, e.g. header.auto_submitted
    delete_reason: str  # bounce | read_receipt | auto_reply
    header: str  # the header (or part) that fired, e.g. "Auto-Submitted: auto-replied"
    confidence: float


def machine_mail(m: ParsedMessage) -> RuleHit | None:
    """Return the first rule that marks ``m`` as machine-made mail, or None."""
    if m.report_type == "delivery-status":
        return RuleHit(
            "mime.delivery_status",
            "bounce",
            "Content-Type: multipart/report; report-type=delivery-status",
            0.99,
        )
    if m.report_type == "disposition-notification":
        return RuleHit(
            "mime.disposition_notification",
            "read_receipt",
            "Content-Type: multipart/report; report-type=disposition-notification",
            0.99,
        )
    if BOUNCE_SENDERS.match(m.sender_address) and BOUNCE_SUBJECTS.search(m.subject):
        return RuleHit("sender.mailer_daemon", "bounce", f"From: {m.sender_address}", 0.97)
    auto = m.header("auto-submitted").strip().lower()
    if auto and auto != "no":
        return RuleHit("header.auto_submitted", "auto_reply", f"Auto-Submitted: {auto}", 0.99)
    for name in ("x-autoreply", "x-autorespond"):
        if m.header(name):
            return RuleHit(f"header.{name}", "auto_reply", f"{name}: {m.header(name)}", 0.98)
    if m.header("precedence").strip().lower() == "auto_reply":
        return RuleHit("header.precedence", "auto_reply", "Precedence: auto_reply", 0.98)
    return None
