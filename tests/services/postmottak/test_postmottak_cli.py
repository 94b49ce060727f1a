"""`kommuneki postmottak triage` with no database: one JSON object per message, errors on their own line."""

from __future__ import annotations

import json

from click.testing import CliRunner
from pm_helpers import make_eml

from kommuneki.cli import main
from kommuneki.services.postmottak import corpus


def test_triage_json_lines_and_a_failed_input(tmp_path):
    for i, m in enumerate(corpus.generate(3, split="heldout", seed=31)):
        (tmp_path / f"m{i}.eml").write_bytes(m.raw)
    (tmp_path / "innsyn.eml").write_bytes(
        make_eml("Innsynskrav", "Jeg ber om innsyn i sak 2025/12.", date="Fri, 17 Oct 2025 12:00:00 +0200")
    )
    (tmp_path / "brutt.eml").write_bytes(b"\x00\x01\x02")
    mbox = tmp_path / "eksport.mbox"
    mbox.write_bytes(
        b"From a@b Fri Oct 17 12:00:00 2025\n"
        + make_eml("En", "Hull i veien.")
        + b"\nFrom a@b Fri Oct 17 12:00:00 2025\n"
        + make_eml("To", "Gatelyset er ute.", message_id="<2@x>")
    )
    result = CliRunner().invoke(
        main, ["--data-dir", str(tmp_path / "ingen-db"), "postmottak", "triage", str(tmp_path), "--json"]
    )
    assert result.exit_code == 1  # one input failed
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    errors = [x for x in lines if "error" in x]
    assert len(errors) == 1 and errors[0]["input"].endswith("brutt.eml")
    ok = [x for x in lines if "error" not in x]
    assert len(ok) == 3 + 1 + 2
    for x in ok:
        assert x["action"]["value"] in ("journalfores", "videresendes", "slettes")
        assert 0 <= x["action"]["confidence"] <= 1
        assert set(x) >= {"path", "action", "unit", "dokumenttype", "innsyn", "sensitive", "explanation"}
        assert set(x["innsyn"]) >= {"detected", "received", "deadline", "deemed_refusal"}
    innsyn = next(x for x in ok if x["path"].endswith("innsyn.eml"))["innsyn"]
    assert innsyn == {
        "detected": True,
        "possible": False,
        "via_einnsyn": False,
        "received": "2025-10-17",
        "deadline": "2025-10-22",
        "deemed_refusal": "2025-10-24",
    }
    assert sum(1 for x in ok if "eksport.mbox#" in x["path"]) == 2
    assert not (tmp_path / "ingen-db").exists()  # no database was made
