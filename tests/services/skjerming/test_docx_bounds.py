"""DOCX bounds: the total unpacked size (setting ``docx_max_unpacked_bytes``, default 50 MB) checked on
the declared sizes and on the bytes read, no entity expansion, and a CPU budget per document; an
over-limit file is refused in Norwegian and its stored item marked failed."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.conftest import make_platform
from tests.ingest.makers import docx_from_xml, wp, wt

from kommuneki.core.errors import DomainError, InvalidInput, PayloadTooLarge
from kommuneki.ingest import extract
from kommuneki.ingest.docx import MAX_UNPACKED, Budget, read_docx


def big_docx(paragraphs: int) -> bytes:
    body = "".join(wp(wt(f"Avsnitt {i} om saken, med litt tekst som gjentas.")) for i in range(paragraphs))
    return docx_from_xml(body)


def test_default_limit_is_50_mb():
    assert MAX_UNPACKED == 50 * 1024 * 1024


def test_unpacked_size_over_the_limit_is_refused_in_norwegian():
    data = big_docx(20_000)  # about 2 MB unpacked, far less packed: passes the ratio check
    assert extract(data, "stor.docx").text.startswith("Avsnitt 0")
    with pytest.raises(PayloadTooLarge, match="pakker seg ut til mer enn 1 MB"):
        extract(data, "stor.docx", docx_max_unpacked=1024 * 1024)


def test_cpu_budget_per_document():
    with pytest.raises(InvalidInput, match="tidsbudsjettet"):
        read_docx(big_docx(5_000), budget=Budget(0))


def test_over_limit_upload_is_stored_and_marked_failed(db_url, tmp_path):
    from kommuneki.core import accounts
    from kommuneki.core.models import Item
    from kommuneki.services.skjerming import service

    platform = make_platform(tmp_path, db_url, docx_max_unpacked_bytes=1024 * 1024)
    platform.upgrade_db()
    try:
        with platform.db.installation_session() as s:
            tenant_id = accounts.create_tenant(s, slug="grense", name="Grense kommune", actor="test").id
        data = big_docx(20_000)
        with pytest.raises(DomainError, match="pakker seg ut"):
            service.screen_document(platform, tenant_id, data, filename="stor.docx", actor="test")
        with platform.db.read_session(tenant_id) as s:
            item = s.scalars(select(Item).where(Item.filename == "stor.docx")).one()
            assert item.state == "failed" and "pakker seg ut" in item.meta["error"]
    finally:
        platform.close()
