"""The audit log page: search, verify the hash chain, export."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from ...core import audit
from ...core.errors import InvalidInput
from ...core.models import User
from ...core.permissions import Principal, authorize
from ..deps import get_platform, page_principal
from ..rendering import render
from ..shapes import audit_dict

router = APIRouter(include_in_schema=False)


@router.get("/revisjonslogg")
def audit_page(
    request: Request,
    principal: Principal = Depends(page_principal),
    hendelse: str = "",
    aktor: str = "",
    element: str = "",
    fra: str = "",
    til: str = "",
    side: int = 1,
    kontroller: str = "",
):
    authorize(principal, "audit.read")
    platform = get_platform(request)
    try:
        since = datetime.fromisoformat(fra) if fra else None
        until = datetime.fromisoformat(til) if til else None
        item_id = int(element) if element else None
    except ValueError:
        raise InvalidInput("Ugyldig dato eller elementnummer.") from None
    with platform.db.read_session(principal.tenant_id) as session:
        rows = [
            audit_dict(e)
            for e in audit.query(
                session,
                principal.tenant_id,
                since=since,
                until=until,
                item_id=item_id,
                event=hendelse or None,
                actor=aktor or None,
                limit=101,
                offset=(max(1, side) - 1) * 100,
                newest_first=True,
            )
        ]
        # verifying reads the whole chain (O(entries)): only when asked, not on every page view
        verified = (
            audit.verify_chain(
                session, audit.chain_for(principal.tenant_id), platform.settings.checkpoint_dir
            )
            if kontroller
            else None
        )
        user_ids = {
            int(r["actor"][5:]) for r in rows if r["actor"].startswith("user:") and r["actor"][5:].isdigit()
        }
        names = (
            {
                uid: full or uname
                for uid, full, uname in session.execute(
                    select(User.id, User.full_name, User.username).where(User.id.in_(user_ids))
                )
            }
            if user_ids
            else {}
        )
    filters = {"hendelse": hendelse, "aktor": aktor, "element": element, "fra": fra, "til": til}
    export_qs = urlencode({k: v for k, v in {"item_id": element, "since": fra, "until": til}.items() if v})
    return render(
        request,
        "audit.html",
        principal,
        rows=rows[:100],
        more=len(rows) > 100,
        page=side,
        filters=filters,
        verified=verified,
        export_qs=export_qs,
        event_names=sorted(get_platform(request).registry.audit_events),
        actor_names=names,
        can_export=principal.can("audit.export"),
        next_qs=urlencode({**{k: v for k, v in filters.items() if v}, "side": side + 1}),
        verify_qs=urlencode({**{k: v for k, v in filters.items() if v}, "kontroller": "1"}),
    )
