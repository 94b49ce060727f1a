"""The demo kommune's valuation (made-up sales and dwellings)."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from ...core.platform import Platform
from .engine import demo
from .models import ValuationRun
from .service import approve_run, set_settings, value_from_files


def load(platform: Platform, tenant_id: int, progress=lambda _m: None) -> int:
    """The demo kommune's valuation: generated sales and dwellings, valued at 2025-01-01; every flagged
    one becomes a review suggestion (written in bulk). Idempotent: does nothing when the tenant already
    has a run."""
    with platform.db.tenant_session(tenant_id) as session:
        if session.scalar(select(func.count()).select_from(ValuationRun)):
            return 0
    progress("Verdsetter demoboliger (eiendomsskatt) …")
    set_settings(
        platform,
        tenant_id,
        {"promille": 2.0, "bunnfradrag": 200_000, "valuation_date": "2025-01-01", "exemptions": {}},
        actor="demo",
    )
    sales, dwellings = demo.generate(n_dwellings=1500, n_sales=1500, seed=1)
    res = value_from_files(
        platform,
        tenant_id,
        sales=demo.to_csv_bytes(sales),
        sales_name="demo-salg.csv",
        dwellings=demo.to_csv_bytes(dwellings),
        dwellings_name="demo-boliger.csv",
        mapping_text=json.dumps(demo.DEMO_MAPPING),
        mapping_name="demo.json",
        actor="demo",
        source="demo",
        valuation_date=date(2025, 1, 1),
    )
    # the demo's run stands approved, so the demo has a tax list to show; a real run is a draft until
    # a person approves it on /eiendomsskatt (and a trial upload in the demo stays a draft beside it)
    approve_run(platform, tenant_id, res["run_id"], actor="demo")
    return res["suggestions"]
