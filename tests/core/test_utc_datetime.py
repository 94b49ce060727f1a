"""Every stored point in time comes back aware and in UTC, on SQLite as on PostgreSQL
(``core.db.UTCDateTime``): an aware value with an offset keeps its instant, a naive one is UTC."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from kommuneki.core import accounts, items
from kommuneki.core.models import Item


def test_times_keep_their_instant_and_come_back_as_utc(platform):
    platform.upgrade_db()
    with platform.db.installation_session() as s:
        tid = accounts.create_tenant(s, slug="utc", name="UTC kommune").id
    oslo_winter = timezone(timedelta(hours=1))
    sent = datetime(2026, 11, 30, 23, 30, tzinfo=oslo_winter)
    with platform.db.tenant_session(tid) as s:
        first = items.ingest(
            s, platform.blobs, tid, service="malform", kind="document", data=b"a", received_at=sent, actor="t"
        ).item.id
        naive = items.ingest(
            s,
            platform.blobs,
            tid,
            service="malform",
            kind="document",
            data=b"b",
            received_at=datetime(2026, 11, 30, 22, 30),
            actor="t",
        ).item.id
    with platform.db.tenant_session(tid) as s:
        for item_id in (first, naive):
            got = s.get(Item, item_id).received_at
            assert got.tzinfo is not None and got.utcoffset() == timedelta(0), got
            assert got == datetime(2026, 11, 30, 22, 30, tzinfo=timezone.utc)
        # comparisons in SQL see the instant too: the item is after 22:00 UTC, before 23:00 UTC
        window = select(Item.id).where(
            Item.received_at > datetime(2026, 11, 30, 23, 0, tzinfo=oslo_winter),
            Item.received_at < datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc),
        )
        assert set(s.scalars(window)) == {first, naive}
