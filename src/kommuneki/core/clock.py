"""Norwegian local time. The database stores UTC; what a person reads, and every legal day count
(the arrival day of an innsyn request, its deadline, "today" in a countdown), is in Europe/Oslo time —
a message that arrives at 00:30 on a Monday in Norway arrived on Monday, even though it is Sunday in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def to_local(value: datetime) -> datetime:
    """``value`` in Oslo time; a naive datetime is taken as UTC (how SQLite hands stored times back)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(OSLO)


def local_date(value: datetime | date) -> date:
    """The Norwegian calendar day of a moment (a date is returned as it is)."""
    return to_local(value).date() if isinstance(value, datetime) else value


def local_today() -> date:
    return datetime.now(OSLO).date()
