"""Reading a table someone exported from a spreadsheet or a business system: CSV (comma, semicolon or
tab; UTF-8 with or without BOM) or Excel (.xlsx) into a pandas DataFrame of the source columns, with
numbers written the Norwegian way (decimal comma, spaces between thousands) read as numbers and every
unreadable file refused with a Norwegian message.

Shared by every service that takes tabular input; what the columns *mean* is the column mapping's job
(:mod:`kommuneki.ingest.tabular_mapping`). Pure: no database, no web.
"""

from __future__ import annotations

import io
import re
import warnings
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
            try:
                frame = pd.read_excel(io.BytesIO(data), engine="openpyxl", dtype=str if as_text else None)
            except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
                raise
            except Exception as exc:  # zipfile.BadZipFile, KeyError, XML errors from a damaged file
                raise InvalidInput(
                    f"{filename}: filen er ikke en gyldig Excel-fil (.xlsx), eller den er skadet. "
                    "Lagre den på nytt fra regnearket, eller last opp CSV."
                ) from exc
        else:
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
                        **({"dtype": str, "keep_default_na": False} if as_text else {}),
                    )
                except pd.errors.ParserWarning as exc:
                    raise InvalidInput(
                        f"{filename}: noen linjer har flere verdier enn overskriftslinjen har kolonner. "
                        "Sjekk skilletegnet («;» eller «,») og at tekst med skilletegn står i anførselstegn."
                    ) from exc
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
