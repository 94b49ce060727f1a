"""Nothing lost in mail: raw 8-bit attachment names parse; receive() stores and commits the raw bytes
before it parses; one bad input never stops `postmottak triage DIR` (errors listed per file, exit code
non-zero at the end)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from kommuneki.cli import main
from kommuneki.core import items
from kommuneki.core.models import Item
from kommuneki.ingest.email import parse_message
from kommuneki.services.postmottak import service

CORPUS = Path(__file__).resolve().parents[2] / "regression_corpus" / "email"


def test_raw_8bit_attachment_names_are_read():
    utf8 = parse_message((CORPUS / "raw-8bit-filename.eml").read_bytes())
    assert [a.filename for a in utf8.attachments] == ["ciële.txt"]
    assert utf8.attachments[0].text.startswith("Innhold i vedlegget")
    latin1 = parse_message((CORPUS / "raw-8bit-name-latin1.eml").read_bytes())
    assert [a.filename for a in latin1.attachments] == ["søknad.pdf"]


def test_receive_stores_the_raw_bytes_whatever_the_parser_makes_of_them(tenant):
    platform, tid = tenant
    for path in sorted(CORPUS.iterdir()):
        raw = path.read_bytes()
        pm_id, new = service.receive(platform, tid, raw, source="test", actor="test", filename=path.name)
        assert new
        with platform.db.read_session(tid) as s:
            item = s.scalars(select(Item).where(Item.filename == path.name)).one()
            assert items.read_content(s, platform.blobs, item) == raw  # stored as it came
        summary = service.process(platform, tid, pm_id, actor="test")
        assert summary["state"] in ("triaged", "failed", "processed", "forwarded", "journalfort"), summary


def test_one_bad_message_never_stops_triage(tmp_path):
    r = CliRunner().invoke(
        main, ["--data-dir", str(tmp_path / "ingen-db"), "postmottak", "triage", str(CORPUS), "--json"]
    )
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    errors = [x for x in lines if "error" in x]
    assert r.exit_code == 1 and [Path(e["input"]).name for e in errors] == ["binary-junk.eml"]
    assert len(lines) == len(list(CORPUS.iterdir()))  # every file answered
    assert all(e["code"] == "invalid_input" for e in errors)
