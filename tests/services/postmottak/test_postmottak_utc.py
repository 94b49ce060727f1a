"""Innsyn deadlines from an e-mail whose ``Date:`` carries an offset come out the same on SQLite and
PostgreSQL (issue 12: SQLite stored the wall-clock time without its offset and read it back as UTC, so a
request sent late on Monday evening got Friday's deadline instead of Thursday's)."""

from __future__ import annotations

from datetime import datetime, timezone

from pm_helpers import make_eml
from sqlalchemy import select

from kommuneki.core.models import Suggestion
from kommuneki.services.postmottak import service
from kommuneki.services.postmottak.models import PostmottakMessage

LATE_EVENING = make_eml(
    "Innsynskrav",
    "Jeg ber om innsyn i kontrakten om skoleskyss, jf. offentleglova.",
    message_id="<innsyn-sent@x.no>",
    date="Mon, 30 Nov 2026 23:30:00 +0100",  # 22:30 UTC; Monday in Oslo
)


def test_innsyn_deadline_from_a_date_with_an_offset_is_the_same_on_every_database(tenant):
    platform, tid = tenant
    out = service.take_in(platform, tid, LATE_EVENING, source="test", actor="test")
    with platform.db.tenant_session(tid) as s:
        pm = s.get(PostmottakMessage, out["id"])
        assert pm.received_at == datetime(2026, 11, 30, 22, 30, tzinfo=timezone.utc)
        assert pm.received_at.tzinfo is not None and pm.received_at.utcoffset().total_seconds() == 0
        innsyn = s.scalar(
            select(Suggestion).where(
                Suggestion.item_id == out["item_id"], Suggestion.kind == "postmottak.innsyn"
            )
        )
        # received Monday 30 November: three working days later is Thursday 3 December (not Friday)
        assert innsyn.value["deadline"] == "2026-12-03"
        assert pm.innsyn_deadline.isoformat() == "2026-12-03"
