"""Norwegian local time for what people read and for legal day counts."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from kommuneki.core.clock import local_date, to_local
from kommuneki.web.rendering import _dt


@pytest.mark.parametrize(
    "moment, day, shown",
    [
        (datetime(2026, 11, 25, 17, 23, tzinfo=timezone.utc), date(2026, 11, 25), "25.11.2026 18:23"),
        (datetime(2026, 11, 25, 23, 30), date(2026, 11, 26), "26.11.2026 00:30"),  # naive = UTC (SQLite)
        (
            datetime(2026, 7, 1, 22, 15, tzinfo=timezone.utc),
            date(2026, 7, 2),
            "02.07.2026 00:15",
        ),  # summer: +2
        ("2026-03-29T00:59:00Z", None, "29.03.2026 01:59"),  # the hour before summer time starts
        ("2026-03-29T01:00:00Z", None, "29.03.2026 03:00"),
    ],
    ids=["winter", "naive is UTC", "summer", "before DST", "after DST"],
)
def test_times_are_read_in_norwegian_time(moment, day, shown):
    assert _dt(moment) == shown
    if day is not None:
        assert local_date(moment) == day
        assert to_local(moment).utcoffset().total_seconds() in (3600, 7200)


def test_a_date_stays_a_date():
    assert local_date(date(2026, 5, 17)) == date(2026, 5, 17)
