"""`kommuneki register …` (CliRunner on the real command group)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kommuneki.cli import main
from kommuneki.core.registry import discover as default_registry

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_export_without_a_database_lists_the_own_services(tmp_path):
    data_dir = tmp_path / "empty"
    r = CliRunner().invoke(main, ["--data-dir", str(data_dir), "register", "export", "--json"])
    assert r.exit_code == 0, r.output
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    assert len(lines) == 1  # ONE JSON object
    out = json.loads(lines[0])
    assert out["tenant"] is None and out["source"] == "registry"
    expected = {s.name for s in default_registry() if s.kinds}
    assert {s["service"] for s in out["systems"]} == expected
    for s in out["systems"]:
        assert {
            "name",
            "purpose",
            "owner",
            "status",
            "risk_class",
            "articles",
            "legal_basis",
            "human_oversight",
            "models",
        } <= set(s)
        spec = default_registry().get(s["service"])
        assert {m["name"] for m in s["models"]} == {c["name"] for c in spec.model_cards()}
    assert not (data_dir / "kommuneki.db").exists()  # nothing was created


@SQLITE_ONLY
def test_export_of_a_tenant_and_the_dutch_field_names(gov, tmp_path, db_url):
    platform, ids = gov
    base = ["--data-dir", str(tmp_path), "--database-url", db_url, "register"]
    r = CliRunner().invoke(main, base + ["export", "--json", "--tenant", "demo"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["tenant"]["slug"] == "demo"
    copilot = next(s for s in out["systems"] if s["name"] == "Microsoft 365 Copilot")
    assert copilot["risk_class"] == "begrenset" and "art. 50(1)" in copilot["articles"]
    assert copilot["owner"]["unit"] == "IT og digitalisering"
    assert copilot["legal_basis"]["art6"].startswith("Art. 6 nr. 1 bokstav e")
    r = CliRunner().invoke(
        main, base + ["export", "--json", "--tenant", "demo", "--standard", "algoritmeregister"]
    )
    dutch = json.loads(r.stdout)["systems"]
    entry = next(s for s in dutch if s["name"] == "Microsoft 365 Copilot")
    assert entry["standard_version"] == "0.3.1" and entry["risk_category"] == "limited risk"
    assert entry["status"] == "pilot" and entry["organization"] == "Demo kommune"


@SQLITE_ONLY
def test_classify_document_and_training_basis_commands(gov, tmp_path, db_url):
    platform, ids = gov
    base = ["--data-dir", str(tmp_path), "--database-url", db_url, "register"]
    run = lambda *a: CliRunner().invoke(main, base + list(a))  # noqa: E731
    r = run(
        "add",
        "--name",
        "Leverandørens søknadsrobot",
        "--supplier",
        "Robot AS",
        "--status",
        "pilot",
        "--json",
        "--tenant",
        "demo",
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["source"] == "external"
    r = run("add", "--name", "Leverandørens søknadsrobot", "--tenant", "demo")
    assert r.exit_code == 2 and "allerede" in r.stderr
    listing = [json.loads(line) for line in run("list", "--json", "--tenant", "demo").stdout.splitlines()]
    assert "Leverandørens søknadsrobot" in {s["name"] for s in listing}
    sid = next(s["id"] for s in listing if s["key"] == "service:malform")
    answers = tmp_path / "svar.json"
    answers.write_text(json.dumps({"ki_system": "nei"}))
    r = run("classify", str(sid), "--answers", str(answers), "--json", "--tenant", "demo")
    assert r.exit_code == 0 and json.loads(r.stdout)["risk_class"] == "utenfor"
    answers.write_text("{not json")
    r = run("classify", str(sid), "--answers", str(answers), "--tenant", "demo")
    assert r.exit_code == 2 and "ikke gyldig JSON" in r.stderr
    out = tmp_path / "dpia.docx"
    r = run("document", str(sid), "dpia", "-o", str(out), "--json", "--tenant", "demo")
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"PK")
    r = run("training-basis", "malform", "--basis", "kort", "--tenant", "demo")
    assert r.exit_code == 2 and "minst ti tegn" in r.stderr
