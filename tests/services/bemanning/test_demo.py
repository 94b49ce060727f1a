"""`kommuneki demo` shows bemanning: three generated units with a forecast each and staffing proposals
pending for the demo leader; loading again adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select


def test_demo_has_forecasts_and_a_pending_proposal(demo_platform):
    from kommuneki.core.models import Suggestion, Tenant
    from kommuneki.services.bemanning import demo
    from kommuneki.services.bemanning.service import FORECAST_KIND, STAFFING_KIND, latest

    with demo_platform.db.read_session(unscoped=True) as session:
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == "demo"))
    units = latest(demo_platform, tenant_id, None)
    assert sorted(u["forecast"]["value"]["unit"] for u in units) == sorted(n for n, _ in demo.DEMO_UNITS)
    for u in units:
        staffing = u["staffing"]
        assert staffing is not None and staffing["decision"] is None  # waiting for the leader
        assert len(u["forecast"]["value"]["dates"]) == 28
    with demo_platform.db.read_session(tenant_id) as session:
        before = session.scalar(select(func.count(Suggestion.id)).where(Suggestion.service == "bemanning"))
        kinds = set(session.scalars(select(Suggestion.kind).where(Suggestion.service == "bemanning")))
    assert kinds == {FORECAST_KIND, STAFFING_KIND}
    assert demo.load(demo_platform, tenant_id, lambda _m: None) == 0
    with demo_platform.db.read_session(tenant_id) as session:
        after = session.scalar(select(func.count(Suggestion.id)).where(Suggestion.service == "bemanning"))
    assert after == before


def test_the_demo_leader_sees_the_proposal_in_her_queue(client_factory):
    leader = client_factory("leder")
    page = leader.get("/bemanning")
    assert page.status_code == 200
    assert "Hjemmetjenesten nord" in page.text and "Til avgjørelse" in page.text
