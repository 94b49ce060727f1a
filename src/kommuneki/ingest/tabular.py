"""Reading a table someone exported from a spreadsheet or a business system: CSV (comma, semicolon or
tab; UTF-8 with or without BOM) or Excel (.xlsx) into a pandas DataFrame of the source columns, with
numbers written the Norwegian way (decimal comma, spaces between thousands) read as numbers and every
unreadable file refused with a Norwegian message.

Shared by every service that takes tabular input; what the columns *mean* is the column mapping's job
(:mod:`kommuneki.ingest.tabular_mapping`). Pure: no database, no web.
"""

from __future__ import annotations

import io
import lzma
import re
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import InvalidInput

# Formats an editor tries, in this order, on the values of a date column.
DATE_FORMATS = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%Y%m%dT%H%M%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d.%m.%y",
    "%m/%d/%Y",
    "%Y%m%d",
)
EXCEL_FORMATS = (".xlsx", ".xlsm")

# Bounds on what one table may cost, checked before pandas or openpyxl sees the file (an attacker's
# .xlsx is a zip: a bomb, a DOCTYPE with entities in a part, millions of shared strings).
MAX_TABLE_BYTES = 100 * 1024 * 1024  # a CSV file, or an .xlsx unpacked (all members together)
MAX_XLSX_MEMBERS = 10_000
MAX_XLSX_RATIO = 200  # uncompressed / compressed, all members together (above 10 MB unpacked)
MAX_SHARED_STRINGS = 2_000_000  # <si> entries of the shared string table
MAX_ROWS = 1_000_000  # data rows of one table (a large kommune has some 400,000 dwellings)
MAX_LINE_CHARS = 1_000_000  # one line of a CSV file

# A number written the Norwegian way: decimal comma, groups of thousands by a space (also no-break and
# thin space): "59,77226", "-0,5", "4 500 000", "1 234,5". A dot is not read as a group separator (it
# may be a decimal point), so "1.234,5" stays text.
DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:,\d+)?")


def normalise(name: Any) -> str:
    """A column name or value as a key: lower case, æøå spelt out, other characters as ``_``."""
    text = str(name).strip().lower()
    for letter, spelt in (("æ", "ae"), ("ø", "o"), ("å", "aa")):
        text = text.replace(letter, spelt)
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def check_date_format(fmt: Any) -> None:
    """Refuse a date format that strftime/pandas cannot use ("%d.%m.%Q", a trailing "%")."""
    if not isinstance(fmt, str) or not fmt.strip():
        raise InvalidInput("date_format må være et datoformat som %d.%m.%Y.")
    try:
        pd.to_datetime(pd.Series(["2024-01-01"]), format=fmt, errors="coerce")
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            f"Datoformatet «{fmt}» er ugyldig ({exc}). Bruk for eksempel %d.%m.%Y eller %Y-%m-%d."
        ) from exc


def parse_dates(values: pd.Series, fmt: str | None) -> pd.Series:
    """Dates from text: with ``fmt`` when given, else each value in whatever ISO-like form it has."""
    if fmt:
        return pd.to_datetime(values.astype(str), format=fmt, errors="coerce")
    return pd.to_datetime(values.astype(str), errors="coerce", format="mixed")


def guess_date_format(values: list[str]) -> str:
    """The first known format that reads every sample value; ``""`` (automatic) when none does."""
    if not values:
        return ""
    for fmt in DATE_FORMATS:
        if pd.to_datetime(pd.Series(values), format=fmt, errors="coerce").notna().all():
            return fmt
    return ""


def decimal_comma_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns whose every value is a number with a decimal comma (or spaces between thousands)
    become numbers, as a Norwegian spreadsheet means them; any other text column stays as it is."""
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
            continue
        values = column.dropna()
        if not len(values) or not all(isinstance(v, str) for v in values):
            continue
        if not values.str.strip().str.fullmatch(DECIMAL_COMMA.pattern).all():
            continue
        cleaned = column.map(
            lambda v: (
                v if not isinstance(v, str) else re.sub(r"[ \u00a0\u202f]", "", v.strip()).replace(",", ".")
            )
        )
        frame[name] = pd.to_numeric(cleaned, errors="coerce")
    return frame


def sniff_separator(header_line: str) -> str:
    """``;`` when the header has more of them than commas, a tab when it has more tabs still, else ``,``."""
    separator = ";" if header_line.count(";") > header_line.count(",") else ","
    if header_line.count("\t") > header_line.count(separator):
        separator = "\t"
    return separator


def read_table(data: bytes, filename: str, *, as_text: bool = False) -> pd.DataFrame:
    """CSV or Excel (.xlsx) into a DataFrame of the source columns (names as text: an Excel header cell
    may be a number or a date). A trailing separator on every line (as some exports write) adds no
    column and shifts none; numbers with a decimal comma are read as numbers (with ``as_text`` every
    cell stays the text it was, for a reader with its own rules); a file that cannot be read (a damaged
    .xlsx, not UTF-8, no table) is refused in Norwegian."""
    name = filename.lower()
    try:
        if name.endswith(EXCEL_FORMATS):
            check_xlsx(data, filename)
            try:
                frame = pd.read_excel(
                    io.BytesIO(data), engine="openpyxl", dtype=str if as_text else None, nrows=MAX_ROWS + 1
                )
            except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
                raise
            except Exception as exc:  # zipfile.BadZipFile, KeyError, XML errors from a damaged file
                raise InvalidInput(
                    f"{filename}: filen er ikke en gyldig Excel-fil (.xlsx), eller den er skadet. "
                    "Lagre den på nytt fra regnearket, eller last opp CSV."
                ) from exc
        else:
            check_csv_size(data, filename)
            text = data.decode("utf-8-sig")
            first = text.split("\n", 1)[0]
            sep = ";" if first.count(";") > first.count(",") else ","
            # index_col=False: a separator at the end of each data line must not turn the first column
            # into the index (pandas' default then silently shifts every value one column left)
            with warnings.catch_warnings():
                # a line with more values than the header has names: refused, never cut short silently
                warnings.simplefilter("error", pd.errors.ParserWarning)
                try:
                    frame = pd.read_csv(
                        io.StringIO(text),
                        sep=sep,
                        low_memory=False,
                        index_col=False,
                        nrows=MAX_ROWS + 1,
                        **({"dtype": str, "keep_default_na": False} if as_text else {}),
                    )
                except pd.errors.ParserWarning as exc:
                    raise InvalidInput(
                        f"{filename}: noen linjer har flere verdier enn overskriftslinjen har kolonner. "
                        "Sjekk skilletegnet («;» eller «,») og at tekst med skilletegn står i anførselstegn."
                    ) from exc
        if len(frame) > MAX_ROWS:
            raise _too_many_rows(filename)
        frame.columns = [str(c) for c in frame.columns]
        # a separator at the end of the header line too: an empty, unnamed last column
        empty_unnamed = [
            c
            for c in frame.columns
            if c.startswith("Unnamed: ") and (frame[c].isna() | (frame[c].astype(str) == "")).all()
        ]
        frame = frame.drop(columns=empty_unnamed)
        if not len(frame.columns):
            raise InvalidInput(f"{filename}: fant ingen kolonner i filen.")
        return frame if as_text else decimal_comma_numbers(frame)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{filename}: filen er ikke UTF-8-tekst.") from exc
    except pd.errors.EmptyDataError as exc:
        raise InvalidInput(f"{filename}: filen er tom.") from exc
    except (ValueError, pd.errors.ParserError) as exc:
        raise InvalidInput(f"{filename}: kunne ikke lese tabellen ({exc}).") from exc


def check_csv_size(data: bytes, filename: str) -> None:
    """Refuse a CSV file over :data:`MAX_TABLE_BYTES`, or with a line over :data:`MAX_LINE_CHARS` bytes
    (no table has such a line; pandas would hold it several times over)."""
    if len(data) > MAX_TABLE_BYTES:
        raise InvalidInput(
            f"{filename}: filen er større enn {MAX_TABLE_BYTES // (1024 * 1024)} MB og blir ikke lest. "
            "Del den opp i flere filer."
        )
    if data.count(b"\n") > MAX_ROWS + 2:  # the header, MAX_ROWS rows and a last newline or blank line
        raise _too_many_rows(filename)
    if len(data) <= MAX_LINE_CHARS:
        return
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        if end - start > MAX_LINE_CHARS:
            line = data.count(b"\n", 0, start) + 1
            raise InvalidInput(
                f"{filename}: linje {line} er lengre enn {MAX_LINE_CHARS // 1_000_000} million tegn. "
                "Det er ikke en tabell vi kan lese."
            )
        start = end + 1


def check_xlsx(data: bytes, filename: str) -> None:
    """Refuse an .xlsx that would cost too much to open, before openpyxl opens it: a damaged zip, too
    many members, more than :data:`MAX_TABLE_BYTES` unpacked (declared sizes first, then the bytes
    actually read, member by member, never all held at once), a zip bomb by ratio, a DOCTYPE in any XML
    part (Excel never writes one; it is how entity expansion and external entities get in), or more than
    :data:`MAX_SHARED_STRINGS` shared strings."""
    damaged = InvalidInput(
        f"{filename}: filen er ikke en gyldig Excel-fil (.xlsx), eller den er skadet. "
        "Lagre den på nytt fra regnearket, eller last opp CSV."
    )
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise damaged from exc  # NotImplementedError: a zip "version" no reader knows (found by atheris)
    if len(infos) > MAX_XLSX_MEMBERS:
        raise InvalidInput(
            f"{filename}: Excel-filen har unormalt mange deler og blir ikke åpnet (mulig zip-bombe)."
        )
    declared = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    too_large = InvalidInput(
        f"{filename}: Excel-filen pakker seg ut til mer enn {MAX_TABLE_BYTES // (1024 * 1024)} MB og blir "
        "ikke åpnet (mulig zip-bombe). Del den opp, eller last opp CSV."
    )
    if declared > MAX_TABLE_BYTES or (declared > MAX_XLSX_RATIO * packed and declared > 10 * 1024 * 1024):
        raise too_large
    total = 0
    try:
        for info in infos:
            if not info.filename or info.filename.endswith("/"):  # a folder, or a nameless member (atheris)
                continue
            xml = info.filename.endswith((".xml", ".rels", ".vml"))
            shared = info.filename.lower().endswith("sharedstrings.xml")
            sheet = info.filename.lower().startswith("xl/worksheets/")
            head, strings, rows, tail = b"", 0, 0, b""
            with z.open(info) as f:
                while chunk := f.read(1024 * 1024):
                    total += len(chunk)
                    if total > MAX_TABLE_BYTES:
                        raise too_large
                    if xml and len(head) < 65536:
                        head += chunk[: 65536 - len(head)]
                    window = tail + chunk  # a tag cut between two chunks is counted once
                    if shared:
                        strings += sum(window.count(t) - tail.count(t) for t in (b"<si>", b"<si "))
                    if sheet:
                        rows += sum(window.count(t) - tail.count(t) for t in (b"<row>", b"<row "))
                        if rows > MAX_ROWS + 1:  # the header row and MAX_ROWS data rows
                            raise _too_many_rows(filename)
                    tail = chunk[-5:]
                    if strings > MAX_SHARED_STRINGS:
                        raise InvalidInput(
                            f"{filename}: Excel-filen har mer enn {MAX_SHARED_STRINGS // 1_000_000} "
                            "millioner tekstverdier og blir ikke åpnet. Del den opp, eller last opp CSV."
                        )
            if xml and _has_doctype(head):
                raise InvalidInput(
                    f"{filename}: Excel-filen har en DTD-deklarasjon (DOCTYPE) i «{info.filename}», noe "
                    "Excel aldri skriver. Den blir ikke åpnet (mulig angrep med eksterne entiteter eller "
                    "entitetsløkker)."
                )
    except (
        zipfile.BadZipFile,
        zlib.error,
        lzma.LZMAError,  # an LZMA member with options no decoder takes (found by atheris)
        OSError,
        ValueError,
        EOFError,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        raise damaged from exc


def _too_many_rows(filename: str) -> InvalidInput:
    return InvalidInput(
        f"{filename}: tabellen har mer enn {MAX_ROWS // 1_000_000} million rader og blir ikke lest. "
        "Del den opp i flere filer."
    )


def _has_doctype(head: bytes) -> bool:
    upper = head.upper()
    return b"<!DOCTYPE" in upper or b"<\x00!\x00D\x00O\x00C\x00T\x00Y\x00P\x00E" in upper


def read_table_file(path: Path | str) -> pd.DataFrame:
    path = Path(path)
    return read_table(path.read_bytes(), path.name)


def is_excel(filename: str | None) -> bool:
    return bool(filename) and str(filename).lower().endswith(EXCEL_FORMATS)


def excel_as_csv(data: bytes, filename: str) -> bytes:
    """An Excel sheet as CSV text (UTF-8, comma), for a reader written for CSV; every cell as its text
    (an Excel date as ``YYYY-MM-DD``). Only in memory."""
    frame = read_table(data, filename, as_text=True).fillna("")
    for name in frame.columns:
        frame[name] = frame[name].map(_excel_cell)
    return frame.to_csv(index=False).encode()


def _excel_cell(value: Any) -> str:
    text = str(value)
    # openpyxl gives a date cell as "2025-03-04 00:00:00" when read as text
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2}) 00:00:00", text)
    return match.group(1) if match else text
