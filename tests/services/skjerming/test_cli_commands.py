"""`kommuneki skjerming scan|redact` with no database: files, folders, stdin; a bad file gives its own
error line and the batch goes on; redact writes redacted files and a report without the withheld text."""

from __future__ import annotations

import json
import os

from click.testing import CliRunner
from tests.ingest.makers import make_docx, make_pdf

from kommuneki.cli import main

FNR = "26078704828"


def run(args, input=None):
    return CliRunner().invoke(main, args, input=input, catch_exceptions=False)


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_scan_folder_json_with_bad_files(tmp_path):
    (tmp_path / "a.txt").write_text(f"Fødselsnummer {FNR}.", encoding="utf-8")
    (tmp_path / "b.docx").write_bytes(make_docx(body=[f"Fnr {FNR}"]))
    (tmp_path / "c.pdf").write_bytes(b"%PDF-1.4 broken")
    (tmp_path / "d.txt").write_bytes(b"")
    big = tmp_path / "e.txt"
    with open(big, "wb") as f:  # a 200 MB file (sparse: no disk used) is refused by size before reading
        f.truncate(200 * 1024 * 1024)
    r = CliRunner().invoke(main, ["skjerming", "scan", str(tmp_path), "--json", "--with-text"])
    assert r.exit_code == 1  # some inputs failed, the batch went on
    out = {os.path.basename(d.get("path") or d.get("input")): d for d in lines(r.stdout)}
    assert set(out) == {"a.txt", "b.docx", "c.pdf", "d.txt", "e.txt"}
    a = out["a.txt"]
    assert a["decision"] == "partial" and a["internet"] == "partial" and a["text"] == f"Fødselsnummer {FNR}."
    f = a["findings"][0]
    assert {"type", "start", "end", "text", "score", "hjemmel", "explanation"} <= set(f)
    assert (f["type"], a["text"][f["start"] : f["end"]], f["hjemmel"]) == (
        "FODSELSNUMMER",
        FNR,
        "offl. § 26 (5)",
    )
    assert out["b.docx"]["findings"][0]["text"] == FNR
    assert "skadet" in out["c.pdf"]["error"] and "tom" in out["d.txt"]["error"]
    assert out["e.txt"]["code"] == "payload_too_large"


def test_scan_stdin_without_text():
    r = run(["skjerming", "scan", "-", "--json"], input="Ring meg, fnr " + FNR)
    (d,) = lines(r.stdout)
    assert d["path"] == "-" and "text" not in d and d["findings"][0]["type"] == "FODSELSNUMMER"


def test_scan_human_output(tmp_path):
    (tmp_path / "a.txt").write_text("Ingen opplysninger her.", encoding="utf-8")
    r = run(["skjerming", "scan", str(tmp_path / "a.txt")])
    assert "kan offentliggjøres" in r.stdout


def test_redact_writes_files_and_report(tmp_path):
    src = tmp_path / "inn"
    src.mkdir()
    (src / "brev.txt").write_text(f"Søker med fødselsnummer {FNR} får svar.", encoding="utf-8")
    (src / "brev2.pdf").write_bytes(make_pdf([[f"Fødselsnummer {FNR}"]], title=FNR))
    out = tmp_path / "ut"
    r = run(["skjerming", "redact", str(src), "--out", str(out), "--no-text-layer", "--json"])
    assert r.exit_code == 0, r.output
    assert (out / "brev-skjermet.txt").read_text(
        encoding="utf-8"
    ) == "Søker med fødselsnummer [skjermet] får svar."
    assert FNR.encode() not in (out / "brev2-skjermet.pdf").read_bytes()
    report = (out / "skjerming-rapport.json").read_text(encoding="utf-8")
    assert FNR not in report  # the report holds types, offsets and hjemler, never the withheld text
    assert [w["hjemmel"] for w in json.loads(report)[0]["withheld"]] == ["offl. § 26 (5)"]


def test_scan_with_tenant_records_suggestions(tmp_path):
    from sqlalchemy import select
    from tests.conftest import make_platform

    from kommuneki.core import accounts
    from kommuneki.core.models import Item, Suggestion

    platform = make_platform(tmp_path / "data")
    platform.upgrade_db()
    with platform.db.installation_session() as s:
        tenant_id = accounts.create_tenant(s, slug="cli-kommune", name="CLI kommune", actor="test").id
    (tmp_path / "a.txt").write_text(f"Fødselsnummer {FNR}.", encoding="utf-8")
    r = CliRunner(env={"KOMMUNEKI_DATA_DIR": str(tmp_path / "data")}).invoke(
        main,
        [
            "skjerming",
            "scan",
            str(tmp_path / "a.txt"),
            "--json",
            "--tenant",
            "cli-kommune",
            "--title",
            "Brev med fødselsnummer",
        ],
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output
    (d,) = lines(r.stdout)
    assert d["recorded"] is True and "text" not in d
    with platform.db.tenant_session(tenant_id) as s:
        assert s.get(Item, d["item_id"]).state == "screened"
        kinds = set(s.scalars(select(Suggestion.kind).where(Suggestion.item_id == d["item_id"])))
    assert kinds == {"skjerming.innsyn", "skjerming.internett", "skjerming.offentlig_tittel"}
    platform.close()
