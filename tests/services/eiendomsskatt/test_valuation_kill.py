"""A valuation run on the real task queue, its worker killed with SIGKILL mid-run: a second worker runs
it again and the rows show nothing lost and nothing doubled (one run, one valuation per dwelling, one
review suggestion and one audit entry per flagged dwelling). The run writes its results in one
transaction, so the killed run left nothing behind."""

from __future__ import annotations

import signal
import time

import pytest
from sqlalchemy import func, select
from tests.core.conftest import queued  # noqa: F401 - the fixture: a real broker and worker processes

from kommuneki.core import jobs, tasks
from kommuneki.core.models import AuditEntry, Suggestion
from kommuneki.services.eiendomsskatt import service
from kommuneki.services.eiendomsskatt.engine import demo
from kommuneki.services.eiendomsskatt.models import DwellingValuation, ValuationRun

N_DWELLINGS = 600


def _count(platform, tenant_id, model, *where) -> int:
    with platform.db.read_session(tenant_id) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("queued", ["redis"], indirect=True)
def test_a_valuation_whose_worker_is_killed_is_run_again_once(queued):
    from kommuneki.demo import DEMO_TENANT, _ensure_tenant

    platform = queued
    tenant_id = _ensure_tenant(platform, DEMO_TENANT)
    service.set_settings(
        platform, tenant_id, {"promille": 2, "bunnfradrag": 0, "valuation_date": "2025-01-01"}, actor="test"
    )
    sales, dwellings = demo.generate(n_dwellings=N_DWELLINGS, n_sales=500, seed=5)
    sales_id, _ = service.store_files(
        platform,
        tenant_id,
        sales=demo.to_csv_bytes(sales),
        sales_name="salg.csv",
        dwellings=demo.to_csv_bytes(dwellings),
        dwellings_name="boliger.csv",
        actor="test",
    )
    payload = {"sales_item_id": sales_id, "mapping": demo.DEMO_MAPPING, "actor": "test"}
    job_id = tasks.submit(platform, tenant_id, service.VALUATION_TASK, payload, actor="test")
    first = platform.start_worker()
    deadline = time.monotonic() + 120
    while (
        float((platform.task_queue.progress(job_id) or {}).get("progress") or 0) < 0.3
    ):  # valued, not yet stored
        assert time.monotonic() < deadline, "the worker never got going"
        assert jobs.get(platform, tenant_id, job_id)["state"] != "done", "the run finished before the kill"
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert _count(platform, tenant_id, ValuationRun) == 0  # the killed run left nothing
    platform.start_worker()
    job = jobs.wait(platform, tenant_id, job_id, timeout=240)
    assert job["state"] == "done", job
    assert job["attempts"] >= 2
    result = job["result"]
    assert _count(platform, tenant_id, ValuationRun) == 1
    assert _count(platform, tenant_id, DwellingValuation) == result["dwellings"] == N_DWELLINGS
    queued_for_review = _count(platform, tenant_id, Suggestion, Suggestion.service == service.SERVICE)
    assert queued_for_review == result["flagged"] > 0
    created = _count(
        platform,
        tenant_id,
        AuditEntry,
        AuditEntry.event == "suggestion.created",
    )
    assert created == queued_for_review
