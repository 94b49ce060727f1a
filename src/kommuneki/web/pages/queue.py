"""The review queue: every pending suggestion the principal may review, filtered and paged."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from ...core import suggestions
from ...core.db import MAX_ROW_ID
from ...core.errors import InvalidInput
from ...core.models import Item
from ...core.permissions import Principal, authorize
from ..deps import get_platform, page_principal
from ..forms import parse_percent
from ..rendering import render
from ..scope import queue_scope

router = APIRouter(include_in_schema=False)

AGE_CHOICES = {
    "": "Alle",
    "1": "Siste time",
    "24": "Siste døgn",
    "168": "Siste uke",
    "old24": "Eldre enn ett døgn",
    "old168": "Eldre enn en uke",
}


@router.get("/")
def queue(
    request: Request,
    principal: Principal = Depends(page_principal),
    tjeneste: str = "",
    type: str = "",
    status: str = "pending",
    min_sikkerhet: str = "",
    maks_sikkerhet: str = "",
    alder: str = "",
    side: int = Query(1, ge=1, le=MAX_ROW_ID // 50),
):
    authorize(principal, "queue.read")
    platform = get_platform(request)
    try:
        f = suggestions.QueueFilter(
            service=tjeneste or None,
            kind=type or None,
            status=status or "pending",
            min_confidence=parse_percent(min_sikkerhet),
            max_confidence=parse_percent(maks_sikkerhet),
            limit=50,
            offset=max(0, side - 1) * 50,
        )
    except ValueError:
        raise InvalidInput("Sikkerhet må oppgis som et tall fra 0 til 100.") from None
    try:
        if alder.startswith("old"):
            f.older_than_hours = float(alder[3:])
        elif alder:
            f.newer_than_hours = float(alder) if alder.replace(".", "").isdigit() else None
    except ValueError:
        raise InvalidInput("Alderen må oppgis som et antall timer.") from None
    for hours in (f.older_than_hours, f.newer_than_hours):
        if hours is not None and not 0 <= hours <= suggestions.MAX_FILTER_HOURS:
            raise InvalidInput("Alderen må være et antall timer fra 0 til hundre år.")
    with platform.db.read_session(principal.tenant_id) as session:
        rows, total = suggestions.queue_listing(session, f, **queue_scope(platform, principal))
        item_ids = {r["item_id"] for r in rows if r["item_id"]}
        titles = (
            {
                i: t or fn
                for i, t, fn in session.execute(
                    select(Item.id, Item.title, Item.filename).where(Item.id.in_(item_ids))
                )
            }
            if item_ids
            else {}
        )
        for r in rows:
            r["item_title"] = titles.get(r["item_id"])
    filters = {
        "tjeneste": tjeneste,
        "type": type,
        "status": status,
        "min_sikkerhet": min_sikkerhet,
        "maks_sikkerhet": maks_sikkerhet,
        "alder": alder,
    }
    pages = max(1, (total + 49) // 50)
    qs = lambda n: urlencode({**{k: v for k, v in filters.items() if v}, "side": n})  # noqa: E731
    return render(
        request,
        "queue.html",
        principal,
        rows=rows,
        total=total,
        filters=filters,
        page=side,
        pages=pages,
        page_qs=qs,
        age_choices=AGE_CHOICES,
    )
