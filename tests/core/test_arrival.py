"""The arrival pipeline (core.arrival), on SQLite and PostgreSQL: bytes stored and committed before they
are read, one bad input marked failed with its Norwegian reason while the batch goes on, a re-run
recording nothing twice, what a killed run left processed exactly once, and a bug never taken for bad
input. The service is målform's (a real registered service), with extractors written here."""

from __future__ import annotations

import hashlib

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


def test_inputs_that_arrive_together_are_stored_in_one_transaction_and_linked(mplatform):
    platform, t = mplatform, fresh_tenant(mplatform)
    pipeline = Arrivals(platform, t, service="malform", kind="document", actor="test")  # stores only

    def link(session, stored):
        first, second = stored
        first.meta = {**first.meta, "partner": second.id}

    ids = pipeline.store_together(
        [Incoming(GOOD, filename="a.txt"), Incoming(BROKEN_PDF, filename="b.pdf", kind="vedlegg")], link=link
    )
    with platform.db.read_session(t) as session:
        first, second = (session.get(Item, item_id) for item_id in ids)
        assert first.meta["partner"] == second.id and (first.kind, second.kind) == ("document", "vedlegg")
        assert items.read_content(session, platform.blobs, second) == BROKEN_PDF  # stored, never read
    with pytest.raises(TypeError):  # a store-only pipeline has nothing to process with
        pipeline.process(ids[0])
    # what a run over both could not read: both failed with the reason, the bytes kept
    pipeline.mark_failed(ids, InvalidInput("Filene kunne ikke leses som tabeller."))
    with platform.db.read_session(t) as session:
        for item_id in ids:
            item = session.get(Item, item_id)
            assert item.state == "failed" and item.meta["error"] == "Filene kunne ikke leses som tabeller."
    assert pipeline.pending() == []


def test_a_slow_extraction_runs_first_and_a_parallel_run_that_finished_first_wins(mplatform):
    platform, t = mplatform, fresh_tenant(mplatform)
    seen = []

    def slow_extract(data, item):
        seen.append(item.id)
        if len(seen) == 1:  # while this run reads, another run processes the same item
            assert _pipeline(platform, t).process(item.id).processed
        return extract(data, item.filename)

    pipeline = _pipeline(platform, t, extract=slow_extract, extract_first=True)
    item_id = pipeline.store(Incoming(GOOD, filename="a.txt"))
    late = pipeline.process(item_id)
    assert (late.processed, late.state) == (False, "analysed")  # nothing recorded twice
    assert _count(platform, t, Suggestion) == 1
    broken = pipeline.store(Incoming(BROKEN_PDF, filename="b.pdf"))
    failed = pipeline.process(broken)
    assert failed.state == "failed" and "PDF" in failed.error and seen == [item_id, broken]
    assert pipeline.process(broken).processed is False  # a re-run leaves it as it stands


def test_a_shared_write_that_fails_is_done_again_one_item_at_a_time(mplatform):
    platform, t = mplatform, fresh_tenant(mplatform)
    tries = []

    def refuses_in_company(session, item, extracted):
        tries.append(item.id)
        if session.info.get("shared") and item.filename == "b.txt":
            raise RuntimeError("the shared write cannot take this one")
        session.info["shared"] = True
        return _analyse(session, item, extracted)

    pipeline = _pipeline(platform, t, analyse=refuses_in_company)
    ids = pipeline.store_together([Incoming(GOOD, filename="a.txt"), Incoming(OTHER, filename="b.txt")])
    with pytest.raises(RuntimeError):
        pipeline.process_together(ids)
    assert pipeline.pending() == ids  # rolled back together: both still received
    outcomes = pipeline.process_together(ids, data={ids[0]: GOOD}, retry_alone=True)
    assert [o.state for o in outcomes] == ["analysed", "analysed"]
    assert _count(platform, t, Suggestion) == 2


def test_what_a_killed_import_left_received_is_found_by_external_id_and_content(mplatform):
    platform, t = mplatform, fresh_tenant(mplatform)
    pipeline = _pipeline(platform, t)
    left = pipeline.store(Incoming(GOOD, filename="a.txt", external_id="file:a.txt"))
    done = pipeline.take_in(Incoming(OTHER, filename="b.txt", external_id="file:b.txt"))
    sha = hashlib.sha256(GOOD).hexdigest()
    assert pipeline.left_received(["file:a.txt", "file:b.txt", "file:c.txt"]) == {("file:a.txt", sha): left}
    assert pipeline.existing(GOOD, external_id="file:a.txt", state="received") == (left, "received")
    assert pipeline.existing(OTHER, external_id="file:b.txt", state="received") is None
    assert done.state == "analysed"
