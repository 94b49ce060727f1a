"""A tenant's handled mail as training and evaluation history, from three sources:

* **a folder** laid out ``<action>/<unit or ->/[<dokumenttype or ->/]*.eml|.msg|.mbox``;
* **a CSV file**, one row per handled message: ``action``, ``unit``, ``dokumenttype`` (optional
  ``delete_reason``) and either ``file`` (an .eml/.msg/.mbox relative to the CSV) or the text columns
  ``subject``/``from``/``body``, from which a minimal RFC 5322 message is built;
* **a Noark 5 arkivuttrekk** (``arkivstruktur.xml``, v5.0): every incoming journalpost becomes a
  ``journalfores`` row with its administrative unit and its hoveddokument's dokumenttype, the text being
  the title, the korrespondansepart's name and, where the extract holds a readable file, the document text;
* **a .zip** of any of these (how a folder or an extract with its documents travels to a worker, which
  may run on another machine: :func:`pack` makes one, :func:`load` unpacks it to a temporary folder).

Every source gives the same thing: raw message bytes and a label dict per message, so one training path
(``training.train_on``: parse → ``features.model_text`` → ``TextModel``) serves all of them. Pure: files
in, lists out; no database. Bad CSV rows and unusable journalposts are collected as Norwegian problems
naming the line (or journalpost) and the reason, and the rest goes on.
"""

from __future__ import annotations

import csv
import io
import lzma
import tempfile
import unicodedata
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Any

from ...core.errors import DomainError, InvalidInput
from ...ingest import noark5
from ...ingest.email import parse_message, split_mbox
from . import engine

MESSAGE_SUFFIXES = (".eml", ".msg", ".mbox")
NOARK_NS = noark5.NOARK_NS
#: Documents of a journalpost whose text is read (through kommuneki.ingest).
DOCUMENT_SUFFIXES = (".txt", ".pdf", ".docx")
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_DOCUMENT_CHARS = 20000
#: How many problems the error message quotes when nothing usable is left.
QUOTED_PROBLEMS = 10

ACTION_ALIASES = {
    "journalfores": "journalfores",
    "journalfort": "journalfores",
    "journalfor": "journalfores",
    "videresendes": "videresendes",
    "videresendt": "videresendes",
    "videresend": "videresendes",
    "slettes": "slettes",
    "slettet": "slettes",
    "slett": "slettes",
}
DELETE_REASONS = ("spam", "newsletter", "auto_reply", "read_receipt", "bounce", "duplicate", "other")
# CSV column names: the documented English name first, then the Norwegian ones also accepted.
CSV_COLUMNS = {
    "action": ("action", "handling"),
    "unit": ("unit", "enhet"),
    "dokumenttype": ("dokumenttype", "document_type"),
    "delete_reason": ("delete_reason", "slettegrunn"),
    "file": ("file", "fil"),
    "subject": ("subject", "emne", "tittel"),
    "from": ("from", "fra", "avsender"),
    "body": ("body", "tekst", "innhold"),
    "date": ("date", "dato"),
}
# Noark 5 dokumenttype (M083, free text: «Brev», «Søknad» …) → the Fiks Arkiv codes the engine uses.
DOKUMENTTYPE_SYNONYMS = {
    "brev": "KORR",
    "e-post": "KORR",
    "epost": "KORR",
    "e-brev": "KORR",
    "soknad": "SØKNAD",
    "innsynsbegjaering": "INNSYNSKRAV",
    "innsynsbegjæring": "INNSYNSKRAV",
    "begjaering om innsyn": "INNSYNSKRAV",
    "begjæring om innsyn": "INNSYNSKRAV",
}
INCOMING = ("inngående dokument", "inngaaende dokument", "inngående", "i")
CANCELLED = ("utgår", "utgaar", "u")
SENDER_TYPES = ("avsender", "ea")
INTERNAL_RECIPIENT_TYPES = ("intern mottaker", "im")


@dataclass
class History:
    """Messages (raw bytes) with their labels, and what was left out and why."""

    raws: list[bytes] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # rows left out, with line and reason
    notes: list[str] = field(default_factory=list)  # used, but something to know
    sources: list[str] = field(default_factory=list)  # «name (kind, n meldinger)»

    def add(self, raw: bytes, labels: dict[str, Any]) -> None:
        self.raws.append(raw)
        self.labels.append(labels)

    def extend(self, other: "History") -> None:
        self.raws += other.raws
        self.labels += other.labels
        self.problems += other.problems
        self.notes += other.notes
        self.sources += other.sources

    def summary(self) -> dict[str, Any]:
        return {
            "messages": len(self.raws),
            "sources": self.sources,
            "problems": self.problems,
            "notes": self.notes,
            "actions": dict(Counter(lab["action"] for lab in self.labels)),
        }


def label(
    action: str, unit: str | None, dokumenttype: str | None, delete_reason: str | None = None
) -> dict[str, Any]:
    return {
        "action": action,
        "unit": unit or None,
        "dokumenttype": dokumenttype or None,
        "delete_reason": delete_reason or None,
        "innsyn": dokumenttype == "INNSYNSKRAV",
    }


def _fold(value: str) -> str:
    """Lower case, æ/ø/å and accents folded to ASCII: «Journalføres» → «journalfores»."""
    value = value.strip().casefold().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))


def normalise_action(value: str | None) -> str | None:
    return ACTION_ALIASES.get(_fold(value or ""))


def fiks_dokumenttype(value: str | None) -> str | None:
    """A dokumenttype as the engine knows it: a Fiks Arkiv code (or the tenant's INNSYNSKRAV) where the
    value is one, names one («Søknad» → SØKNAD) or is a common synonym («Brev» → KORR); else the value
    as given (the tenant's own type). Empty and «-» give None."""
    value = (value or "").strip()
    if not value or value == "-":
        return None
    known = {**engine.FIKS_DOKUMENTTYPER, **engine.TENANT_DOKUMENTTYPER}
    if value.upper() in known:
        return value.upper()
    by_label = {lab.casefold(): code for code, lab in known.items()}
    if value.casefold() in by_label:
        return by_label[value.casefold()]
    return DOKUMENTTYPE_SYNONYMS.get(value.casefold()) or DOKUMENTTYPE_SYNONYMS.get(_fold(value)) or value


def message_bytes(subject: str, sender: str, body: str, when: datetime | date | None = None) -> bytes:
    """A minimal RFC 5322 message (stdlib ``email``) from text: what a row without a file trains on."""
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = " ".join(subject.split())
    name, addr = parseaddr(sender or "")
    if "@" in addr and addr.isascii():
        msg["From"] = formataddr((name, addr))
    elif "@" in addr:  # an address with letters such as ü or ø (found by atheris): kept as the name
        msg["From"] = formataddr((" ".join(f"{name} {addr}".split()), ""))
    elif (sender or "").strip():
        msg["From"] = formataddr((" ".join(sender.split()), ""))
    if when is not None:
        if not isinstance(when, datetime):
            when = datetime.combine(when, time(12, 0))
        msg["Date"] = format_datetime(when if when.tzinfo else when.replace(tzinfo=timezone.utc))
    msg.set_content(body or "")
    return msg.as_bytes()


def messages_in(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return split_mbox(data) if path.suffix.lower() == ".mbox" else [data]


def _inside(base: Path, relative: str) -> Path | None:
    """``relative`` under ``base``; None when it points outside (``..``, an absolute path elsewhere)."""
    p = (base / relative.replace("\\", "/")).resolve()
    return p if p.is_relative_to(base) else None


# --- sources ---------------------------------------------------------------------------------------------


def load(path: Path, *, documents: bool = True) -> History:
    """One source, chosen by what ``path`` is: a folder, a ``.csv``, a Noark 5 ``.xml`` or a ``.zip`` of
    one of them."""
    if path.is_dir():
        return from_folder(path)
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return from_zip(path, documents=documents)
    if suffix == ".csv":
        return from_csv(path)
    if suffix == ".xml":
        return from_noark(path, documents=documents)
    raise InvalidInput(
        f"{path.name}: ukjent historikk. Bruk en mappe (<handling>/<enhet>/[<dokumenttype>/]fil), "
        "en CSV-fil (.csv), et Noark 5-arkivuttrekk (arkivstruktur.xml) eller en .zip med en av dem."
    )


#: Limits on an unpacked history archive (a zip bomb is refused, not unpacked).
MAX_ZIP_FILES = 200_000
MAX_ZIP_BYTES = 4 * 1024 * 1024 * 1024
#: a .zip that unpacks to more than this many bytes *and* more than MAX_ZIP_RATIO × its packed size is
#: refused as a zip bomb (an archive's own documents compress far less)
MAX_ZIP_RATIO_FLOOR = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100


def pack(path: Path) -> bytes:
    """A folder as a .zip (its contents at the top), for a history that travels to a worker; a single
    file as a .zip holding it. :func:`load` reads it back."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file():
                    z.write(f, f.relative_to(path).as_posix())
        else:
            z.write(path, path.name)
    return buf.getvalue()


def from_zip(path: Path, *, documents: bool = True) -> History:
    """A .zip of a history: unpacked to a temporary folder (paths outside it, too many files or too many
    bytes refused), then read as what it holds: the CSV files at its top and every Noark 5 extract
    (``arkivstruktur.xml``) in it; with neither, the folder layout."""
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(f"{path.name}: kan ikke leses som .zip ({exc}).") from None
    with z, tempfile.TemporaryDirectory(prefix="kommuneki-history-") as tmp:
        root = Path(tmp).resolve()
        # folders and nameless members left out (ZipInfo.is_dir() raises on an empty name)
        entries = [i for i in z.infolist() if i.filename and not i.filename.endswith("/")]
        declared = sum(i.file_size for i in entries)
        packed = max(1, sum(i.compress_size for i in entries))
        if len(entries) > MAX_ZIP_FILES or declared > MAX_ZIP_BYTES:
            raise InvalidInput(f"{path.name}: for mange filer eller for mye innhold i .zip-filen.")
        if declared > MAX_ZIP_RATIO_FLOOR and declared > MAX_ZIP_RATIO * packed:
            raise InvalidInput(
                f"{path.name}: .zip-filen pakker seg ut til {declared // (1024 * 1024)} MB fra "
                f"{packed // 1024} kB og blir ikke pakket ut (mulig zip-bombe)."
            )
        try:
            for info in entries:
                target = _inside(root, info.filename)
                if target is None:
                    raise InvalidInput(f"{path.name}: «{info.filename}» peker utenfor .zip-filen.")
                target.parent.mkdir(parents=True, exist_ok=True)
                with z.open(info) as src, open(target, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
        except (
            zipfile.BadZipFile,
            zlib.error,
            lzma.LZMAError,
            EOFError,
            NotImplementedError,
            RuntimeError,
        ) as exc:
            raise InvalidInput(f"{path.name}: .zip-filen er skadet og kan ikke pakkes ut.") from exc
        tops = [p for p in root.iterdir() if not p.name.startswith(("__MACOSX", "."))]
        if len(tops) == 1 and tops[0].is_dir() and tops[0].name not in engine.ACTIONS:
            root = tops[0]  # a zipped folder: its contents
        noark = sorted(root.rglob("arkivstruktur.xml"))
        csvs = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
        if not noark and not csvs:
            return from_folder(root)
        out = History()
        for c in csvs:
            out.extend(from_csv(c))
        for xml in noark:
            out.extend(from_noark(xml, documents=documents))
        return out


def load_all(paths: list[Path] | tuple[Path, ...], *, documents: bool = True) -> History:
    """Every source together; refuses when no usable message is left (quoting the first problems)."""
    out = History()
    for p in paths:
        out.extend(load(Path(p), documents=documents))
    if not out.raws:
        shown = out.problems[:QUOTED_PROBLEMS]
        more = len(out.problems) - len(shown)
        raise InvalidInput(
            "Ingen brukbare meldinger i historikken."
            + ("".join(f"\n  {p}" for p in shown) if shown else "")
            + (f"\n  … og {more} til." if more > 0 else "")
        )
    return out


def from_folder(folder: Path) -> History:
    """FOLDER/<action>/<unit or ->/[<dokumenttype or ->/]*.eml|.msg|.mbox (a wrong layout is refused)."""
    out = History()
    files = sorted(f for f in folder.rglob("*") if f.is_file() and f.suffix.lower() in MESSAGE_SUFFIXES)
    for f in files:
        parts = f.relative_to(folder).parts
        if len(parts) < 2 or parts[0] not in engine.ACTIONS:
            raise InvalidInput(
                f"{f}: forventet mappene <handling>/<enhet>/[<dokumenttype>/]fil, "
                "der handling er journalfores, videresendes eller slettes."
            )
        unit = parts[1] if len(parts) > 2 and parts[1] != "-" else None
        dtype = parts[2] if len(parts) > 3 and parts[2] != "-" else None
        for raw in messages_in(f):
            out.add(raw, label(parts[0], unit, dtype))
    out.sources.append(f"{folder.name} (mappe, {len(out.raws)} meldinger)")
    return out


def _decode_csv(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def from_csv(path: Path) -> History:
    """One row per handled message; see the module docstring for the columns. The delimiter (``;``,
    ``,`` or tab) is taken from the header line; UTF-8 with or without BOM, else Windows-1252."""
    out = History()
    text = _decode_csv(path.read_bytes())
    header_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max(";,\t", key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(f"{path.name}: CSV-filen er tom.") from None
    names = [h.strip().lstrip("\ufeff").casefold() for h in header]
    col: dict[str, int] = {}
    for key, aliases in CSV_COLUMNS.items():
        for alias in aliases:
            if alias in names:
                col[key] = names.index(alias)
                break
    if "action" not in col:
        raise InvalidInput(
            f"{path.name}: CSV-filen mangler kolonnen «action» (handling). Kolonner: action; unit; "
            "dokumenttype; og enten file eller subject, from og body."
        )
    if "file" not in col and not {"subject", "body"} & col.keys():
        raise InvalidInput(
            f"{path.name}: CSV-filen trenger kolonnen «file» (sti til .eml/.msg) eller tekstkolonnene "
            "«subject», «from» og «body»."
        )
    base = path.resolve().parent
    used = 0
    line = reader.line_num
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            out.problems.append(f"{path.name} linje {start}: kan ikke leses som CSV ({exc}).")
            break
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        try:
            used += _csv_row(out, row, col, len(names), base)
        except DomainError as exc:
            out.problems.append(f"{path.name} linje {start}: {exc.message}")
        except (ValueError, UnicodeError, LookupError) as exc:  # a message that cannot be built or read
            out.problems.append(f"{path.name} linje {start}: kunne ikke lese meldingen ({exc}).")
    out.sources.append(f"{path.name} (CSV, {used} meldinger)")
    return out


def _csv_row(out: History, row: list[str], col: dict[str, int], width: int, base: Path) -> int:
    if len(row) != width:
        raise InvalidInput(f"har {len(row)} felt, men overskriften har {width}.")

    def get(key: str) -> str:
        return row[col[key]].strip() if key in col else ""

    action = normalise_action(get("action"))
    if action is None:
        raise InvalidInput(
            f"ukjent handling «{get('action')}» (bruk journalfores, videresendes eller slettes)."
        )
    unit = get("unit")
    unit = None if unit in ("", "-") else unit
    dtype = fiks_dokumenttype(get("dokumenttype")) if action == "journalfores" else None
    reason = get("delete_reason") or None
    if reason is not None:
        reason = reason.casefold().replace("-", "_").replace(" ", "_")
        if reason not in DELETE_REASONS:
            raise InvalidInput(
                f"ukjent slettegrunn «{get('delete_reason')}» (bruk {', '.join(DELETE_REASONS)})."
            )
    lab = label(action, unit, dtype, reason if action == "slettes" else None)
    ref = get("file")
    if ref:
        p = _inside(base, ref)
        if p is None:
            raise InvalidInput(f"filen «{ref}» ligger utenfor mappen til CSV-filen.")
        if not p.is_file():
            raise InvalidInput(f"finner ikke filen «{ref}».")
        if p.suffix.lower() not in MESSAGE_SUFFIXES:
            raise InvalidInput(f"«{ref}» er ikke en e-post (.eml, .msg eller .mbox).")
        raws = messages_in(p)
        for raw in raws:
            parse_message(raw, p.name)  # a file that is not mail is this row's problem, not the training's
        if not raws:
            raise InvalidInput(f"ingen meldinger i «{ref}».")
        for raw in raws:
            out.add(raw, lab)
        return len(raws)
    subject, sender, body = get("subject"), get("from"), get("body")
    if not (subject or body):
        raise InvalidInput("mangler både fil og tekst (file, eller subject/from/body).")
    when = None
    if get("date"):
        try:
            when = datetime.fromisoformat(get("date"))
        except ValueError:
            raise InvalidInput(f"ugyldig dato «{get('date')}» (bruk ÅÅÅÅ-MM-DD).") from None
    out.add(message_bytes(subject, sender, body, when), lab)
    return 1


# --- Noark 5 arkivuttrekk ------------------------------------------------------------------------------


def from_noark(path: Path, *, documents: bool = True) -> History:
    """Incoming journalposts of a Noark 5 (v5.0) arkivstruktur.xml, read by the one Noark reader
    (:mod:`kommuneki.ingest.noark5`, streamed, DOCTYPE and broken XML refused):

    * only journalposts of journalposttype «Inngående dokument» (or the Fiks code I), not «Utgår»;
    * action ``journalfores``;
    * unit: ``administrativEnhet`` of the journalpost (directly, as some exports write it, else its
      korrespondansepart of type «Intern mottaker», else any korrespondansepart's), else the nearest
      enclosing mappe's that has one;
    * dokumenttype: the hoveddokument's ``dokumenttype`` through :func:`fiks_dokumenttype`;
    * text: tittel as subject, the sender korrespondansepart as From and at the end of the body, and the
      text of the hoveddokument's file (``referanseDokumentfil``, relative to the XML) when it is a
      readable .txt/.pdf/.docx inside the extract; a missing or unreadable file is counted, not fatal.
    """
    out = History()
    counts: Counter = Counter()
    for reg in noark5.read(path):
        _journalpost(reg, documents, counts, out)
    if counts["not_incoming"]:
        out.notes.append(
            f"{path.name}: {counts['not_incoming']} journalposter som ikke er inngående, ble ikke brukt."
        )
    if counts["cancelled"]:
        out.notes.append(
            f"{path.name}: {counts['cancelled']} journalposter med status «Utgår» ble ikke brukt."
        )
    if counts["no_unit"]:
        out.notes.append(
            f"{path.name}: {counts['no_unit']} journalposter uten administrativ enhet (verken på "
            "journalposten eller saksmappen) trener ikke enhet."
        )
    if counts["no_document"]:
        out.notes.append(
            f"{path.name}: for {counts['no_document']} journalposter manglet dokumentfilen eller den "
            "kunne ikke leses; bare tittel og korrespondansepart ble brukt."
        )
    out.sources.append(f"{path.name} (Noark 5-arkivuttrekk, {len(out.raws)} inngående journalposter)")
    return out


def _journalpost(reg: noark5.Registrering, documents: bool, counts: Counter, out: History) -> None:
    if not reg.journalposttype:
        return  # a registrering that is no journalpost (arkivnotat, møteregistrering)
    if reg.journalposttype.casefold() not in INCOMING:
        counts["not_incoming"] += 1
        return
    if reg.journalstatus.casefold() in CANCELLED:
        counts["cancelled"] += 1
        return
    ident = f"{reg.journalaar}/{reg.journalsekvensnummer}".strip("/") or reg.system_id or "uten nummer"
    if not reg.tittel:
        out.problems.append(f"journalpost {ident}: mangler tittel, ble ikke brukt.")
        return
    parts = [p for p in reg.parter if p.element == "korrespondansepart"]
    sender = next((p for p in parts if p.type.casefold() in SENDER_TYPES), parts[0] if parts else None)
    name, addr = (sender.navn, sender.epostadresse) if sender else ("", "")
    internal = [p for p in parts if p.type.casefold() in INTERNAL_RECIPIENT_TYPES]
    unit = (
        reg.administrativ_enhet
        or next((p.administrativ_enhet for p in internal + parts if p.administrativ_enhet), "")
        or reg.from_mappe("administrativ_enhet")
        or None
    )
    if unit is None:
        counts["no_unit"] += 1
    main = reg.hoveddokument()
    text = ""
    if documents and main is not None:
        text = _document_text(main)
        if not text:
            counts["no_document"] += 1
    body = "\n\n".join(p for p in (text, name) if p)
    out.add(
        message_bytes(
            reg.tittel, formataddr((name, addr)) if addr else name, body, reg.mottatt_dato or reg.journaldato
        ),
        label("journalfores", unit, fiks_dokumenttype(main.dokumenttype if main else None)),
    )


def _document_text(doc: noark5.Dokument) -> str:
    """Text of the first readable file of the dokumentbeskrivelse (inside the extract's folder)."""
    from ...ingest import extract

    for obj in doc.objekter:
        p = obj.path
        if p is None or p.suffix.lower() not in DOCUMENT_SUFFIXES or not p.is_file():
            continue
        try:
            return extract(p.read_bytes(), p.name, max_bytes=MAX_DOCUMENT_BYTES).text[:MAX_DOCUMENT_CHARS]
        except (DomainError, OSError, ValueError):
            continue
    return ""


def map_units(history: History, units: list[tuple[str, str]]) -> int:
    """Unit labels given by name («Teknisk drift», as archive extracts write them) → the tenant's unit code
    (``teknisk-drift``), which forwarding uses. Codes and unknown values are kept. Returns how many
    changed."""
    lookup: dict[str, str] = {}
    for code, name in units:
        lookup.setdefault(code.casefold(), code)
        if name:
            lookup.setdefault(" ".join(name.split()).casefold(), code)
    changed = 0
    for lab in history.labels:
        unit = lab.get("unit")
        if unit:
            code = lookup.get(" ".join(unit.split()).casefold())
            if code and code != unit:
                lab["unit"] = code
                changed += 1
    return changed
