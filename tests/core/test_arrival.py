"""The arrival pipeline (core.arrival), on SQLite and PostgreSQL: bytes stored and committed before they
are read, one bad input marked failed with its Norwegian reason while the batch goes on, a re-run
recording nothing twice, what a killed run left processed exactly once, and a bug never taken for bad
input. The service is målform's (a real registered service), with extractors written here."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kommuneki.core import items
from kommuneki.core.arrival import Analysis, Arrivals, Incoming
from kommuneki.core.errors import InvalidInput
from kommuneki.core.models import Item, Suggestion
from kommuneki.ingest import extract
from kommuneki.services.malform import engine
from tests.core.world import fresh_tenant, mplatform  # noqa: F401 - module-scoped fixture

GOOD = "Eg skriv til kommunen fordi vegen vår ikkje er brøyta, og borna må gå i vegbana.".encode()
OTHER = "Jeg skriver til kommunen fordi veien vår ikke er brøytet, og barna må gå i veibanen.".encode()
BROKEN_PDF = b"%PDF-1.7 \x00\x01 not really a pdf"


def _extract(data, item):
    return extract(data, item.filename)


def _analyse(session, item, extracted):
    item.text, item.title = extracted.text, item.filename
    return Analysis([engine.suggest_malform(extracted.text)], {"chars": len(extracted.text)})


def _pipeline(platform, tenant_id, **kw) -> Arrivals:
    defaults = {"extract": _extract, "analyse": _analyse}
    return Arrivals(platform, tenant_id, service="malform", kind="document", actor="test", **(defaults | kw))


def _count(platform, tenant_id, model, *where) -> int:
    with platform.db.read_session(tenant_id) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_one_bad_input_is_marked_failed_and_the_batch_goes_on(mplatform):
    platform, t = mplatform, fresh_tenant(mplatform)
    batch = [
        Incoming(GOOD, filename="a.txt", source="cli", label="inn/a.txt"),
        Incoming(BROKEN_PDF, filename="skannet.pdf", source="cli"),
        Incoming(b"", filename="tom.txt", source="cli"),
        Incoming(OTHER, filename="b.txt", source="cli"),
    ]
    outcomes = _pipeline(platform, t).run(batch)
    assert [o.state for o in outcomes] == ["analysed", "failed", "failed", "analysed"]
    assert [o.label for o in outcomes] == ["inn/a.txt", "skannet.pdf", "tom.txt", "b.txt"]
    assert all(o.new and o.processed for o in outcomes)  # every one stored, even the empty file
    good, broken, empty, other = outcomes
    assert good.result == {"chars": len(GOOD.decode())} and good.suggestions[0]["kind"] == engine.KIND
    assert "PDF" in broken.error and broken.error_code == "invalid_input"
    assert empty.error == "Filen er tom."
    with platform.db.read_session(t) as session:
        stored = session.get(Item, broken.item_id)
        # the bytes are kept exactly, the reason on the item, no suggestion
        assert items.read_content(session, platform.blobs, stored) == BROKEN_PDF
        assert stored.meta["error"] == broken.error and stored.text is None
        assert session.get(Item, other.item_id).text == OTHER.decode()
    assert _count(platform, t, Suggestion) == 2


def test_a_re_run_with_dedupe_records_nothing_twice(mplatform):
    platform, t = mplatform, fresh_tenant(mplatform)
    batch = [Incoming(GOOD, filename="a.txt"), Incoming(BROKEN_PDF, filename="b.pdf")]
    first = _pipeline(platform, t).run(batch, dedupe_content=True)
    again = _pipeline(platform, t).run(batch, dedupe_content=True)
    assert [(o.item_id, o.state) for o in again] == [(o.item_id, o.state) for o in first]
    assert [(o.new, o.processed) for o in again] == [(False, False), (False, False)]
    assert again[1].error == first[1].error  # the reason, as recorded the first time
    with pytest.raises(InvalidInput, match="PDF"):
        again[1].raise_if_failed()
    assert _count(platform, t, Item) == 2 and _count(platform, t, Suggestion) == 1
    # without dedupe the same bytes are a new item (a duplicate, recorded, never dropped)
    third = _pipeline(platform, t).take_in(Incoming(GOOD, filename="a-igjen.txt"))
    with platform.db.read_session(t) as session:
        assert session.get(Item, third.item_id).duplicate_of_id == first[0].item_id


def test_what_a_killed_run_left_received_is_processed_once(mplatform):
    platform, t = mplatform, fresh_tenant(mplatform)
    pipeline = _pipeline(platform, t)
    # a run killed after storing: the items are committed, nothing read
    left = [pipeline.store(Incoming(data, filename=f"{n}.txt")) for n, data in enumerate((GOOD, OTHER))]
    assert pipeline.pending() == left and _count(platform, t, Suggestion) == 0
    # the same bytes again with dedupe: the item left received is processed, not stored again
    outcome = pipeline.take_in(Incoming(GOOD, filename="0.txt"), dedupe_content=True)
    assert (outcome.item_id, outcome.new, outcome.processed) == (left[0], False, True)
    done = pipeline.process_pending()
    assert [(o.item_id, o.state, o.new) for o in done] == [(left[1], "analysed", False)]
    assert pipeline.process_pending() == [] and pipeline.pending() == []
    skipped = pipeline.process_many(left)  # a batch task run again
    assert [o.processed for o in skipped] == [False, False]
    assert _count(platform, t, Suggestion) == 2


def test_a_bug_is_not_bad_input_and_a_failed_analysis_keeps_nothing(mplatform):
    platform, t = mplatform, fresh_tenant(mplatform)

    def buggy(session, item, extracted):
        raise KeyError("a bug in the service")

    pipeline = _pipeline(platform, t, analyse=buggy)
    item_id = pipeline.store(Incoming(GOOD, filename="a.txt"))
    with pytest.raises(KeyError):
        pipeline.process(item_id)
    assert pipeline.pending() == [item_id]  # rolled back: still received, for a fixed run

    def refuses_half_way(session, item, extracted):
        item.text = extracted.text  # written, then the analysis refuses the input
        raise InvalidInput("Teksten er for lang for denne analysen.")

    failed = _pipeline(platform, t, analyse=refuses_half_way).process(item_id)
    assert failed.state == "failed" and failed.error == "Teksten er for lang for denne analysen."
    with platform.db.read_session(t) as session:
        item = session.get(Item, item_id)
        assert item.state == "failed" and item.text is None and item.meta["error"] == failed.error
