"""E-mail messages: .eml (RFC 5322 / MIME), .msg (Outlook, read with ``olefile``) and mbox files.

:func:`parse_message` turns raw bytes into a :class:`ParsedMessage` (headers, plain-text body, the
attachments with their bytes, report type for bounces and read receipts). It is lenient where real
mail is broken — missing headers, 8-bit headers, wrong or unknown charsets, malformed MIME — and records
what it had to repair in ``defects`` instead of refusing, so that nothing that arrived is lost.
It refuses only input that is not a message at all.

Why not ``extract-msg`` for .msg: it is GPL-3.0, which this EUPL-1.2 project keeps out of the product;
``olefile`` (BSD) reads the few MAPI properties we need.

Safety limits: attachments nested more than :data:`MAX_DEPTH` levels (an .eml inside an .eml inside …)
are kept as bytes but not opened; zip attachments are listed (names, sizes) but never extracted, and a
zip whose declared uncompressed size is more than :data:`ZIP_RATIO_LIMIT` times its packed size is
flagged as a possible extraction bomb.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

from ..core.errors import InvalidInput
from . import Extracted

MAX_DEPTH = 3
MAX_BODY_CHARS = 200_000
ZIP_RATIO_LIMIT = 100
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes
    text: str | None = None  # extracted text where a reader exists
    note: str | None = None  # why there is no text (unsupported, nested too deep, zip listing …)
    nested: "ParsedMessage | None" = None

    def summary(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": len(self.data),
            "has_text": bool(self.text),
            "note": self.note,
        }


@dataclass
class ParsedMessage:
    subject: str = ""
    sender: str = ""  # display name (may be empty)
    sender_address: str = ""  # lower-cased address
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    date: datetime | None = None
    message_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names, first value, decoded
    content_type: str = "text/plain"
    report_type: str | None = None  # delivery-status | disposition-notification (multipart/report)
    body: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    format: str = "eml"

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def full_text(self) -> str:
        """Subject, body and attachment text: what the models read."""
        parts = [self.subject, self.body] + [a.text for a in self.attachments if a.text]
        return "\n\n".join(p for p in parts if p)


def _header_text(value: Any) -> str:
    """A header as a str: with compat32, a header holding raw 8-bit bytes comes back as an
    ``email.header.Header`` (which has no ``lower``), not a str."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        return _decode_header_value(value)
    return str(value)


def _filename(part: Message) -> str:
    """The attachment's name from Content-Disposition ``filename`` or Content-Type ``name``: RFC 2231
    and RFC 2047 decoded, raw 8-bit names (``filename=ciële.txt``) repaired; '' when there is none or it
    cannot be read."""
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        try:
            raw = part.get_param(param, header=header)
        except (AttributeError, TypeError, ValueError, LookupError, UnicodeError):
            raw = None
        if isinstance(raw, tuple):  # RFC 2231
            try:
                raw = email.utils.collapse_rfc2231_value(raw)
            except (LookupError, UnicodeError, TypeError, ValueError):
                raw = raw[2] if len(raw) > 2 else None
        if isinstance(raw, email.header.Header) or (isinstance(raw, str) and "\ufffd" in raw):
            raw = _raw_param(part, header, param) or str(raw)
        if raw:
            name = _decode_header_value(raw).replace("\x00", "").strip()
            return name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255]
    return ""


def _raw_param(part: Message, header: str, param: str) -> str | None:
    """A parameter read off the header as it came (8-bit bytes as surrogate escapes), for names the
    email package could only give as replacement characters."""
    for key, value in part.raw_items():
        if key.lower() == header and isinstance(value, str):
            m = re.search(rf'(?:^|;)\s*{param}\s*=\s*(?:"([^"]*)"|([^;\s]*))', value, re.I)
            if m:
                return m.group(1) if m.group(1) is not None else m.group(2)
    return None


def _decode_header_value(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str) and any("\udc80" <= ch <= "\udcff" for ch in raw):
        return _repair_8bit(raw).strip()  # raw 8-bit header: no RFC 2047 words to decode
    try:
        return str(make_header(decode_header(str(raw)))).strip()
    except (UnicodeError, LookupError, ValueError, email.errors.HeaderParseError):
        return str(raw).strip()


def _repair_8bit(value: str) -> str:
    """Headers with raw 8-bit bytes come back with surrogate escapes: read them as UTF-8, else cp1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    for enc in ("utf-8", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _decode_part(part: Message, defects: list[str]) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    charset = part.get_content_charset() or "utf-8"
    for enc in (charset, "utf-8", "cp1252"):
        try:
            return payload.decode(enc)
        except (LookupError, UnicodeDecodeError):
            if enc == charset:
                defects.append(f"charset:{charset}")
            continue
    return payload.decode("latin-1")


_TAG = re.compile(r"<[^>]+>")
_SCRIPT = re.compile(r"<(script|style)[^>]*>.*?</\1>", re.S | re.I)
_WS = re.compile(r"[ \t\r\f\v]+")


def html_to_text(html: str) -> str:
    import html as html_lib

    html = _SCRIPT.sub(" ", html)
    html = re.sub(r"<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", html, flags=re.I)
    text = html_lib.unescape(_TAG.sub(" ", html))
    return "\n".join(_WS.sub(" ", line).strip() for line in text.splitlines() if line.strip())


def _zip_note(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return "zip: kunne ikke leses"
    total = sum(i.file_size for i in infos)
    names = ", ".join(i.filename for i in infos[:20])
    if total > ZIP_RATIO_LIMIT * max(len(data), 1):
        return f"zip: mulig utpakkingsbombe ({len(infos)} filer, {total} byte utpakket) – ikke pakket ut"
    return f"zip ({len(infos)} filer, ikke pakket ut): {names}"


def _attachment_text(att: Attachment, depth: int) -> None:
    name = att.filename.lower()
    if att.content_type == "message/rfc822" or name.endswith(".eml"):
        if depth >= MAX_DEPTH:
            att.note = "innebygd melding for dypt nestet – ikke åpnet"
            return
        try:
            att.nested = _parse(att.data, depth + 1)
        except InvalidInput as exc:
            att.note = exc.message
            return
        att.text = att.nested.full_text
        return
    if att.content_type in ("application/zip", "application/x-zip-compressed") or name.endswith(".zip"):
        att.note = _zip_note(att.data)
        return
    from . import extract  # other engineers' readers (pdf, docx, ocr) join through the dispatcher

    try:
        att.text = extract(att.data, att.filename, att.content_type).text[:MAX_BODY_CHARS]
    except InvalidInput as exc:
        att.note = exc.message
    except Exception as exc:  # noqa: BLE001 - a broken attachment must never lose the message
        att.note = f"kunne ikke lese vedlegget ({type(exc).__name__})"


def _leaves(msg: Message):
    """Leaf parts in order; an attached message (message/rfc822) is one leaf, not walked into."""
    if msg.get_content_type() == "message/rfc822" or not msg.is_multipart():
        yield msg
        return
    for sub in msg.get_payload():
        if isinstance(sub, Message):
            yield from _leaves(sub)


def _parse(data: bytes, depth: int = 0) -> ParsedMessage:
    if not data or not data.strip():
        raise InvalidInput("Meldingen er tom.")
    head = data[:4096]
    if b":" not in head.split(b"\n\n", 1)[0] and b":" not in head.split(b"\r\n\r\n", 1)[0]:
        raise InvalidInput("Filen ser ikke ut som en e-post (fant ingen meldingshoder).")
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    out = ParsedMessage()
    out.defects = sorted({type(d).__name__ for d in msg.defects})
    for key, value in msg.raw_items():  # as stored: 8-bit bytes still visible as surrogate escapes
        k = key.lower()
        if k not in out.headers:
            out.headers[k] = _decode_header_value(value)
    if not out.headers:
        raise InvalidInput("Filen ser ikke ut som en e-post (fant ingen meldingshoder).")
    out.subject = out.header("subject")
    name, addr = email.utils.parseaddr(out.header("from"))
    out.sender, out.sender_address = name.strip(), addr.strip().lower()
    out.to = [a.lower() for _, a in email.utils.getaddresses([out.header("to")]) if a]
    out.cc = [a.lower() for _, a in email.utils.getaddresses([out.header("cc")]) if a]
    mid = out.header("message-id").strip()
    out.message_id = mid or None
    if out.header("date"):
        try:
            d = email.utils.parsedate_to_datetime(out.header("date"))
            out.date = d if d.tzinfo else d.replace(tzinfo=timezone.utc)
        except (TypeError, ValueError, IndexError):
            out.defects.append("bad-date")
    else:
        out.defects.append("missing-date")
    for required in ("from", "subject", "message-id"):
        if not out.header(required):
            out.defects.append(f"missing-{required}")
    out.content_type = msg.get_content_type()
    if out.content_type == "multipart/report":
        out.report_type = (msg.get_param("report-type") or "").lower() or None
    plain: list[str] = []
    html: list[str] = []
    for part in _leaves(msg):
        ctype = part.get_content_type()
        disposition = _header_text(part.get("Content-Disposition")).lower()
        filename = _filename(part)
        if (
            ctype == "message/rfc822"
            or (filename and "attachment" in disposition)
            or (filename and not ctype.startswith("text/"))
        ):
            if ctype == "message/rfc822":
                inner = part.get_payload()
                raw = (
                    inner[0].as_bytes()
                    if isinstance(inner, list) and inner
                    else (part.get_payload(decode=True) or b"")
                )
            else:
                raw = part.get_payload(decode=True) or b""
            att = Attachment(
                filename=filename or "melding.eml",
                content_type=ctype,
                data=raw,
            )
            _attachment_text(att, depth)
            out.attachments.append(att)
            continue
        if ctype == "text/plain":
            plain.append(_decode_part(part, out.defects))
        elif ctype == "text/html":
            html.append(html_to_text(_decode_part(part, out.defects)))
        elif ctype in ("message/delivery-status", "message/disposition-notification"):
            plain.append(_decode_part(part, out.defects) or str(part.get_payload()))
    out.body = ("\n".join(plain) if any(p.strip() for p in plain) else "\n".join(html))[:MAX_BODY_CHARS]
    out.defects = sorted(set(out.defects))
    return out


# --- Outlook .msg (OLE compound file, MAPI properties) ---------------------------------------------


def _msg_prop(ole, prop: str) -> str | None:
    for suffix, enc in (("001F", "utf-16-le"), ("001E", "cp1252")):
        stream = f"__substg1.0_{prop}{suffix}"
        if ole.exists(stream):
            return ole.openstream(stream).read().decode(enc, "replace").rstrip("\x00")
    return None


def parse_msg(data: bytes) -> ParsedMessage:
    """Read an Outlook .msg: transport headers when present (the full original header block), else the
    subject, sender and body properties. Attachments are read from the ``__attach_version1.0_#`` storages."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except (OSError, ValueError) as exc:
        raise InvalidInput("Filen er ikke en gyldig Outlook-melding (.msg).") from exc
    with ole:
        headers = _msg_prop(ole, "007D") or ""
        body = _msg_prop(ole, "1000") or ""
        if not body:
            html = _msg_prop(ole, "1013")
            body = html_to_text(html) if html else ""
        subject = _msg_prop(ole, "0037") or ""
        sender_name = _msg_prop(ole, "0C1A") or ""
        sender_addr = _msg_prop(ole, "0C1F") or _msg_prop(ole, "5D01") or ""
        attachments = []
        for entry in ole.listdir(streams=False, storages=True):
            if len(entry) == 1 and entry[0].startswith("__attach_version1.0_"):
                base = entry[0]
                name = _msg_prop_in(ole, base, "3707") or _msg_prop_in(ole, base, "3704") or "vedlegg"
                mime = _msg_prop_in(ole, base, "370E") or "application/octet-stream"
                stream = f"{base}/__substg1.0_37010102"
                raw = ole.openstream(stream).read() if ole.exists(stream) else b""
                attachments.append(Attachment(filename=name, content_type=mime, data=raw))
    if headers.strip():
        out = _parse(headers.strip().encode("utf-8") + b"\r\n\r\n")
    else:
        out = ParsedMessage(defects=["no-transport-headers"])
        out.headers = {"subject": subject, "from": f"{sender_name} <{sender_addr}>".strip()}
    out.subject = out.subject or subject
    out.sender = out.sender or sender_name
    out.sender_address = out.sender_address or sender_addr.lower()
    out.body = body[:MAX_BODY_CHARS]
    for att in attachments:
        _attachment_text(att, 0)
    out.attachments = attachments
    out.format = "msg"
    return out


def _msg_prop_in(ole, storage: str, prop: str) -> str | None:
    for suffix, enc in (("001F", "utf-16-le"), ("001E", "cp1252")):
        stream = f"{storage}/__substg1.0_{prop}{suffix}"
        if ole.exists(stream):
            return ole.openstream(stream).read().decode(enc, "replace").rstrip("\x00")
    return None


# --- public API ------------------------------------------------------------------------------------


def parse_message(data: bytes, filename: str | None = None) -> ParsedMessage:
    """Parse an .eml or .msg message (detected by content, not by name). Raises InvalidInput for
    input that is not a message; repairs and records everything else in ``defects``."""
    try:
        if data[:8] == OLE_MAGIC:
            return _without_nul(parse_msg(data))
        return _without_nul(_parse(data))
    except (InvalidInput, MemoryError):
        raise
    except Exception as exc:  # the parsers of the standard library and olefile fail in many ways
        raise InvalidInput(
            f"E-posten er skadet og kan ikke leses ({type(exc).__name__}). Den er lagret som den kom."
        ) from exc


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


def _without_nul(parsed: ParsedMessage) -> ParsedMessage:
    """NUL characters dropped from every text field: no database text column takes them (PostgreSQL
    refuses), and no reader needs them. The raw bytes keep them."""
    for name, value in vars(parsed).items():
        if name != "attachments":
            setattr(parsed, name, _clean(value))
    for att in parsed.attachments:
        att.filename = _clean(att.filename)
        if isinstance(getattr(att, "text", None), str):
            att.text = _clean(att.text)
    return parsed


_MBOX_FROM = re.compile(rb"^From [^\r\n]*\r?\n", re.M)


def split_mbox(data: bytes) -> list[bytes]:
    """Split an mbox file into raw messages (mboxrd: ``>From`` unquoted one level)."""
    if not data.startswith(b"From "):
        raise InvalidInput("Filen er ikke en mbox-fil (første linje må begynne med «From »).")
    starts = [m.start() for m in _MBOX_FROM.finditer(data)]
    out = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(data)
        chunk = data[start:end]
        chunk = chunk[chunk.index(b"\n") + 1 :]
        chunk = re.sub(rb"(?m)^>(>*From )", rb"\1", chunk)
        out.append(chunk.rstrip(b"\r\n") + b"\n")
    return out


def extract_message(data: bytes, filename: str | None = None) -> Extracted:
    """The ingest dispatcher's entry: subject + body + attachment text, with header metadata."""
    if (filename or "").lower().endswith(".mbox"):
        messages = split_mbox(data)
        parsed = [parse_message(m) for m in messages]
        return Extracted(
            "\n\n".join(p.full_text for p in parsed), {"format": "mbox", "messages": len(parsed)}
        )
    p = parse_message(data, filename)
    return Extracted(
        p.full_text,
        {
            "format": p.format,
            "subject": p.subject,
            "from": p.sender_address,
            "message_id": p.message_id,
            "date": p.date.isoformat() if p.date else None,
            "attachments": [a.summary() for a in p.attachments],
            "defects": p.defects,
        },
    )
