"""The register on a real database (SQLite and PostgreSQL), built from the running demo services."""

from __future__ import annotations

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select

from kommuneki.core import audit, modelreg
from kommuneki.core.db import Base
from kommuneki.core.errors import Conflict, InvalidInput, NotFound
from kommuneki.core.models import AuditEntry
from kommuneki.services.governance import register, service
from kommuneki.services.governance.models import KiSystem, KiSystemRevision

from .conftest import cli


def _events(platform, tid, name):
    with platform.db.tenant_session(tid) as session:
        return [audit.decoded_data(e) for e in audit.query(session, tid, event=name)]


def test_migration_matches_the_governance_tables(db_url):
    engine = create_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    ours = [d for d in diff if "ki_" in repr(d)]
    assert ours == []


def test_register_is_built_from_the_running_demo_services(gov):
    demo_platform, demo_ids = gov
    tid = demo_ids["demo"]
    data = service.overview(demo_platform, cli(tid))
    by_key = {s["key"]: s for s in data["systems"]}
    for spec in demo_platform.registry:
        if not spec.kinds:
            assert f"service:{spec.name}" not in by_key  # governance itself is not an AI system
            continue
        entry = by_key[f"service:{spec.name}"]
        assert entry["source"] == "kommuneki" and entry["purpose"] == spec.description
        shipped = {(c["name"], str(c["version"])) for c in spec.model_cards()}
        assert shipped <= {(m["name"], m["version"]) for m in entry["models"]}
        for m in entry["models"]:
            assert m["intended_use"] and "limitations" in m
    # the demo classifies the own services from plain facts; none of them comes out high-risk (a
    # property-tax valuation is not annex III point 5a)
    own = [spec.name for spec in demo_platform.registry if spec.register]
    assert len(own) >= 4
    for name in own:
        if f"service:{name}" in by_key:
            assert by_key[f"service:{name}"]["risk_class"] == "minimal", name
            assert by_key[f"service:{name}"]["annex_iii"] == [], name
    # external systems from the demo loader, classified by the questionnaire
    copilot = by_key["ext:microsoft-365-copilot"]
    assert copilot["source"] == "external" and copilot["risk_class"] == "begrenset"
    assert "art. 50(1)" in copilot["articles"]
    # every creation is audited with ids only, and the chain still verifies
    created = _events(demo_platform, tid, "governance.system_created")
    assert len(created) == len(data["systems"])
    with demo_platform.db.installation_session() as session:
        assert audit.verify_chain(session, audit.chain_for(tid), demo_platform.settings.checkpoint_dir).ok


def test_a_retrained_model_changes_the_register_entry(gov):
    demo_platform, demo_ids = gov
    tid = demo_ids["demo"]
    before = service.overview(demo_platform, cli(tid))["systems"]
    entry = next(s for s in before if s["key"] == "service:malform")
    card = {
        **demo_platform.registry.get("malform").model_cards()[0],
        "version": "2",
        "training_data": {
            "description": "Retrent på kommunens egne brev",
            "rows": 1200,
            "personal_data": False,
        },
        "metrics": {"accuracy_holdout": 0.97},
    }
    with demo_platform.db.tenant_session(tid) as session:
        modelreg.register(
            session,
            tenant_id=tid,
            card=card,
            artifact=b"model-v2",
            artifact_dir=demo_platform.model_dir,
            created_by="cli",
        )
    after = service.detail(demo_platform, cli(tid), entry["id"])
    versions = {(m["name"], m["version"], m["origin"]) for m in after["models"]}
    assert ("malform-simplemma", "2", "trent her") in versions
    assert after["revision"] == entry["revision"] + 1
    assert after["revisions"][0]["fields"] == ["models"]
    new = next(m for m in after["models"] if m["version"] == "2")
    assert new["metrics"] == {"accuracy_holdout": 0.97} and new["training_data"]["rows"] == 1200
    changed = _events(demo_platform, tid, "governance.models_changed")
    assert changed and changed[-1]["revision"] == after["revision"]
    # syncing again with nothing new writes nothing
    service.overview(demo_platform, cli(tid))
    assert service.detail(demo_platform, cli(tid), entry["id"])["revision"] == after["revision"]


def test_external_system_edit_history_and_audit_hold_no_values(gov):
    platform, ids = gov
    tid = ids["demo"]
    p = cli(tid)
    s = service.add_external(
        platform,
        p,
        {
            "name": "Vaktplan-KI",
            "purpose": "Forslag til vaktplaner",
            "data_categories": "navn, turnus",
            "status": "idé",
        },
    )
    assert s["data_categories"] == ["navn", "turnus"] and s["revision"] == 1
    with pytest.raises(Conflict):
        service.add_external(platform, p, {"name": "Vaktplan-KI"})
    with pytest.raises(InvalidInput, match="Status"):
        service.update(platform, p, s["id"], {"status": "ferdig"})
    with pytest.raises(InvalidInput, match="Ukjente felt"):
        service.update(platform, p, s["id"], {"colour": "blue"})
    secret = "Kari Nordmann i avdeling Nord"
    changed = service.update(platform, p, s["id"], {"owner_person": secret, "status": "pilot"})
    assert changed == ["owner_person", "status"]
    assert service.update(platform, p, s["id"], {"status": "pilot"}) == []
    d = service.detail(platform, p, s["id"])
    assert [r["revision"] for r in d["revisions"]] == [2, 1]
    with platform.db.tenant_session(tid) as session:
        snap = session.scalar(
            select(KiSystemRevision.snapshot).where(
                KiSystemRevision.system_id == s["id"], KiSystemRevision.revision == 2
            )
        )
        assert snap["owner_person"] == secret
        rows = session.scalars(select(AuditEntry.data).where(AuditEntry.event.like("governance.%"))).all()
    assert rows and not any(secret in r for r in rows)
    assert json.loads(rows[-1])["fields"] == ["owner_person", "status"]


def test_legal_basis_for_training(gov):
    demo_platform, demo_ids = gov
    tid = demo_ids["demo"]
    with demo_platform.db.tenant_session(tid) as session:
        assert register.legal_basis_for_training(session, tid, "malform") is None
        assert register.legal_basis_for_training(session, tid, "finnes-ikke") is None
    with pytest.raises(InvalidInput, match="minst ti tegn"):
        service.set_training_basis(demo_platform, cli(tid), "malform", "art. 6")
    with pytest.raises(InvalidInput, match="Ukjent tjeneste"):
        service.set_training_basis(
            demo_platform, cli(tid), "governance", "Art. 6 nr. 1 bokstav e, jf. arkivlova"
        )
    basis = "Art. 6 nr. 1 bokstav e, jf. arkivlova § 6; vurdert av personvernombudet 2026"
    service.set_training_basis(demo_platform, cli(tid), "malform", basis)
    with demo_platform.db.tenant_session(tid) as session:
        assert register.legal_basis_for_training(session, tid, "malform") == basis
    # another tenant has recorded nothing
    with demo_platform.db.tenant_session(demo_ids["nabo"]) as session:
        assert register.legal_basis_for_training(session, demo_ids["nabo"], "malform") is None
    service.set_training_basis(demo_platform, cli(tid), "malform", "")
    with demo_platform.db.tenant_session(tid) as session:
        assert register.legal_basis_for_training(session, tid, "malform") is None
    events = _events(demo_platform, tid, "governance.training_basis_set")
    assert [e["basis_sha256"] is None for e in events] == [False, True]


def test_entries_are_confined_to_their_tenant(gov):
    demo_platform, demo_ids = gov
    demo_sys = service.overview(demo_platform, cli(demo_ids["demo"]))["systems"][0]
    with pytest.raises(NotFound):
        service.detail(demo_platform, cli(demo_ids["nabo"]), demo_sys["id"])
    with demo_platform.db.tenant_session(demo_ids["nabo"]) as session:
        keys = set(session.scalars(select(KiSystem.key)))
    assert "ext:microsoft-365-copilot" not in keys


def test_questionnaire_answers_and_results_are_kept_and_rerun(gov):
    demo_platform, demo_ids = gov
    tid = demo_ids["demo"]
    sid = service.add_external(demo_platform, cli(tid), {"name": "Medarbeiderscore"})["id"]
    answers = {
        "ki_system": "ja",
        "role": "idriftsetter",
        "prohibited": [],
        "area": "arbeid",
        "individual": "enkeltpersoner",
        "narrow_task": "nei",
        "profiling": "ja",
        "interacts": "nei",
        "generates": "nei",
        "publishes_text": "nei",
        "emotion": "nei",
        "gpai": "nei",
        "public_body": "ja",
    }
    first = service.run_assessment(demo_platform, cli(tid), sid, answers)
    assert first["risk_class"] == "hoy" and "art. 27" in [a["article"] for a in first["result"]["articles"]]
    again = service.rerun_assessment(demo_platform, cli(tid), sid)
    assert again["rerun_of_id"] == first["id"] and again["answers"] == first["answers"]
    d = service.detail(demo_platform, cli(tid), sid)
    assert [a["id"] for a in d["assessments"]] == [again["id"], first["id"]]
    assert d["risk_class"] == "hoy" and d["annex_iii"] == ["4"]
    runs = _events(demo_platform, tid, "governance.assessment_run")
    assert runs[-1]["rerun_of"] == first["id"] and runs[-1]["risk_class"] == "hoy"


def test_own_service_status_follows_use_until_a_person_sets_it(gov):
    from kommuneki.core import accounts, suggestions
    from kommuneki.core.suggestions import Proposal

    platform, _ids = gov
    with platform.db.installation_session() as session:
        tid = accounts.create_tenant(session, slug="tom", name="Tom kommune", kommunenummer="9997").id

    def malform_entry():
        return next(
            s for s in service.overview(platform, cli(tid))["systems"] if s["key"] == "service:malform"
        )

    def use_malform(n):
        with platform.db.tenant_session(tid) as session:
            suggestions.suggest(
                session,
                platform.registry,
                tid,
                "malform",
                Proposal(
                    kind="malform",
                    value={"language": "nb"},
                    confidence=0.9,
                    model_name="malform-simplemma",
                    model_version="1",
                    input_hash=str(n).ljust(64, "0"),
                    explanation={
                        "summary": "Bokmål.",
                        "evidence": [{"type": "language_score", "language": "nb", "score": 0.9}],
                    },
                ),
            )

    assert malform_entry()["status"] == "idé"  # registered in the installation, not used here yet
    use_malform(1)
    assert malform_entry()["status"] == "pilot"  # in use now: it belongs on the public page
    service.update(platform, cli(tid), malform_entry()["id"], {"status": "avviklet"})
    service.update(platform, cli(tid), malform_entry()["id"], {"status": "idé"})
    use_malform(2)
    assert malform_entry()["status"] == "idé"  # a person's choice is never overridden
