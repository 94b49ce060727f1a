"""Målform, the worked example of a service: its engine, its service (bytes stored before they are
read), its CLI without a database, its API route and its demo loader."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from kommuneki.core import accounts
from kommuneki.core.errors import InvalidInput
from kommuneki.core.models import Item, Suggestion
from kommuneki.services.malform import demo, engine, service
from kommuneki.services.malform.cli import group

# (text, expected language, why the case is here)
CASES = [
    (
        "Eg lurer på kva tid vegen blir brøyta, for borna må gå i vegbana.",
        "nn",
        "nynorsk forms: eg, kva, vegen",
    ),
    ("Jeg lurer på når veien blir brøytet, for barna må gå i veibanen.", "nb", "the bokmål pair of the same"),
    ("Hello, I would like to register my children for kindergarten.", "en", "an English letter"),
    ("Me har fått brevet dykkar og vil svare innan fristen.", "nn", "dykkar, innan: nynorsk only"),
]


@pytest.mark.parametrize(("text", "language", "why"), CASES, ids=[c[2] for c in CASES])
def test_engine_names_the_language_with_its_scores(text, language, why):
    proposal = engine.suggest_malform(text)
    assert proposal.value == {"language": language}, why
    scores = {e["language"]: e["score"] for e in proposal.explanation["evidence"]}
    assert max(scores, key=scores.get) == language
    assert 0 <= proposal.confidence <= 1 and proposal.kind == engine.KIND


def test_service_stores_the_bytes_before_reading_them(platform):
    with platform.db.installation_session() as session:
        tenant_id = accounts.create_tenant(session, slug="mf", name="Mf kommune", kommunenummer="0404").id
    out = service.analyse_document(platform, tenant_id, CASES[0][0].encode(), filename="a.txt", actor="test")
    assert out["value"] == {"language": "nn"} and out["item_id"]
    with pytest.raises(InvalidInput):  # not a document: refused in Norwegian, but kept and marked failed
        service.analyse_document(platform, tenant_id, b"%PDF-1.7 broken", filename="b.pdf", actor="test")
    with platform.db.tenant_session(tenant_id) as session:
        states = dict(session.execute(select(Item.filename, Item.state)).all())
        assert states == {"a.txt": "analysed", "b.pdf": "failed"}
        assert session.scalar(select(Suggestion.kind)) == "malform"


def test_cli_scan_needs_no_database(tmp_path):
    letter = tmp_path / "brev.txt"
    letter.write_text(CASES[1][0], encoding="utf-8")
    result = CliRunner().invoke(group, ["scan", str(letter), "--json"], obj={"overrides": {}})
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout.strip().splitlines()[0])
    assert line["value"] == {"language": "nb"} and line["recorded"] is False


def test_demo_loader_adds_its_letters_once(platform):
    with platform.db.installation_session() as session:
        tenant_id = accounts.create_tenant(session, slug="mfd", name="Mfd kommune", kommunenummer="0405").id
    assert demo.load(platform, tenant_id, lambda _m: None) == len(demo.DEMO_DOCUMENTS)
    assert demo.load(platform, tenant_id, lambda _m: None) == 0
