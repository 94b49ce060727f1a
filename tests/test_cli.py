"""The `kommuneki` command, run as a real subprocess with its own data folder (committed data, no
rolled-back transaction): --json puts only JSON lines on stdout, a failed input gets its own error line
and a non-zero exit code, --tenant scopes every command, audit verify/export work on the files.

Each subprocess imports the whole platform (a few seconds on a busy machine), so independent commands
run concurrently and setup that is not under test (tenant B's data) is done in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from kommuneki.core import accounts, audit
from kommuneki.core.models import AuditEntry, Tenant
from kommuneki.services.malform.service import analyse_document
from tests.conftest import _truncate_all, make_platform

CLI = [sys.executable, "-c", "from kommuneki.cli import main; main(prog_name='kommuneki')"]
NYNORSK = "Eg lurer på kva tid vegen forbi skulen blir brøyta. Borna må gå i vegbana kvar morgon."
BOKMAL = "Jeg lurer på når veien forbi skolen blir brøytet. Barna må gå i veibanen hver morgen."


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMMUNEKI_")}
    env.update(extra)
    return env


def start(*args, data_dir: Path | None = None, database_url: str | None = None, stdin: str | None = None,
          cwd: Path | None = None, **env) -> subprocess.Popen:
    base = list(CLI)
    if data_dir is not None:
        base += ["--data-dir", str(data_dir)]
    if database_url is not None:
        base += ["--database-url", database_url]
    p = subprocess.Popen(base + [str(a) for a in args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=_env(**env), cwd=cwd)
    p._stdin_text = stdin  # noqa: SLF001 - handed to communicate() in finish()
    return p


def finish(p: subprocess.Popen) -> subprocess.CompletedProcess:
    out, err = p.communicate(p._stdin_text, timeout=120)  # noqa: SLF001
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def run(*args, **kw) -> subprocess.CompletedProcess:
    return finish(start(*args, **kw))


def json_lines(r: subprocess.CompletedProcess) -> list[dict]:
    """Every stdout line must be one JSON object (nothing else on stdout with --json)."""
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    out = [json.loads(line) for line in lines]
    assert all(isinstance(o, dict) for o in out), r.stdout
    return out


def test_scan_without_database_gives_json_lines_and_an_error_line(tmp_path):
    (tmp_path / "god.txt").write_text(NYNORSK)
    (tmp_path / "binaer.txt").write_bytes(b"\x00\x01\x02 binary")
    (tmp_path / "engelsk.txt").write_text("Hello, I would like to register my children for kindergarten please.")
    data_dir = tmp_path / "data"
    procs = {
        "scan": start("malform", "scan", "god.txt", "binaer.txt", "mangler.txt", "engelsk.txt", "--json",
                      cwd=tmp_path, data_dir=data_dir),
        # production mode without a secret: a command that needs the platform stops with the message
        "prod": start("tenant", "list", "--json", cwd=tmp_path, data_dir=data_dir, KOMMUNEKI_MODE="production"),
        # a misspelt setting is refused, not ignored
        "typo": start("tenant", "list", cwd=tmp_path, data_dir=data_dir, KOMMUNEKI_DATABSE_URL="sqlite://"),
        # a domain error: one JSON error line, exit code 2, no traceback
        "invalid": start("tenant", "create", "--slug", "Ugyldig Slug", "--name", "X", "--json", cwd=tmp_path,
                         data_dir=tmp_path / "other"),
    }
    r = finish(procs["scan"])
    assert r.returncode == 1, r.stderr  # one input or more failed
    rows = json_lines(r)
    assert [Path(row.get("file") or row.get("input")).name for row in rows] == \
        ["god.txt", "binaer.txt", "mangler.txt", "engelsk.txt"]  # one line per input, in order
    good, binary, missing, english = rows
    assert good["value"]["language"] == "nn" and good["recorded"] is False and "error" not in good
    assert binary["error"] and binary["code"] == "invalid_input"
    assert missing["error"] and missing["code"] == "io_error"
    assert english["value"]["language"] == "en"  # inputs after the failures still succeed
    assert "[1/4]" in r.stderr and "2 av 4 feilet" in r.stderr  # progress goes to stderr
    assert not data_dir.exists()  # no database, no data folder: nothing recorded without a tenant

    r = finish(procs["prod"])
    assert r.returncode != 0 and "KOMMUNEKI_SECRET_KEY" in r.stderr and r.stdout == ""
    r = finish(procs["typo"])
    assert r.returncode != 0 and "KOMMUNEKI_DATABSE_URL" in r.stderr
    r = finish(procs["invalid"])
    assert r.returncode == 2
    (err,) = json_lines(r)
    assert err["code"] == "invalid_input" and "Kortnavnet" in err["error"]
    assert "Traceback" not in r.stderr


def test_tenant_user_token_audit_workflow(tmp_path):
    d = tmp_path / "data"
    (tmp_path / "a1.txt").write_text(NYNORSK)
    (tmp_path / "a2.txt").write_text(BOKMAL)

    r = run("tenant", "create", "--slug", "alfa", "--name", "Alfa kommune", "--kommunenummer", "0101", "--json",
            data_dir=d)
    assert r.returncode == 0, r.stderr
    (alfa,) = json_lines(r)
    assert alfa["slug"] == "alfa" and alfa["kommunenummer"] == "0101"

    # tenant B and its data, made in-process (not what is tested here)
    platform = make_platform(d)
    try:
        with platform.db.installation_session() as s:
            beta = accounts.create_tenant(s, slug="beta", name="Beta kommune", kommunenummer="0202").id
        b_item = analyse_document(platform, beta, NYNORSK.encode(), filename="b.txt", actor="test")["item_id"]
    finally:
        platform.close()

    procs = [start("tenant", "list", "--json", data_dir=d),
             start("user", "add", "kari", "--role", "saksbehandler", "--role", "arkivar", "--tenant", "alfa",
                   "--password-stdin", "--json", data_dir=d, stdin="hemmelig-passord\n"),
             start("malform", "scan", "a1.txt", "a2.txt", "--tenant", "alfa", "--json", data_dir=d, cwd=tmp_path),
             # two tenants and no demo tenant: the command must be told which
             start("audit", "verify", "--json", data_dir=d),
             start("db", "upgrade", "--json", data_dir=d)]
    listed, added, scanned, ambiguous, upgraded = [finish(p) for p in procs]
    assert [t["slug"] for t in json_lines(listed)] == ["alfa", "beta"]
    assert added.returncode == 0, added.stderr
    assert json_lines(added)[0]["roles"] == ["saksbehandler", "arkivar"]
    assert scanned.returncode == 0, scanned.stderr
    recorded = json_lines(scanned)
    assert [row["recorded"] for row in recorded] == [True, True]
    assert [row["value"]["language"] for row in recorded] == ["nn", "nb"]
    assert ambiguous.returncode != 0 and "--tenant" in json_lines(ambiguous)[0]["error"]
    assert json_lines(upgraded) == [{"database": "sqlite", "upgraded": True}]
    a_item = recorded[0]["item_id"]

    procs = [start("token", "create", "--user", "kari", "--name", "integrasjon", "--tenant", "alfa", "--json",
                   data_dir=d),
             start("audit", "export", "--tenant", "alfa", "-o", tmp_path / "alfa.jsonl", data_dir=d),
             start("audit", "export", "--tenant", "alfa", "--item", a_item, data_dir=d),
             start("audit", "export", "--tenant", "alfa", "--item", b_item, data_dir=d)]
    created, full, one_item, guessed = [finish(p) for p in procs]
    assert created.returncode == 0, created.stderr
    token = json_lines(created)[0]["token"]
    assert full.returncode == 0, full.stderr

    # the token works against the API, in its own tenant only
    platform = make_platform(d)
    try:
        from kommuneki.web.app import create_app

        with TestClient(create_app(platform=platform), headers={"Authorization": f"Bearer {token}"}) as c:
            me = c.get("/api/v1/me").json()
            assert me["tenant"]["slug"] == "alfa" and me["roles"] == ["arkivar", "saksbehandler"]
            assert c.get(f"/api/v1/items/{b_item}").status_code == 404
            assert len(c.get("/api/v1/suggestions").json()["items"]) == 2
        with platform.db.installation_session() as s:
            a_id = s.scalar(select(Tenant.id).where(Tenant.slug == "alfa"))
            item_seqs = sorted(s.scalars(select(AuditEntry.seq).where(AuditEntry.chain == f"t{a_id}",
                                                                      AuditEntry.item_id == a_item)))
    finally:
        platform.close()

    # a full export of A holds A's chain only, and nothing about B's item
    rows = [json.loads(x) for x in (tmp_path / "alfa.jsonl").read_text().splitlines()]
    assert rows and {row["chain"] for row in rows} == {f"t{a_id}"}
    assert [row["seq"] for row in rows] == list(range(1, len(rows) + 1))
    # one item's export: exactly that item's entries (item.received, suggestion.created)
    item_rows = json_lines(one_item)
    assert [row["seq"] for row in item_rows] == item_seqs and {row["item_id"] for row in item_rows} == {a_item}
    assert {row["event"] for row in item_rows} >= {"item.received", "suggestion.created"}
    # guessing B's item id from A exports nothing
    assert guessed.returncode == 0 and json_lines(guessed) == []

    # tamper with the SQLite file behind the platform's back: verify names the first bad entry, while
    # the export taken before still verifies on its own
    engine = create_engine(f"sqlite:///{d / 'kommuneki.db'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET data = '{}' WHERE chain = :c AND seq = 3"), {"c": f"t{a_id}"})
    engine.dispose()
    forged = [dict(row) for row in rows]
    forged[1]["data"] = json.dumps({"via": "forfalsket"})
    (tmp_path / "forged.jsonl").write_text("".join(json.dumps(row) + "\n" for row in forged))
    procs = [start("audit", "verify", "--file", tmp_path / "alfa.jsonl", "--json", data_dir=d),
             start("audit", "verify", "--tenant", "alfa", "--json", data_dir=d),
             start("audit", "verify", "--file", tmp_path / "forged.jsonl", "--json", data_dir=d)]
    exported, bad, forged_file = [finish(p) for p in procs]
    assert forged_file.returncode == 1 and json_lines(forged_file)[0]["first_bad_seq"] == 2
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert json_lines(exported)[0]["ok"] is True and json_lines(exported)[0]["entries"] == len(rows)
    assert bad.returncode == 1
    (result,) = json_lines(bad)
    assert result["ok"] is False and result["first_bad_seq"] == 3 and "altered" in result["problem"]


def test_cli_on_postgresql(request, tmp_path):
    """The same commands against PostgreSQL given with --database-url."""
    url = request.getfixturevalue("pg_database")
    _truncate_all(url)
    d = tmp_path / "data"
    r = run("tenant", "create", "--slug", "pgkommune", "--name", "PG kommune", "--json", data_dir=d,
            database_url=url)
    assert r.returncode == 0, r.stderr
    procs = [start("tenant", "list", "--json", data_dir=d, database_url=url),
             start("audit", "verify", "--json", data_dir=d, database_url=url),
             start("tenant", "create", "--slug", "pgkommune", "--name", "Igjen", "--json", data_dir=d,
                   database_url=url)]
    listed, verified, again = [finish(p) for p in procs]
    assert [t["slug"] for t in json_lines(listed)] == ["pgkommune"]
    # the only tenant is the default; its chain holds tenant.created
    assert verified.returncode == 0 and json_lines(verified)[0]["entries"] == 1
    # a refused input: one JSON error line, non-zero exit, nothing on stdout but JSON
    assert again.returncode != 0 and json_lines(again)[0]["code"] == "conflict"
    assert not (d / "kommuneki.db").exists()  # PostgreSQL was used, not a SQLite file
