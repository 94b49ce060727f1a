"""Issue 12's attacker review of the tabular readers (`ingest/tabular.py`): an .xlsx that is a zip bomb, a
DOCTYPE or an external entity in a part, millions of shared strings or rows, formulas, and a CSV with a
line of many megabytes. Each is refused in Norwegian (InvalidInput) before openpyxl or pandas spends
memory on it; the bomb and the million rows are read in a subprocess whose peak memory is measured."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kommuneki.core.errors import InvalidInput
from kommuneki.ingest import tabular

CORPUS = Path(__file__).resolve().parents[1] / "regression_corpus"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("bomb-150mb-sheet.xlsx", "pakker seg ut til mer enn"),
        ("doctype-shared-strings.xlsx", "DOCTYPE"),
        ("xxe-workbook.xlsx", "DOCTYPE"),
        ("many-shared-strings.xlsx", "mulig zip-bombe"),
    ],
)
def test_a_hostile_xlsx_is_refused_in_norwegian_before_it_is_opened(name, said):
    data = (CORPUS / "xlsx" / name).read_bytes()
    with pytest.raises(InvalidInput) as err:
        tabular.read_table(data, name)
    assert said in err.value.message and name in err.value.message
    with pytest.raises(InvalidInput):  # the CSV view of an Excel sheet (bemanning) goes the same way
        tabular.excel_as_csv(data, name)


def _workbook(parts: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["a"])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for info in src.infolist():
            z.writestr(info.filename, parts.pop(info.filename, src.read(info.filename)))
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def test_a_zip_of_an_unknown_version_is_a_damaged_file_not_a_crash():
    # found by bench/fuzz_parsers.py (atheris, a mutation of small.xlsx): zipfile raised
    # NotImplementedError("zip file version 19.7") while opening it
    data = (CORPUS / "xlsx" / "zip-version-19-7.xlsx").read_bytes()
    with pytest.raises(InvalidInput) as err:
        tabular.read_table(data, "salg.xlsx")
    assert "skadet" in err.value.message


def test_more_shared_strings_than_the_bound_are_refused_even_when_they_compress_poorly():
    strings = b"".join(b"<si><t>%d</t></si>" % i for i in range(tabular.MAX_SHARED_STRINGS + 1))
    sst = f'<?xml version="1.0"?><sst xmlns="{SHEET_NS}">'.encode() + strings + b"</sst>"
    data = _workbook({"xl/sharedStrings.xml": sst})
    with pytest.raises(InvalidInput) as err:
        tabular.check_xlsx(data, "mange.xlsx")
    assert "millioner tekstverdier" in err.value.message


def test_a_sheet_with_more_rows_than_the_bound_is_refused_before_openpyxl_reads_it():
    rows = b"".join(
        b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i * 7919 % 100003)
        for i in range(1, tabular.MAX_ROWS + 3)
    )
    sheet = f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}"><sheetData>'.encode() + rows
    sheet += b"</sheetData></worksheet>"
    data = _workbook({"xl/worksheets/sheet1.xml": sheet})
    with pytest.raises(InvalidInput) as err:
        tabular.check_xlsx(data, "rader.xlsx")
    assert "million rader" in err.value.message


def test_a_csv_with_a_million_rows_and_one_more_is_refused():
    data = b"pris\n" + b"1\n" * (tabular.MAX_ROWS + 1)
    with pytest.raises(InvalidInput) as err:
        tabular.read_table(data, "salg.csv")
    assert "million rader" in err.value.message
    frame = tabular.read_table(b"pris\n" + b"1\n" * 1000, "salg.csv")  # an ordinary table still reads
    assert len(frame) == 1000


def test_a_csv_line_of_many_megabytes_is_refused_naming_the_line():
    data = b"adresse;pris\nStorgata 1;100\n" + b"x" * (tabular.MAX_LINE_CHARS + 10) + b";1\n"
    with pytest.raises(InvalidInput) as err:
        tabular.read_table(data, "salg.csv")
    assert "linje 3 er lengre enn" in err.value.message


def test_formulas_are_read_as_their_stored_values_never_as_formulas_and_nothing_is_fetched():
    frame = tabular.read_table(
        (CORPUS / "xlsx" / "formulas.xlsx").read_bytes(), "formulas.xlsx", as_text=True
    )
    cells = [str(v) for v in frame.to_numpy().ravel()]
    assert "H0102" in cells
    assert not any(c.startswith("=") for c in cells)  # openpyxl's cached values (none were saved): empty


_PEAK = """
import json, re, sys
from kommuneki.core.errors import InvalidInput
from kommuneki.ingest import tabular
data = open(sys.argv[1], "rb").read()
try:
    tabular.read_table(data, sys.argv[2])
    said = None
except InvalidInput as exc:
    said = exc.message
# VmHWM is this process image's own peak (ru_maxrss would carry pytest's over the exec)
peak = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
print(json.dumps({"said": said, "peak_kb": peak}))
"""


def test_the_zip_bomb_is_refused_with_bounded_memory(tmp_path):
    # 150 MB of sheet in a 157 KB file: refused from the declared sizes, nothing unpacked
    path = CORPUS / "xlsx" / "bomb-150mb-sheet.xlsx"
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path), path.name], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout)
    assert result["said"] and "mulig zip-bombe" in result["said"]
    assert result["peak_kb"] < 400 * 1024  # the interpreter with pandas and openpyxl is about 150 MB


def test_a_zip_member_without_a_name_is_a_norwegian_error():
    """Found by atheris (bench/fuzz_parsers.py, 10 minutes of the xlsx reader): a member whose name is
    empty made `ZipInfo.is_dir()` raise IndexError in the bounds check; now the file is refused (or read)
    with a Norwegian message, never an exception. The DOCX reader had the same check."""
    data = (CORPUS / "xlsx" / "nameless-zip-member.xlsx").read_bytes()
    with pytest.raises(InvalidInput, match="Excel"):
        tabular.read_table(data, "salg.xlsx")
    from kommuneki.ingest import extract

    try:
        extract(data, "brev.docx")
    except InvalidInput as exc:
        assert exc.message


def test_an_lzma_member_with_bad_options_is_a_norwegian_error():
    """Found by a second 10-minute atheris run of the xlsx reader: an LZMA-compressed member whose
    options no decoder takes raised `lzma.LZMAError` through the bounds check (and the DOCX reader)."""
    from kommuneki.ingest import extract

    data = (CORPUS / "xlsx" / "lzma-bad-options.xlsx").read_bytes()
    with pytest.raises(InvalidInput, match="Excel"):
        tabular.read_table(data, "salg.xlsx")
    with pytest.raises(InvalidInput):
        extract(data, "brev.docx")
