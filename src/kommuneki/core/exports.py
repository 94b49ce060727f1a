"""Spreadsheet exports that cannot carry a formula (CSV and XLSX injection, OWASP "CSV Injection").

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheet programs skip before reading a formula) is run as a formula when a CSV file is opened in
Excel or LibreOffice: a unit id like ``=HYPERLINK("https://…";"Klikk")`` becomes a live link, and
``=cmd|' /C calc'!A0`` a DDE command. Every export of the platform writes its cells through this
module:

- CSV: such a text gets a leading apostrophe (``'=HYPERLINK(…)``), which the spreadsheet shows as text
  and a person can read; numbers (``int``/``float``) are written as they are, so ``-5`` stays a number.
- XLSX: such a text is stored as a string cell with Excel's "quote prefix" style (openpyxl otherwise
  stores any text that starts with ``=`` as a formula); the text itself is kept exactly.

Services use :func:`csv_writer`, :func:`csv_dict_writer` and :func:`xlsx_bytes` instead of the standard
``csv`` module and ``openpyxl``'s ``ws.append``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

# The characters a spreadsheet reads a formula from, and the two it skips before one (OWASP).
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r", "\n")
# The full-width forms Excel also accepts as a formula's start in some locales.
FORMULA_LEAD_WIDE = ("\uff1d", "\uff0b", "\uff0d", "\uff20")


def is_formula_like(value: Any) -> bool:
    """True for a text a spreadsheet would read as a formula (leading spaces are skipped too)."""
    if not isinstance(value, str):
        return False
    text = value.lstrip(" \u00a0")
    return bool(text) and (text.startswith(FORMULA_LEAD) or text.startswith(FORMULA_LEAD_WIDE))


def neutralise(value: Any) -> Any:
    """A cell value safe to write to CSV: formula-like text gets a leading apostrophe; everything else
    (numbers, dates, ``None``, ordinary text) is returned unchanged."""
    return "'" + value if is_formula_like(value) else value


class _SafeWriter:
    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _SafeDictWriter:
    def __init__(self, writer: csv.DictWriter) -> None:
        self._writer = writer

    def writeheader(self) -> Any:
        return self._writer.writeheader()

    def writerow(self, row: dict[str, Any]) -> Any:
        return self._writer.writerow({k: neutralise(v) for k, v in row.items()})

    def writerows(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(f: Any, **kwargs: Any) -> _SafeWriter:
    """``csv.writer`` whose every cell goes through :func:`neutralise` (headers included)."""
    return _SafeWriter(csv.writer(f, **kwargs))


def csv_dict_writer(f: Any, fieldnames: Sequence[str], **kwargs: Any) -> _SafeDictWriter:
    """``csv.DictWriter`` whose every value goes through :func:`neutralise`."""
    return _SafeDictWriter(csv.DictWriter(f, fieldnames=fieldnames, **kwargs))


def xlsx_bytes(
    header: Sequence[Any], rows: Iterable[Sequence[Any]], *, sheet: str = "Ark1", freeze_header: bool = True
) -> bytes:
    """One sheet as an .xlsx file. Text is always stored as text, never as a formula: a formula-like
    text is kept exactly and marked with Excel's quote prefix, so editing the cell keeps it text."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    for r, values in enumerate([header, *rows], start=1):
        for c, value in enumerate(values, start=1):
            if is_formula_like(value):
                cell = ws.cell(row=r, column=c, value=value)  # openpyxl reads it as a formula ("f")
                cell.data_type = "s"  # stored as an inline string: the text exactly, never evaluated
                cell.quotePrefix = True
            else:
                ws.cell(row=r, column=c, value=value)
    if freeze_header:
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]], **kwargs: Any) -> str:
    """A whole CSV file as text, every cell neutralised."""
    buf = io.StringIO()
    w = csv_writer(buf, **kwargs)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()
