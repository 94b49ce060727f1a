"""The aggregated history upload on the arrival pipeline: the history and the minimum staffing are stored
as one arrival before anything reads them; a minimum file that cannot be read fails both (bytes kept,
the Norwegian reason on each), and an upload for the column editor is stored without being read."""

from __future__ import annotations

import pytest

from kommuneki.core import items
from kommuneki.core.errors import DomainError
from kommuneki.core.models import Item
from kommuneki.demo import DEMO_TENANT, _ensure_tenant
from kommuneki.services.bemanning import service

BROKEN_MINIMUM = b"dette,er\nikke,en minimumsfil\n"


def test_history_and_minimum_are_stored_together_before_they_are_read(platform, generated_csv):
    platform.upgrade_db()
    tid = _ensure_tenant(platform, DEMO_TENANT)
    with pytest.raises(DomainError):
        service.store_upload(
            platform, tid, generated_csv, BROKEN_MINIMUM, filename="historikk.csv", actor="test"
        )
    with platform.db.read_session(tid) as session:
        stored = session.query(Item).filter(Item.service == "bemanning").order_by(Item.id).all()
        assert [(i.kind, i.state) for i in stored] == [
            ("absence_counts", "failed"),
            ("minimum_staffing", "failed"),
        ]
        assert all(i.meta["error"] == stored[0].meta["error"] for i in stored)
        assert items.read_content(session, platform.blobs, stored[1]) == BROKEN_MINIMUM
    # for the column editor: stored, not read (even a file the usual names do not fit)
    ids = service.store_upload(
        platform, tid, b"dato;avdeling;borte\n", None, filename="annen.csv", actor="test", check=False
    )
    assert ids["minimum"] is None
    with platform.db.read_session(tid) as session:
        assert session.get(Item, ids["history"]).state == "received"
