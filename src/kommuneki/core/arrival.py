"""The arrival pipeline, written once for every service: store the raw bytes → commit → extract (the
service's callable) → mark the item ``failed`` with a Norwegian reason, or analysed → record the
service's suggestions.

Two transactions per input, on purpose. The arrival (bytes on disk, the item row, the ``item.received``
audit entry, and whatever rows the service adds beside it) commits first and alone, so whatever the
extraction makes of the bytes, nothing that arrived is lost. The processing (text, state, suggestions)
commits as one unit: a run killed half way leaves the item ``received``, and the next run processes it
exactly once — the item row is locked and its state checked in that transaction, so two runners never
both process it.

A batch (:meth:`Arrivals.run`) takes every input in turn; a bad one (a file that cannot be read, one too
large) is one ``failed`` outcome, and the rest goes on. With ``dedupe_content`` (file imports that may
be run again after a kill -9) bytes this service already holds are not stored again: an item left
``received`` is processed now, one already done is reported as it stands.

A service supplies two callables::

    extract(data: bytes, item: Item) -> T         # raises DomainError for input it cannot read
    analyse(session, item, extracted: T) -> Analysis   # may also raise DomainError (marked failed)

``analyse`` sets what it wants on the item (text, title, meta) and returns the proposals to record;
any other exception is a bug and propagates (the processing transaction rolls back, the item stays
``received``).

What some services need beyond that, all optional:

- ``extract_first``: a slow extraction (tale's transcription, minutes) runs before the processing
  transaction, holding no lock or connection; the transaction then checks the item is still
  ``received`` (a parallel run that finished first wins, nothing is recorded twice).
- :meth:`Arrivals.store_together`: inputs that arrived as one (eiendomsskatt's sales file and its
  dwellings file; a batch of a folder import) stored in one transaction, with a hook that links them.
  An input may carry its own ``kind`` and ``content_type``.
- :meth:`Arrivals.process_together` with ``retry_alone``: a bulk write that fails is done again item by
  item, so one input the shared write cannot take does not keep the rest out.
- No ``extract``/``analyse``: a pipeline that only stores and marks (:meth:`Arrivals.mark_failed`), for
  a service whose processing is a run over several stored inputs that may be repeated (eiendomsskatt's
  valuation: the same upload valued again with another column mapping), so not "processed once".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import items, suggestions
from .errors import DomainError, InvalidInput
from .models import Item
from .proposal import Proposal

if TYPE_CHECKING:
    from .platform import Platform

RECEIVED, FAILED = "received", "failed"


@dataclass(frozen=True)
class Incoming:
    """One input as it arrived: the bytes and what is known about them before they are read."""

    data: bytes
    filename: str | None = None
    source: str = "upload"
    external_id: str | None = None
    received_at: datetime | None = None
    meta: dict[str, Any] | None = None
    label: str | None = None  # how a batch report names it (a path); the filename when not given
    kind: str | None = None  # this input's kind when a pipeline takes in several; else the pipeline's
    content_type: str | None = None  # this input's own type (a recording's); else the pipeline's


@dataclass
class Analysis:
    """What a service's ``analyse`` step gives back: the proposals to record and a summary of its own."""

    proposals: list[Proposal] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    """What became of one input."""

    label: str
    item_id: int | None
    state: str  # the item's state now: received, failed, or the service's done state
    new: bool = False  # stored by this call (take_in; False: stored before, or the same bytes held)
    processed: bool = False  # processed by this call
    error: str | None = None
    error_code: str | None = None
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    exception: DomainError | None = field(default=None, repr=False)  # the error, when this call failed

    @property
    def failed(self) -> bool:
        return self.state == FAILED

    def raise_if_failed(self) -> None:
        """Raise the Norwegian error of a failed input (the extractor's own, when this call read it)."""
        if self.failed:
            raise self.exception or InvalidInput(self.error or "Dokumentet kunne ikke leses.")


@dataclass(frozen=True)
class _Extracted:
    value: Any = None
    error: DomainError | None = None


class Arrivals:
    """The pipeline for one service, kind and tenant (cheap to make: one per request or batch)."""

    def __init__(
        self,
        platform: Platform,
        tenant_id: int,
        *,
        service: str,
        kind: str,
        extract: Callable[[bytes, Item], Any] | None = None,
        analyse: Callable[[Session, Item, Any], Analysis] | None = None,
        done_state: str = "analysed",
        actor: str = "system",
        content_type: str = "application/octet-stream",
        on_stored: Callable[[Session, Item, Incoming], None] | None = None,
        on_failed: Callable[[Session, Item, DomainError], None] | None = None,
        extract_first: bool = False,
    ):
        self.platform, self.tenant_id = platform, tenant_id
        self.service, self.kind, self.done_state = service, kind, done_state
        self.extract, self.analyse = extract, analyse
        self.actor, self.content_type = actor, content_type
        self.on_stored, self.on_failed = on_stored, on_failed
        self.extract_first = extract_first

    # --- the steps ------------------------------------------------------------------------------------

    def existing(
        self, data: bytes, *, external_id: str | None = None, state: str | None = None
    ) -> tuple[int, str] | None:
        """The first live item of this service holding these bytes (with this ``external_id`` and in
        this ``state``, when given): (id, state), or None."""
        stmt = select(Item.id, Item.state).where(
            Item.tenant_id == self.tenant_id,
            Item.service == self.service,
            Item.sha256 == hashlib.sha256(data).hexdigest(),
            Item.content_removed_at.is_(None),
        )
        if external_id is not None:
            stmt = stmt.where(Item.external_id == external_id)
        if state is not None:
            stmt = stmt.where(Item.state == state)
        with self.platform.db.read_session(self.tenant_id) as session:
            row = session.execute(stmt.order_by(Item.id).limit(1)).first()
        return (row[0], row[1]) if row else None

    def left_received(self, external_ids: Iterable[str]) -> dict[tuple[str, str], int]:
        """Items of this service still ``received`` with one of these external ids, by (external id,
        SHA-256): what a killed import stored and never processed, to process now, not store again."""
        wanted = list(set(external_ids))
        if not wanted:
            return {}
        with self.platform.db.read_session(self.tenant_id) as session:
            rows = session.execute(
                select(Item.id, Item.external_id, Item.sha256)
                .where(
                    Item.service == self.service,
                    Item.state == RECEIVED,
                    Item.content_removed_at.is_(None),
                    Item.external_id.in_(wanted),
                )
                .order_by(Item.id)
            ).all()
        return {(row.external_id, row.sha256): row.id for row in reversed(rows)}  # the oldest wins

    def store(self, incoming: Incoming) -> int:
        """Bytes to disk, the item row and its audit entry, committed; returns the item's id."""
        return self.store_together([incoming])[0]

    def store_together(
        self,
        incomings: Iterable[Incoming],
        *,
        link: Callable[[Session, list[Item]], None] | None = None,
    ) -> list[int]:
        """Several inputs that arrived as one, stored in one transaction (all or none); ``link`` sees
        their items, in order, before the commit (e.g. a sales file pointing at its dwellings file).
        Returns the items' ids, in order."""
        with self.platform.db.tenant_session(self.tenant_id) as session:
            stored = []
            for incoming in incomings:
                item = items.ingest(
                    session,
                    self.platform.blobs,
                    self.tenant_id,
                    service=self.service,
                    kind=incoming.kind or self.kind,
                    data=incoming.data,
                    filename=incoming.filename,
                    source=incoming.source,
                    external_id=incoming.external_id,
                    content_type=incoming.content_type or self.content_type,
                    received_at=incoming.received_at,
                    actor=self.actor,
                    meta=incoming.meta,
                ).item
                if self.on_stored is not None:
                    self.on_stored(session, item, incoming)
                stored.append(item)
            if link is not None:
                link(session, stored)
            return [item.id for item in stored]

    def mark_failed(self, item_ids: Iterable[int], exc: DomainError) -> None:
        """Mark stored items ``failed`` with the Norwegian reason (the bytes stay), for processing done
        outside :meth:`process` (a run over several inputs that could not read them)."""
        with self.platform.db.tenant_session(self.tenant_id) as session:
            for item_id in item_ids:
                item = self._locked(session, item_id)
                if item is not None:
                    self._fail(session, item, exc, item.filename or f"element {item.id}")

    def process(self, item_id: int, *, label: str | None = None, data: bytes | None = None) -> Outcome:
        """Extract, analyse and suggest for one stored item, in one transaction. An item that is no
        longer ``received`` (done by an earlier or a parallel run) is left as it is. With
        ``extract_first`` the extraction runs before that transaction (see the module docstring)."""
        extracted = None
        if self.extract_first:
            with self.platform.db.read_session(self.tenant_id) as session:
                item = session.scalar(select(Item).where(Item.id == item_id, Item.service == self.service))
                if item is None:
                    return Outcome(label or f"element {item_id}", None, "missing")
                if item.state != RECEIVED:
                    return self._as_it_stands(item, label or item.filename or f"element {item.id}")
                if data is None:
                    data = items.read_content(session, self.platform.blobs, item)
                session.expunge(item)
            extracted = self._extract(data, item)
        with self.platform.db.tenant_session(self.tenant_id) as session:
            return self._process_in(session, item_id, label, data, extracted)

    def process_together(
        self,
        item_ids: Iterable[int],
        *,
        data: dict[int, bytes] | None = None,
        labels: dict[int, str] | None = None,
        retry_alone: bool = False,
    ) -> list[Outcome]:
        """Several stored items in one transaction (bulk loads: fewer commits); ``data`` their bytes
        when the caller holds them (not read back from disk). If the transaction fails, every item in
        it stays ``received`` and is processed by the next run, or at once, one transaction each, with
        ``retry_alone`` (a bug raises again there)."""
        ids, data, labels = list(item_ids), data or {}, labels or {}
        try:
            with self.platform.db.tenant_session(self.tenant_id) as session:
                return [
                    self._process_in(session, item_id, labels.get(item_id), data.get(item_id))
                    for item_id in ids
                ]
        except Exception:
            if not retry_alone:
                raise
        return [self.process(item_id, label=labels.get(item_id), data=data.get(item_id)) for item_id in ids]

    def _locked(self, session: Session, item_id: int) -> Item | None:
        return session.scalar(
            select(Item).where(Item.id == item_id, Item.service == self.service).with_for_update(of=Item)
        )

    def _extract(self, data: bytes, item: Item) -> Any:
        """The extractor's result, or the DomainError it refused the input with (marked failed later)."""
        if self.extract is None or self.analyse is None:
            raise TypeError(f"{self.service}: this pipeline only stores (no extract/analyse given)")
        try:
            return _Extracted(self.extract(data, item))
        except DomainError as exc:
            return _Extracted(error=exc)

    def _process_in(
        self,
        session: Session,
        item_id: int,
        label: str | None,
        data: bytes | None,
        extracted: _Extracted | None = None,
    ) -> Outcome:
        item = self._locked(session, item_id)
        if item is None:
            return Outcome(label or f"element {item_id}", None, "missing")
        label = label or item.filename or f"element {item.id}"
        if item.state != RECEIVED:
            return self._as_it_stands(item, label)
        if extracted is None:
            if data is None:
                data = items.read_content(session, self.platform.blobs, item)
            extracted = self._extract(data, item)
        try:
            if extracted.error is not None:
                raise extracted.error
            analysis = self.analyse(session, item, extracted.value)
        except DomainError as exc:
            return self._fail(session, item, exc, label)
        item.state = self.done_state
        recorded = [
            suggestions.suggestion_dict(
                suggestions.suggest(
                    session,
                    self.platform.registry,
                    self.tenant_id,
                    self.service,
                    proposal,
                    item_id=item.id,
                    actor=self.actor,
                )
            )
            for proposal in analysis.proposals
        ]
        return Outcome(
            label, item.id, item.state, processed=True, suggestions=recorded, result=analysis.result
        )

    def _fail(self, session: Session, item: Item, exc: DomainError, label: str) -> Outcome:
        """The bytes stay; the item says why they could not be read. Anything the failed steps wrote
        on the item (half a text, a title) is put back."""
        session.expire(item, ["text", "title", "meta"])
        item.state = FAILED
        item.meta = {**(item.meta or {}), "error": exc.message, "error_code": exc.code}
        if self.on_failed is not None:
            self.on_failed(session, item, exc)
        return Outcome(
            label, item.id, FAILED, processed=True, error=exc.message, error_code=exc.code, exception=exc
        )

    @staticmethod
    def _as_it_stands(item: Item, label: str) -> Outcome:
        meta = item.meta or {}
        return Outcome(label, item.id, item.state, error=meta.get("error"), error_code=meta.get("error_code"))

    # --- whole arrivals ---------------------------------------------------------------------------------

    def take_in(self, incoming: Incoming, *, dedupe_content: bool = False) -> Outcome:
        """Store, then process, one input. With ``dedupe_content`` bytes already held are not stored
        again (see the module docstring)."""
        label = incoming.label or incoming.filename or "dokument"
        if dedupe_content:
            found = self.existing(incoming.data)
            if found is not None:
                item_id, state = found
                if state == RECEIVED:
                    outcome = self.process(item_id, label=label, data=incoming.data)
                else:
                    with self.platform.db.read_session(self.tenant_id) as session:
                        outcome = self._as_it_stands(session.get(Item, item_id), label)
                return outcome
        item_id = self.store(incoming)
        outcome = self.process(item_id, label=label, data=incoming.data)
        outcome.new = True
        return outcome

    def run(self, incomings: Iterable[Incoming], *, dedupe_content: bool = False) -> list[Outcome]:
        """Every input in turn; one that cannot be stored or read is a failed outcome, never the end of
        the batch."""
        out = []
        for incoming in incomings:
            try:
                out.append(self.take_in(incoming, dedupe_content=dedupe_content))
            except DomainError as exc:  # refused before it could be stored (too large, empty)
                out.append(
                    Outcome(
                        incoming.label or incoming.filename or "dokument",
                        None,
                        FAILED,
                        error=exc.message,
                        error_code=exc.code,
                        exception=exc,
                    )
                )
        return out

    def pending(self, item_ids: Iterable[int] | None = None) -> list[int]:
        """Items of this service and kind still ``received`` (of ``item_ids`` when given), oldest first."""
        stmt = select(Item.id).where(
            Item.service == self.service, Item.kind == self.kind, Item.state == RECEIVED
        )
        if item_ids is not None:
            stmt = stmt.where(Item.id.in_(list(item_ids)))
        with self.platform.db.read_session(self.tenant_id) as session:
            return list(session.scalars(stmt.order_by(Item.id)))

    def process_many(
        self, item_ids: Iterable[int], report: Callable[[int, int], None] | None = None
    ) -> list[Outcome]:
        """Process stored items one transaction each (a batch task, or what a killed run left)."""
        ids = list(item_ids)
        out = []
        for n, item_id in enumerate(ids, start=1):
            out.append(self.process(item_id))
            if report is not None:
                report(n, len(ids))
        return out

    def process_pending(self) -> list[Outcome]:
        return self.process_many(self.pending())
