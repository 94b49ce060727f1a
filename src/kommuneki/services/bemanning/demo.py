"""Bemanning's demo data: three made-up care units with two years of generated absence counts (the frozen
generator; no real figures, no persons), their minimum staffing per shift, a forecast per unit and a
staffing proposal waiting for the demo leader's decision. Idempotent: loaded once per tenant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select

from ...core.models import Item
from ...core.platform import Platform
from .engine import generator
from .service import SERVICE, forecast_task, store_upload

DEMO_FILE = "demo-fravaer.csv"
DEMO_UNITS = [("Hjemmetjenesten nord", 45), ("Hjemmetjenesten sør", 70), ("Sykehjemmet avdeling 2", 28)]
DEMO_MINIMUM = (
    "unit,shift,minimum,planned\n"
    "Hjemmetjenesten nord,dag,9,12\nHjemmetjenesten nord,kveld,6,8\nHjemmetjenesten nord,natt,2,2\n"
    "Hjemmetjenesten sør,dag,14,18\nHjemmetjenesten sør,kveld,9,12\nHjemmetjenesten sør,natt,3,3\n"
    "Sykehjemmet avdeling 2,dag,5,7\nSykehjemmet avdeling 2,kveld,4,5\nSykehjemmet avdeling 2,natt,2,2\n"
)


def demo_history(end: dt.date) -> bytes:
    """Two years of generated daily absence counts for the demo units up to ``end`` (inclusive)."""
    start = end - dt.timedelta(days=729)
    units = generator.generate(
        len(DEMO_UNITS), start, end, seed=17, staff=[staff for _name, staff in DEMO_UNITS]
    )
    for unit, (name, _staff) in zip(units, DEMO_UNITS, strict=True):
        unit.name = name
    return generator.to_csv(units).encode()


def load(platform: Platform, tenant_id: int, progress: Callable[[str], None]) -> int:
    """Upload the demo history and the minimum staffing, and run the forecast once (not again on a second
    load). Returns the number of new items (0 when the demo was loaded before)."""
    with platform.db.read_session(tenant_id) as session:
        loaded = session.scalar(
            select(Item.id).where(Item.service == SERVICE, Item.filename == DEMO_FILE).limit(1)
        )
    if loaded is not None:
        return 0
    progress("Bemanning: genererer fraværstall og lager prognose for tre enheter …")
    history = demo_history(dt.date.today() - dt.timedelta(days=1))
    ids = store_upload(platform, tenant_id, history, DEMO_MINIMUM.encode(), filename=DEMO_FILE, actor="demo")
    payload = {"history_item_id": ids["history"], "minimum_item_id": ids["minimum"], "actor": "demo"}
    result = forecast_task(platform, tenant_id, payload, lambda _f, _m: None)
    return 2 + int(result["units"])
