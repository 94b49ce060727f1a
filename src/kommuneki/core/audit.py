"""The tamper-evident audit log.

* One hash chain per tenant (``t<id>``) plus one for the installation (``installation``), so tenants
  never wait on each other and one tenant's export verifies on its own.
* Each entry's hash covers its fields and the previous entry's hash; ``seq`` numbers are consecutive.
* Entries are written in the caller's transaction: a change and its audit entry commit together.
* After each commit the chain head is written to a checkpoint file outside the database
  (``<data_dir>/audit-checkpoints/<chain>.json``), so that truncating or rewriting the whole table is
  caught by :func:`verify` even though every remaining link is consistent.
* Entries hold ids, codes and hashes — never names, numbers or text from an item.

Event names are stable and declared in :data:`EVENTS` (services add theirs through the service
registry); :func:`record` refuses an undeclared event or unexpected fields.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .errors import InvalidInput
from .models import AuditEntry, AuditHead

GENESIS = "0" * 64
INSTALLATION_CHAIN = "installation"


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    fields: tuple[str, ...] = ()


def _e(name: str, description: str, *fields: str) -> EventType:
    return EventType(name, description, tuple(fields))


EVENTS: dict[str, EventType] = {
    e.name: e
    for e in [
        _e("auth.login", "A user signed in.", "method"),
        _e(
            "auth.login_failed",
            "A sign-in failed. The user name is kept only as a hash.",
            "method",
            "reason",
            "username_sha256",
        ),
        _e("auth.logout", "A user signed out."),
        _e("tenant.created", "A tenant was created.", "kommunenummer"),
        _e("tenant.updated", "Tenant settings changed.", "fields"),
        _e("user.added", "A user account was created.", "via"),
        _e("user.updated", "A user account changed.", "fields"),
        _e("role.granted", "A role was granted to a user in this tenant.", "role"),
        _e("role.revoked", "A role was taken from a user in this tenant.", "role"),
        _e("unit.created", "A unit (enhet) was created.", "code"),
        _e("unit.updated", "A unit (enhet) changed.", "code", "fields"),
        _e("token.created", "An API token was created.", "prefix"),
        _e("token.revoked", "An API token was revoked.", "prefix"),
        _e("policy.changed", "An automation policy changed.", "service", "kind", "enabled", "threshold"),
        _e(
            "item.received",
            "An item arrived and its raw bytes were stored.",
            "service",
            "kind",
            "sha256",
            "duplicate_of",
            "source",
        ),
        _e(
            "item.content_removed",
            "An item's content was removed (retention, GDPR erasure or kassasjon).",
            "reason",
            "sha256",
            "blob_deleted",
        ),
        _e(
            "suggestion.created",
            "A model made a suggestion.",
            "service",
            "kind",
            "model",
            "model_version",
            "input_hash",
            "confidence",
            "value_sha256",
            "explanation_sha256",
            "cpu_ms",
        ),
        _e("suggestion.superseded", "A newer suggestion replaced a pending one.", "by"),
        _e(
            "decision.made",
            "A person or an automation policy settled a suggestion.",
            "suggestion_id",
            "outcome",
            "final_value_sha256",
            "reason_sha256",
            "automated",
            "policy_id",
        ),
        _e(
            "model.registered",
            "A model version was registered.",
            "service",
            "name",
            "version",
            "artifact_sha256",
        ),
        _e(
            "model.exported",
            "A model version was exported as a package.",
            "name",
            "version",
            "package_sha256",
            "lawful_basis_sha256",
        ),
        _e(
            "model.imported",
            "A model version was imported from a package.",
            "name",
            "version",
            "package_sha256",
            "origin_installation",
        ),
        _e("audit.exported", "The audit log (or part of it) was exported.", "scope", "entries"),
        _e("data.exported", "Data was exported from a service.", "service", "what", "rows"),
        _e("job.started", "A background job was started.", "job_id", "service"),
        _e(
            "job.finished",
            "A background job ended (done, failed or cancelled).",
            "job_id",
            "service",
            "state",
        ),
        _e(
            "job.retried",
            "A job whose worker stopped was put back on the queue.",
            "job_id",
            "service",
            "attempt",
        ),
        _e("job.cancelled", "A user asked for a background job to stop.", "job_id"),
    ]
}


def register_event(name: str, description: str, *fields: str) -> None:
    """Declare a service's own event type. Called from a service's registration."""
    existing = EVENTS.get(name)
    new = EventType(name, description, tuple(fields))
    if existing and existing != new:
        raise ValueError(f"audit event {name!r} declared twice with different fields")
    EVENTS[name] = new


def chain_for(tenant_id: int | None) -> str:
    return INSTALLATION_CHAIN if tenant_id is None else f"t{tenant_id}"


def sha256_text(value: Any) -> str:
    """Hash of any JSON-able value, for recording *that* something was said without saying it."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical_json(fields)).encode()).hexdigest()


def _hashed_fields(e: AuditEntry | dict[str, Any]) -> dict[str, Any]:
    get = e.get if isinstance(e, dict) else (lambda k: getattr(e, k))
    return {
        k: get(k)
        for k in ("chain", "seq", "at", "event", "actor", "subject_type", "subject_id", "item_id", "data")
    }


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(
    session: Session,
    tenant_id: int | None,
    event: str,
    *,
    actor: str,
    subject: tuple[str, Any] | None = None,
    item_id: int | None = None,
    **data: Any,
) -> AuditEntry:
    """Append one entry to the tenant's chain inside the caller's transaction.

    ``actor`` is ``user:<id>``, ``policy:<id>``, ``token:<id>``, ``system`` or ``cli``. Refuses an
    undeclared event name or fields other than the declared ones (typos must not slip into the log).
    """
    etype = EVENTS.get(event)
    if etype is None:
        raise ValueError(f"undeclared audit event {event!r}")
    unexpected = set(data) - set(etype.fields)
    if unexpected:
        raise ValueError(f"audit event {event!r} got undeclared fields {sorted(unexpected)}")
    chain = chain_for(tenant_id)
    head = session.get(AuditHead, chain, with_for_update=True)
    if head is None:
        head = AuditHead(chain=chain, seq=0, hash=GENESIS)
        session.add(head)
    entry = AuditEntry(
        chain=chain,
        seq=head.seq + 1,
        at=now_iso(),
        event=event,
        actor=actor,
        subject_type=subject[0] if subject else None,
        subject_id=str(subject[1]) if subject else None,
        item_id=item_id,
        data=canonical_json(data),
        prev_hash=head.hash,
    )
    entry.hash = entry_hash(head.hash, _hashed_fields(entry))
    head.seq, head.hash = entry.seq, entry.hash
    session.add(entry)
    session.info.setdefault("audit_heads", {})[chain] = (entry.seq, entry.hash, entry.at)
    return entry


def record_many(session: Session, tenant_id: int | None, entries: list[dict[str, Any]]) -> int:
    """Append many entries to the tenant's chain in one statement (bulk work: thousands of suggestions
    in one transaction). Each entry is a dict with ``event``, ``actor`` and optionally ``subject`` and
    ``item_id``; every other key is a data field. The chain is exactly what :func:`record` would have
    written one by one — one hash per entry, in order; returns the number written."""
    if not entries:
        return 0
    session.flush()  # entries recorded one by one before this call come first in the chain
    chain = chain_for(tenant_id)
    head = session.get(AuditHead, chain, with_for_update=True)
    if head is None:
        head = AuditHead(chain=chain, seq=0, hash=GENESIS)
        session.add(head)
    seq, prev, at = head.seq, head.hash, now_iso()
    rows = []
    for given in entries:
        data = dict(given)
        event, actor = data.pop("event"), data.pop("actor")
        subject, item_id = data.pop("subject", None), data.pop("item_id", None)
        etype = EVENTS.get(event)
        if etype is None:
            raise ValueError(f"undeclared audit event {event!r}")
        unexpected = set(data) - set(etype.fields)
        if unexpected:
            raise ValueError(f"audit event {event!r} got undeclared fields {sorted(unexpected)}")
        seq += 1
        row = {
            "chain": chain,
            "seq": seq,
            "at": at,
            "event": event,
            "actor": actor,
            "subject_type": subject[0] if subject else None,
            "subject_id": str(subject[1]) if subject else None,
            "item_id": item_id,
            "data": canonical_json(data),
            "prev_hash": prev,
        }
        row["hash"] = prev = entry_hash(prev, _hashed_fields(row))
        rows.append(row)
    session.execute(insert(AuditEntry), rows)
    head.seq, head.hash = seq, prev
    session.info.setdefault("audit_heads", {})[chain] = (seq, prev, at)
    return len(rows)


# --- checkpoints outside the database -------------------------------------------------------------


def _checkpoint_path(checkpoint_dir: Path, chain: str) -> Path:
    return checkpoint_dir / f"{chain}.json"


def write_checkpoint(checkpoint_dir: Path, chain: str, seq: int, hash_: str, at: str) -> None:
    """Write the chain head unless the file already holds a newer one. Atomic (rename)."""
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    path = _checkpoint_path(checkpoint_dir, chain)
    with open(checkpoint_dir / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = read_checkpoint(checkpoint_dir, chain)
        if current and current["seq"] >= seq:
            return
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"chain": chain, "seq": seq, "hash": hash_, "at": at}))
        os.replace(tmp, path)


def read_checkpoint(checkpoint_dir: Path, chain: str) -> dict[str, Any] | None:
    path = _checkpoint_path(checkpoint_dir, chain)
    if not path.exists():
        return None
    return json.loads(path.read_text())


def install_checkpoint_hook(session_factory_or_class, checkpoint_dir: Path) -> None:
    """After every commit, write the heads of the chains that commit extended."""

    @sa_event.listens_for(session_factory_or_class, "after_commit")
    def _after_commit(session: Session) -> None:
        heads = session.info.pop("audit_heads", None)
        if heads:
            for chain, (seq, hash_, at) in heads.items():
                write_checkpoint(checkpoint_dir, chain, seq, hash_, at)

    @sa_event.listens_for(session_factory_or_class, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop("audit_heads", None)


# --- verification ---------------------------------------------------------------------------------


@dataclass
class VerifyResult:
    chain: str
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str | None = None
    checkpoint: dict[str, Any] | None = field(default=None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "ok": self.ok,
            "entries": self.entries,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
        }


def verify_entries(
    chain: str,
    entries: Iterable[AuditEntry | dict[str, Any]],
    checkpoint: dict[str, Any] | None = None,
    *,
    start_prev: str = GENESIS,
    start_seq: int = 1,
) -> VerifyResult:
    """Check links, hashes and numbering of entries given in ``seq`` order, then the checkpoint."""
    prev, expected, count = start_prev, start_seq, 0
    get = lambda e, k: e[k] if isinstance(e, dict) else getattr(e, k)  # noqa: E731
    for e in entries:
        seq = get(e, "seq")
        if seq != expected:
            problem = "missing entry" if seq > expected else "entry out of order"
            return VerifyResult(
                chain, False, count, expected, f"{problem}: expected seq {expected}, found {seq}"
            )
        if get(e, "prev_hash") != prev:
            return VerifyResult(
                chain, False, count, seq, "link broken: prev_hash does not match the previous entry"
            )
        if entry_hash(prev, _hashed_fields(e)) != get(e, "hash"):
            return VerifyResult(
                chain, False, count, seq, "entry altered: its hash does not match its content"
            )
        prev, expected, count = get(e, "hash"), expected + 1, count + 1
    if checkpoint:
        last_seq = expected - 1
        if checkpoint["seq"] > last_seq:
            return VerifyResult(
                chain,
                False,
                count,
                last_seq + 1,
                f"log truncated: the checkpoint outside the database records seq "
                f"{checkpoint['seq']}, the database ends at {last_seq}",
            )
        if checkpoint["seq"] == last_seq and checkpoint["hash"] != prev:
            return VerifyResult(
                chain,
                False,
                count,
                last_seq,
                "log rewritten: the last entry's hash differs from the checkpoint",
            )
    return VerifyResult(chain, True, count, checkpoint=checkpoint)


_ROW_COLUMNS = [
    AuditEntry.chain,
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.event,
    AuditEntry.actor,
    AuditEntry.subject_type,
    AuditEntry.subject_id,
    AuditEntry.item_id,
    AuditEntry.data,
    AuditEntry.prev_hash,
    AuditEntry.hash,
]


def iter_chain(session: Session, chain: str, batch: int = 5000) -> Iterator[Any]:
    """Plain rows (attribute access like entries), not ORM objects: verification reads every entry,
    and building ORM objects cost several times the hashing itself."""
    stmt = (
        select(*_ROW_COLUMNS)
        .where(AuditEntry.chain == chain)
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=batch)
    )
    yield from session.execute(stmt)


def verify_export(chain: str, entries: list[dict[str, Any]]) -> VerifyResult:
    """Verify exported entries (``seq`` order) on their own, without the database. A full or period
    export is one unbroken run: every link is checked, a gap is a missing entry. An export for one item
    (an innsyn request; every entry has the same ``item_id``) holds only that item's entries, with gaps:
    each entry's own hash is checked (it covers its prev_hash), and the links wherever two entries are
    consecutive. (Removing a whole line from an item export cannot be seen without the database.)"""
    item_ids = {e.get("item_id") for e in entries}
    one_item = len(item_ids) == 1 and None not in item_ids
    prev: dict[str, Any] | None = None
    for e in entries:
        if prev is not None and e["seq"] <= prev["seq"]:
            return VerifyResult(
                chain, False, 0, e["seq"], f"entry out of order: seq {e['seq']} after {prev['seq']}"
            )
        if prev is not None and not one_item and e["seq"] != prev["seq"] + 1:
            return VerifyResult(
                chain,
                False,
                0,
                prev["seq"] + 1,
                f"missing entry: expected seq {prev['seq'] + 1}, found {e['seq']}",
            )
        if prev is not None and e["seq"] == prev["seq"] + 1 and e["prev_hash"] != prev["hash"]:
            return VerifyResult(
                chain, False, 0, e["seq"], "link broken: prev_hash does not match the previous entry"
            )
        if entry_hash(e["prev_hash"], _hashed_fields(e)) != e["hash"]:
            return VerifyResult(
                chain, False, 0, e["seq"], "entry altered: its hash does not match its content"
            )
        prev = e
    return VerifyResult(chain, True, len(entries))


def verify_chain(session: Session, chain: str, checkpoint_dir: Path | None) -> VerifyResult:
    """Verify one chain in the database against its checkpoint file (if any). When the checkpoint is
    older than the database (a crash between commit and checkpoint), the entry at the checkpoint's seq
    must still carry the checkpoint's hash."""
    checkpoint = read_checkpoint(checkpoint_dir, chain) if checkpoint_dir else None
    result = verify_entries(chain, iter_chain(session, chain), checkpoint)
    if result.ok and checkpoint and checkpoint["seq"] < result.entries:
        at = session.scalar(
            select(AuditEntry.hash).where(AuditEntry.chain == chain, AuditEntry.seq == checkpoint["seq"])
        )
        if at != checkpoint["hash"]:
            return VerifyResult(
                chain,
                False,
                result.entries,
                checkpoint["seq"],
                "log rewritten: the entry at the checkpoint's seq has another hash",
            )
    return result


def _utc_iso(value: datetime) -> str:
    """``at`` is stored as UTC text: compare in UTC. Naive datetimes (CLI dates) are taken as UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def query(
    session,
    tenant_id: int,
    *,
    since=None,
    until=None,
    item_id=None,
    event=None,
    actor=None,
    limit=None,
    offset=0,
    newest_first=False,
):
    stmt = select(AuditEntry).where(AuditEntry.chain == chain_for(tenant_id))
    if since:
        stmt = stmt.where(AuditEntry.at >= _utc_iso(since))
    if until:
        stmt = stmt.where(AuditEntry.at < _utc_iso(until))
    if item_id is not None:
        stmt = stmt.where(AuditEntry.item_id == item_id)
    if event:
        stmt = stmt.where(AuditEntry.event.like(event.replace("*", "%")))
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    stmt = stmt.order_by(AuditEntry.seq.desc() if newest_first else AuditEntry.seq)
    if limit:
        stmt = stmt.limit(limit).offset(offset)
    return session.scalars(stmt)


def export_rows(entries: Iterable[AuditEntry]) -> Iterator[dict[str, Any]]:
    for e in entries:
        yield {
            "chain": e.chain,
            "seq": e.seq,
            "at": e.at,
            "event": e.event,
            "actor": e.actor,
            "subject_type": e.subject_type,
            "subject_id": e.subject_id,
            "item_id": e.item_id,
            "data": e.data,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }


def decoded_data(entry: AuditEntry) -> dict[str, Any]:
    try:
        return json.loads(entry.data)
    except ValueError as exc:  # only a tampered row gets here
        raise InvalidInput("Revisjonsloggen inneholder en ødelagt post.") from exc


# ---------------------------------------------------------------------------------------------------------
# Insert-only guard: the database refuses UPDATE and DELETE on audit_entry (defence in depth; the hash
# chain and the checkpoints outside the database already detect tampering). TRUNCATE and DDL need the
# table owner's rights and stay possible for the owner — the checkpoints catch what they do.

_GUARD_MESSAGE = "audit_entry is insert-only"


def insert_only_guard(dialect: str) -> tuple[list[str], list[str]]:
    """(statements that install the guard, statements that remove it) for ``sqlite`` or ``postgresql``."""
    if dialect == "sqlite":
        return (
            [
                f"CREATE TRIGGER audit_entry_no_{op.lower()} BEFORE {op} ON audit_entry "
                f"BEGIN SELECT RAISE(ABORT, '{_GUARD_MESSAGE}'); END"
                for op in ("UPDATE", "DELETE")
            ],
            ["DROP TRIGGER IF EXISTS audit_entry_no_update", "DROP TRIGGER IF EXISTS audit_entry_no_delete"],
        )
    if dialect == "postgresql":
        return (
            [
                "CREATE OR REPLACE FUNCTION audit_entry_insert_only() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{_GUARD_MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END "
                f"$$",
                "CREATE TRIGGER audit_entry_insert_only BEFORE UPDATE OR DELETE ON audit_entry "
                "FOR EACH ROW EXECUTE FUNCTION audit_entry_insert_only()",
            ],
            [
                "DROP TRIGGER IF EXISTS audit_entry_insert_only ON audit_entry",
                "DROP FUNCTION IF EXISTS audit_entry_insert_only()",
            ],
        )
    return [], []
