"""The `kommuneki` command with its own data folder (committed data, no rolled-back transaction):
--json puts only JSON lines on stdout, a failed input gets its own error line and a non-zero exit code,
--tenant scopes every command, audit verify/export work on the files.

One test runs the command as real subprocesses (scan with no database, production mode without a
secret, PostgreSQL through --database-url), all at once:
every process imports the whole platform with every service's libraries, which takes seconds. The
workflow tests use click's runner in-process, which keeps stdout and stderr apart just the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from kommuneki.cli import main
from kommuneki.core import accounts
from kommuneki.core.models import AuditEntry, Tenant
from kommuneki.services.malform.service import analyse_document
from tests.conftest import _truncate_all, audit_guard_lifted, make_platform

CLI = [sys.executable, "-c", "from kommuneki.cli import main; main(prog_name='kommuneki')"]
NYNORSK = "Eg lurer på kva tid vegen forbi skulen blir brøyta. Borna må gå i vegbana kvar morgon."
BOKMAL = "Jeg lurer på når veien forbi skolen blir brøytet. Barna må gå i veibanen hver morgen."


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMMUNEKI_")}
    env.update(extra)
    return env


def start(*args, cwd: Path | None = None, **env) -> subprocess.Popen:
    return subprocess.Popen(
        CLI + [str(a) for a in args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=_env(**env),
        cwd=cwd,
    )


def finish(p: subprocess.Popen) -> subprocess.CompletedProcess:
    out, err = p.communicate(timeout=300)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def json_lines(stdout: str) -> list[dict]:
    """Every stdout line must be one JSON object (nothing else on stdout with --json)."""
    out = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    assert all(isinstance(o, dict) for o in out), stdout
    return out


def cli(*args, data_dir: Path | None = None, input: str | None = None, **env):
    """Run the command in-process. Returns click's Result (exit_code, stdout, stderr)."""
    base = ["--data-dir", str(data_dir)] if data_dir is not None else []
    result = CliRunner(env={k: None for k in os.environ if k.startswith("KOMMUNEKI_")} | env).invoke(
        main, base + [str(a) for a in args], input=input, catch_exceptions=True
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def _seed_tampered(d: Path) -> int:
    """A SQLite installation with tenant alfa and five audit entries, entry 3 altered behind its back."""
    p = make_platform(d)
    try:
        p.upgrade_db()
        with p.db.installation_session() as s:
            t = accounts.create_tenant(s, slug="alfa", name="Alfa kommune").id
        with p.db.tenant_session(t) as s:
            for i in range(4):
                accounts.create_unit(
                    s, t, code=f"enhet-{i}", name=f"Enhet {i}", email=f"e{i}@x.test", actor="test"
                )
    finally:
        p.close()
    engine = create_engine(f"sqlite:///{d / 'kommuneki.db'}")
    with engine.begin() as conn, audit_guard_lifted(conn):
        conn.execute(text("UPDATE audit_entry SET data = '{}' WHERE chain = :c AND seq = 3"), {"c": f"t{t}"})
    engine.dispose()
    return t


def test_real_subprocesses(request, tmp_path):
    (tmp_path / "god.txt").write_text(NYNORSK)
    (tmp_path / "binaer.txt").write_bytes(b"\x00\x01\x02 binary")
    (tmp_path / "engelsk.txt").write_text(
        "Hello, I would like to register my children for kindergarten please."
    )
    pg_url = request.getfixturevalue("pg_database")
    _truncate_all(pg_url)
    pg = make_platform(tmp_path / "pg", pg_url)
    try:
        with pg.db.installation_session() as s:
            accounts.create_tenant(s, slug="pgkommune", name="PG kommune")
    finally:
        pg.close()
    nodb = tmp_path / "nodb"

    procs = {
        # analysing files needs no database and no tenant; nothing is recorded
        "scan": start(
            "--data-dir",
            nodb,
            "malform",
            "scan",
            "god.txt",
            "binaer.txt",
            "mangler.txt",
            "engelsk.txt",
            "--json",
            cwd=tmp_path,
        ),
        # production mode without a secret: the command stops with the message
        "prod": start(
            "--data-dir", tmp_path / "prod", "tenant", "list", "--json", KOMMUNEKI_MODE="production"
        ),
        # PostgreSQL given on the command line; the only tenant is the default
        "pg": start(
            "--data-dir", tmp_path / "pg", "--database-url", pg_url, "audit", "verify", "--all", "--json"
        ),
    }
    r = {name: finish(p) for name, p in procs.items()}

    scan = r["scan"]
    assert scan.returncode == 1, scan.stderr  # one input or more failed
    rows = json_lines(scan.stdout)
    assert [Path(row.get("file") or row.get("input")).name for row in rows] == [
        "god.txt",
        "binaer.txt",
        "mangler.txt",
        "engelsk.txt",
    ]  # one line per input, in order
    good, binary, missing, english = rows
    assert good["value"]["language"] == "nn" and good["recorded"] is False and "error" not in good
    assert binary["error"] and binary["code"] == "invalid_input"
    assert missing["error"] and missing["code"] == "io_error"
    assert english["value"]["language"] == "en"  # inputs after the failures still succeed
    assert "[1/4]" in scan.stderr and "2 av 4 feilet" in scan.stderr  # progress goes to stderr
    assert not nodb.exists()  # no database, no data folder

    assert r["prod"].returncode != 0 and "KOMMUNEKI_SECRET_KEY" in r["prod"].stderr and r["prod"].stdout == ""
    assert not (tmp_path / "prod" / "kommuneki.db").exists()

    assert r["pg"].returncode == 0, r["pg"].stderr
    chains = json_lines(r["pg"].stdout)
    assert [c["ok"] for c in chains] == [True, True] and chains[1]["entries"] == 1  # tenant.created
    assert not (tmp_path / "pg" / "kommuneki.db").exists()  # PostgreSQL was used, not a SQLite file


def test_verify_names_the_first_bad_entry_after_tampering_with_the_sqlite_file(tmp_path):
    _seed_tampered(tmp_path)
    r = cli("audit", "verify", "--json", data_dir=tmp_path)
    assert r.exit_code == 1
    (result,) = json_lines(r.stdout)
    assert result["ok"] is False and result["first_bad_seq"] == 3 and "altered" in result["problem"]


def test_configuration_and_input_errors(tmp_path):
    # a misspelt setting is refused, not ignored
    r = cli("tenant", "list", data_dir=tmp_path, KOMMUNEKI_DATABSE_URL="sqlite://")
    assert r.exit_code != 0 and "KOMMUNEKI_DATABSE_URL" in r.stderr
    # a domain error: one JSON error line on stdout, exit code 2
    r = cli("tenant", "create", "--slug", "Ugyldig Slug", "--name", "X", "--json", data_dir=tmp_path)
    assert r.exit_code == 2
    (err,) = json_lines(r.stdout)
    assert err["code"] == "invalid_input" and "Kortnavnet" in err["error"]


def test_tenant_user_token_audit_workflow(tmp_path):
    d = tmp_path / "data"
    (tmp_path / "a1.txt").write_text(NYNORSK)
    (tmp_path / "a2.txt").write_text(BOKMAL)

    r = cli(
        "tenant",
        "create",
        "--slug",
        "alfa",
        "--name",
        "Alfa kommune",
        "--kommunenummer",
        "0101",
        "--json",
        data_dir=d,
    )
    assert r.exit_code == 0, r.stderr
    (alfa,) = json_lines(r.stdout)
    assert alfa["slug"] == "alfa" and alfa["kommunenummer"] == "0101"

    # tenant B and its data, made directly (not what is tested here)
    platform = make_platform(d)
    try:
        with platform.db.installation_session() as s:
            beta = accounts.create_tenant(s, slug="beta", name="Beta kommune", kommunenummer="0202").id
        b_item = analyse_document(platform, beta, NYNORSK.encode(), filename="b.txt", actor="test")["item_id"]
    finally:
        platform.close()

    r = cli("tenant", "list", "--json", data_dir=d)
    assert [t["slug"] for t in json_lines(r.stdout)] == ["alfa", "beta"]
    r = cli(
        "user",
        "add",
        "kari",
        "--role",
        "saksbehandler",
        "--role",
        "arkivar",
        "--tenant",
        "alfa",
        "--password-stdin",
        "--json",
        data_dir=d,
        input="hemmelig-passord\n",
    )
    assert r.exit_code == 0, r.stderr
    assert json_lines(r.stdout)[0]["roles"] == ["saksbehandler", "arkivar"]
    r = cli(
        "malform", "scan", tmp_path / "a1.txt", tmp_path / "a2.txt", "--tenant", "alfa", "--json", data_dir=d
    )
    assert r.exit_code == 0, r.stderr
    recorded = json_lines(r.stdout)
    assert [row["recorded"] for row in recorded] == [True, True]
    assert [row["value"]["language"] for row in recorded] == ["nn", "nb"]
    a_item = recorded[0]["item_id"]
    # the second document's entries come between; disposing of the first adds an entry for it later on,
    # so its item export has a gap
    r = cli("retention", "erase", a_item, "--reason", "kassasjon", "--tenant", "alfa", "--json", data_dir=d)
    assert json_lines(r.stdout) == [{"item_id": a_item, "removed": "kassasjon"}]
    # two tenants and no demo tenant: the command must be told which
    r = cli("audit", "verify", "--json", data_dir=d)
    assert r.exit_code != 0 and "--tenant" in json_lines(r.stdout)[0]["error"]
    r = cli("db", "upgrade", "--json", data_dir=d)
    assert json_lines(r.stdout) == [{"database": "sqlite", "upgraded": True}]

    r = cli(
        "token", "create", "--user", "kari", "--name", "integrasjon", "--tenant", "alfa", "--json", data_dir=d
    )
    assert r.exit_code == 0, r.stderr
    token = json_lines(r.stdout)[0]["token"]
    full = cli("audit", "export", "--tenant", "alfa", "-o", tmp_path / "alfa.jsonl", data_dir=d)
    assert full.exit_code == 0 and full.stdout == "", full.stderr  # the file is the output
    one_item = cli("audit", "export", "--tenant", "alfa", "--item", a_item, data_dir=d)
    guessed = cli("audit", "export", "--tenant", "alfa", "--item", b_item, data_dir=d)

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
            item_seqs = sorted(
                s.scalars(
                    select(AuditEntry.seq).where(AuditEntry.chain == f"t{a_id}", AuditEntry.item_id == a_item)
                )
            )
    finally:
        platform.close()

    # a full export of A holds A's chain only, and nothing about B's item
    rows = [json.loads(x) for x in (tmp_path / "alfa.jsonl").read_text().splitlines()]
    assert rows and {row["chain"] for row in rows} == {f"t{a_id}"}
    assert [row["seq"] for row in rows] == list(range(1, len(rows) + 1))
    # one item's export: exactly that item's entries
    item_rows = json_lines(one_item.stdout)
    assert [row["seq"] for row in item_rows] == item_seqs and {row["item_id"] for row in item_rows} == {
        a_item
    }
    assert {row["event"] for row in item_rows} >= {
        "item.received",
        "suggestion.created",
        "item.content_removed",
    }
    assert [b["seq"] - a["seq"] for a, b in zip(item_rows, item_rows[1:], strict=False)] != [1] * (
        len(item_rows) - 1
    )
    # guessing B's item id from A exports nothing
    assert guessed.exit_code == 0 and json_lines(guessed.stdout) == []

    # an export verifies on its own; a forged line in it is named
    r = cli("audit", "verify", "--file", tmp_path / "alfa.jsonl", "--json", data_dir=d)
    assert r.exit_code == 0, r.stdout + r.stderr
    assert json_lines(r.stdout)[0]["ok"] is True and json_lines(r.stdout)[0]["entries"] == len(rows)
    forged = [dict(row) for row in rows]
    forged[1]["data"] = json.dumps({"via": "forfalsket"})
    (tmp_path / "forged.jsonl").write_text("".join(json.dumps(row) + "\n" for row in forged))
    r = cli("audit", "verify", "--file", tmp_path / "forged.jsonl", "--json", data_dir=d)
    assert r.exit_code == 1 and json_lines(r.stdout)[0]["first_bad_seq"] == 2
    # a line removed from a full export is a missing entry
    (tmp_path / "gap.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for i, row in enumerate(rows) if i != 2)
    )
    r = cli("audit", "verify", "--file", tmp_path / "gap.jsonl", "--json", data_dir=d)
    assert r.exit_code == 1 and json_lines(r.stdout)[0]["first_bad_seq"] == 3
    # one item's export (what an innsyn request gets) verifies on its own despite the gaps between its
    # entries; an altered entry in it is named
    (tmp_path / "item.jsonl").write_text(one_item.stdout)
    r = cli("audit", "verify", "--file", tmp_path / "item.jsonl", "--json", data_dir=d)
    assert r.exit_code == 0 and json_lines(r.stdout)[0]["entries"] == len(item_rows), r.stdout
    item_rows[-1]["data"] = json.dumps({"confidence": 1.0})
    (tmp_path / "item-forged.jsonl").write_text("".join(json.dumps(row) + "\n" for row in item_rows))
    r = cli("audit", "verify", "--file", tmp_path / "item-forged.jsonl", "--json", data_dir=d)
    assert r.exit_code == 1 and json_lines(r.stdout)[0]["first_bad_seq"] == item_rows[-1]["seq"]
    # the human-readable form names the first bad entry too
    r = cli("audit", "verify", "--file", tmp_path / "forged.jsonl", data_dir=d)
    assert r.exit_code == 1 and "post 2" in r.stdout


def test_tenant_sessions_shortens_the_limits_and_refuses_nonsense(tmp_path):
    d = tmp_path / "data"
    assert cli("tenant", "create", "--slug", "alfa", "--name", "Alfa kommune", data_dir=d).exit_code == 0
    r = cli("tenant", "sessions", "--tenant", "alfa", "--json", data_dir=d)
    assert json_lines(r.stdout) == [{"tenant_id": 1, "idle_s": 1800, "max_age_s": 28800}]
    r = cli("tenant", "sessions", "--tenant", "alfa", "--idle-minutes", "10", "--max-hours", "4", data_dir=d)
    assert r.exit_code == 0 and "10 minutter uten aktivitet, senest 4 timer" in r.stdout, r.output
    r = cli("tenant", "sessions", "--tenant", "alfa", "--idle-minutes", "0", "--json", data_dir=d)
    assert r.exit_code == 2 and "1 til 1440" in json_lines(r.stdout)[0]["error"]
