"""The service on a real database (SQLite and PostgreSQL): a run with its model card, review
suggestions for flagged dwellings, an officer's changed value flowing into the tax list, audit entries,
and the pages."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from kommuneki.core import suggestions
from kommuneki.core.models import AuditEntry, ModelVersion
from kommuneki.core.permissions import Principal
from kommuneki.services.eiendomsskatt import KIND, service
from kommuneki.services.eiendomsskatt.engine import demo


@pytest.fixture
def valued_platform(platform):
    from kommuneki.demo import DEMO_TENANT, _ensure_tenant

    tid = _ensure_tenant(platform, DEMO_TENANT)
    service.set_settings(
        platform, tid, {"promille": 3, "bunnfradrag": 100_000, "valuation_date": "2025-01-01"}, actor="test"
    )
    sales, dwellings = demo.generate(n_dwellings=300, n_sales=500, seed=5)
    dwellings.loc[0, "bra"] = 700  # far larger than anything sold: must be flagged
    res = service.value_from_files(
        platform,
        tid,
        sales=demo.to_csv_bytes(sales),
        sales_name="salg.csv",
        dwellings=demo.to_csv_bytes(dwellings),
        dwellings_name="boliger.csv",
        mapping_text=json.dumps(demo.DEMO_MAPPING),
        actor="test",
        valuation_date=date(2025, 1, 1),
        max_suggestions=5,
    )
    assert service.approve_run(platform, tid, res["run_id"], actor="test")["done"] == "approved"
    return platform, tid, res, dwellings


def test_run_registers_model_and_suggests_review_for_flagged(valued_platform):
    platform, tid, res, dwellings = valued_platform
    assert res["dwellings"] == 300 and res["suggestions"] >= 1 and res["sales_rejected"] > 0
    with platform.db.tenant_session(tid) as session:
        mv = session.get(ModelVersion, res["model_id"])
        assert mv.service == "eiendomsskatt" and mv.card["training_data"]["rows"] > 400
        assert mv.card["ratio_study"]["overall"]["n"] > 50 and "points" not in mv.card["ratio_study"]
        assert mv.card["metrics"]["cod"] > 0
        events = {e.event for e in session.scalars(select(AuditEntry))}
        assert {"eiendomsskatt.run_completed", "model.registered", "suggestion.created"} <= events
    big = service.dwelling(platform, tid, dwellings.loc[0, "matrikkelenhet"])
    d = big["dwellings"][0]
    assert d["flagged"] and any("uvanlig stor" in r for r in d["explanation"]["flag_reasons"])
    assert d["status"] == "til kontroll" and d["suggestion_id"]


def test_officer_sets_another_value_and_the_tax_list_uses_it(valued_platform):
    platform, tid, _res, dwellings = valued_platform
    unit = dwellings.loc[0, "matrikkelenhet"]
    sid = service.dwelling(platform, tid, unit)["dwellings"][0]["suggestion_id"]
    officer = Principal(user_id=None, tenant_id=tid, roles=frozenset({"eiendomsskatt"}), via="session")
    with platform.db.tenant_session(tid) as session:
        s = suggestions.get_suggestion(session, sid)
        assert s.kind == KIND
        assert s.cpu_ms > 0  # the valuation batch's CPU time is apportioned over its dwellings
        suggestions.decide(
            session,
            platform.registry,
            officer,
            sid,
            outcome="changed",
            final_value={"value": 9_000_000},
            reason="Befaring: arealet er feilregistrert.",
        )
    after = service.dwelling(platform, tid, unit)
    assert after["dwellings"][0]["value"] == 9_000_000 and after["dwellings"][0]["status"].startswith(
        "endret"
    )
    assert after["tax"]["tax"] == round((9_000_000 * 0.7 - 100_000) * 0.003)
    csv = service.export_tax_list(platform, tid, "csv", actor="test").decode("utf-8-sig")
    line = next(x for x in csv.splitlines() if x.startswith(unit + ";"))
    assert ";9000000;" in line and "endret av saksbehandler" in line
    with platform.db.tenant_session(tid) as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.event == "eiendomsskatt.taxlist_exported"))


def test_a_reviewer_of_another_service_may_not_decide(valued_platform):
    platform, tid, _res, dwellings = valued_platform
    sid = service.dwelling(platform, tid, dwellings.loc[0, "matrikkelenhet"])["dwellings"][0]["suggestion_id"]
    other = Principal(user_id=None, tenant_id=tid, roles=frozenset({"saksbehandler"}), via="session")
    from kommuneki.core.errors import Forbidden

    with platform.db.tenant_session(tid) as session, pytest.raises(Forbidden):
        suggestions.decide(session, platform.registry, other, sid, outcome="accepted")


def test_too_few_sales_is_a_clear_error_and_the_files_are_kept(platform):
    from kommuneki.core.errors import InvalidInput
    from kommuneki.core.models import Item
    from kommuneki.demo import DEMO_TENANT, _ensure_tenant

    tid = _ensure_tenant(platform, DEMO_TENANT)
    sales, dwellings = demo.generate(n_dwellings=50, n_sales=60, seed=2)
    with pytest.raises(InvalidInput, match="For få gyldige salg"):
        service.value_from_files(
            platform,
            tid,
            sales=demo.to_csv_bytes(sales),
            sales_name="s.csv",
            dwellings=demo.to_csv_bytes(dwellings),
            dwellings_name="d.csv",
            mapping_text=json.dumps(demo.DEMO_MAPPING),
            actor="test",
        )
    with platform.db.tenant_session(tid) as session:
        kept = list(session.scalars(select(Item).where(Item.service == "eiendomsskatt")))
        assert {i.kind for i in kept} == {"sales", "dwellings"} and all(i.state == "failed" for i in kept)


def test_an_upload_is_stored_as_one_linked_pair_before_anything_reads_it(platform):
    """On the arrival pipeline (storing and marking): the two files arrive as one, stored before they
    are read; a valuation that cannot read them marks both failed, the bytes kept exactly."""
    from kommuneki.core import items
    from kommuneki.core.errors import InvalidInput
    from kommuneki.core.models import Item
    from kommuneki.demo import DEMO_TENANT, _ensure_tenant

    tid = _ensure_tenant(platform, DEMO_TENANT)
    garbage = b"\x00\x01 dette er ingen tabell \xff"
    sales_id, dwellings_id = service.store_files(
        platform,
        tid,
        sales=garbage,
        sales_name="salg.csv",
        dwellings=b"unit_id\n1\n",
        dwellings_name="boliger.csv",
        actor="test",
        mapping=demo.DEMO_MAPPING,
    )
    with platform.db.read_session(tid) as session:
        sales, dwellings = session.get(Item, sales_id), session.get(Item, dwellings_id)
        assert (sales.kind, dwellings.kind) == ("sales", "dwellings") and sales_id < dwellings_id
        assert sales.meta["dwellings_item_id"] == dwellings_id and sales.meta["mapping"] == demo.DEMO_MAPPING
        assert sales.state == dwellings.state == "received"
    with pytest.raises(InvalidInput):
        service.value_uploaded(platform, tid, sales_id, demo.DEMO_MAPPING, actor="test")
    with platform.db.read_session(tid) as session:
        for item_id in (sales_id, dwellings_id):
            item = session.get(Item, item_id)
            assert item.state == "failed" and item.meta["error"]
        assert items.read_content(session, platform.blobs, session.get(Item, sales_id)) == garbage
