"""What the text model reads: subject (twice: it carries the most), body, attachment names and text, and
a few header signals written as pseudo-words (``hdr_…``) so the linear model can weigh them and the
explanation can show them like any other term."""

from __future__ import annotations

import re

from ...ingest.email import ParsedMessage

MAX_BODY = 4000
MAX_ATTACHMENT = 1500
FREEMAIL = ("gmail.com", "hotmail.com", "outlook.com", "online.no", "icloud.com", "yahoo.com", "live.no")
_QUOTE_MARKERS = re.compile(
    r"^(-----\s*Opprinnelig melding|-----\s*Original Message|>|Fra: .*\nSendt:)", re.M
)

PSEUDO_LABELS = {
    "hdr_listunsubscribe": "List-Unsubscribe-hode (nyhetsbrev)",
    "hdr_bulk": "Precedence: bulk (masseutsending)",
    "hdr_noreply": "Avsender er en no-reply-adresse",
    "hdr_freemail": "Avsender bruker en privat e-posttjeneste",
    "hdr_orgdomain": "Avsender bruker et firmadomene",
    "hdr_attachment": "Meldingen har vedlegg",
    "hdr_nosubject": "Meldingen mangler emne",
    "hdr_einnsyn": "Sendt fra eInnsyn",
}


def pseudo_label(term: str) -> str | None:
    """A plain-Norwegian label for a term that holds header pseudo-tokens ("hdr_noreply hdr_orgdomain"
    is a pair of them), or None for ordinary words."""
    words = term.split()
    if not any(w in PSEUDO_LABELS for w in words):
        return None
    return " + ".join(PSEUDO_LABELS.get(w, f"«{w}»") for w in words)


def strip_quoted(body: str) -> str:
    """Drop the quoted earlier message of a reply: it describes the old mail, not this one."""
    m = _QUOTE_MARKERS.search(body)
    return body[: m.start()] if m and m.start() > 20 else body


def header_tokens(m: ParsedMessage) -> list[str]:
    out = []
    if m.header("list-unsubscribe"):
        out.append("hdr_listunsubscribe")
    if m.header("precedence").lower() in ("bulk", "list", "junk"):
        out.append("hdr_bulk")
    addr = m.sender_address
    if re.match(r"(no-?reply|ikkje-svar|ikke-svar|donotreply)", addr):
        out.append("hdr_noreply")
    domain = addr.rsplit("@", 1)[-1]
    out.append("hdr_freemail" if domain in FREEMAIL else "hdr_orgdomain")
    if "einnsyn" in domain:
        out.append("hdr_einnsyn")
    if m.attachments:
        out.append("hdr_attachment")
    if not m.subject.strip():
        out.append("hdr_nosubject")
    return out


def model_text(m: ParsedMessage) -> str:
    """The one string the vectoriser sees (and the explanation highlights in)."""
    parts = [m.subject, m.subject, strip_quoted(m.body)[:MAX_BODY]]
    for a in m.attachments:
        parts.append(a.filename)
        if a.text:
            parts.append(a.text[:MAX_ATTACHMENT])
    parts.append(" ".join(header_tokens(m)))
    return "\n".join(p for p in parts if p)


def display_text(m: ParsedMessage) -> str:
    """Subject and body as shown to a reviewer (highlight offsets refer to this string)."""
    return f"{m.subject}\n\n{m.body}" if m.subject else m.body
