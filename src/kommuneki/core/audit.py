"""The tamper-evident audit log.

* One hash chain per tenant (``t<id>``) plus one for the installation (``installation``), so tenants
  never wait on each other and one tenant's export verifies on its own.
* Each entry's hash covers its fields and the previous entry's hash; ``seq`` numbers are consecutive.
* Entries are written in the caller's transaction: a change and its audit entry commit together.
* After each commit the chain head is written to a checkpoint file outside the database
  (``<data_dir>/audit-checkpoints/<chain>.json``), so that truncating or rewriting the whole table is
  caught by :func:`verify` even though every remaining link is consistent.
* Entries hold ids, codes and hashes — never names, numbers or text from an item.

Event names are stable and declared: the core's in :data:`CORE_EVENTS`, each service's in its
``ServiceSpec.audit_events``. The registry builds one read-only catalogue of both (:func:`catalogue`,
``ServiceRegistry.audit_events``), the platform's :class:`~kommuneki.core.db.Database` hands it to every
session, and :func:`record` refuses an event that catalogue does not declare, or unexpected fields.
Nothing is added to a process-wide table at registration, so two platforms in one process (two
registries) each know their own services' events.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from .audit_seal import (
    CorruptCheckpoint,
    Keyring,
    RetiredKey,
    ShipTarget,
    as_keyring,
    checkpoint_chains,
    corrupt_checkpoints,
    entry_mac,
    read_checkpoint,
    read_shipped,
    seal,
    ship,
    write_checkpoint,
)
from .errors import InvalidInput
from .models import AuditEntry, AuditHead

log = logging.getLogger("kommuneki.audit")

GENESIS = "0" * 64
INSTALLATION_CHAIN = "installation"


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    fields: tuple[str, ...] = ()


def _e(name: str, description: str, *fields: str) -> EventType:
    return EventType(name, description, tuple(fields))


_CORE: dict[str, EventType] = {
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
        _e(
            "job.started",
            "A background job was started (a batch: with its number of chunks).",
            "job_id",
            "service",
            "chunks",
        ),
        _e(
            "job.finished",
            "A background job ended (done, failed or cancelled).",
            "job_id",
            "service",
            "state",
        ),
        _e(
            "job.retried",
            "A job whose worker stopped (or a batch's chunk that failed) was put back on the queue.",
            "job_id",
            "service",
            "attempt",
            "batch",
        ),
        _e("job.cancelled", "A user asked for a background job to stop.", "job_id"),
        _e("audit.chain_started", "A new audit chain was started (its first entry).", "chain"),
        _e(
            "audit.sealed",
            "Entries written before the audit key was set were verified and sealed by this entry.",
            "up_to_seq",
        ),
        _e(
            "audit.key_rotated",
            "The audit key was replaced (kommuneki audit rotate-key); the old key stays, read-only, and "
            "vouches only for each chain up to its head at the rotation (heads: chain -> seq). "
            "endorsement: the old key's HMAC over the new key's id and the heads.",
            "old_key_id",
            "new_key_id",
            "heads",
            "endorsement",
        ),
        _e(
            "audit.restored",
            "The installation was restored from a backup; every chain continues from its head at the "
            "backup (heads: chain -> [seq, hash]).",
            "backup_id",
            "backup_at",
            "heads",
        ),
    ]
}


CORE_EVENTS: Mapping[str, EventType] = MappingProxyType(_CORE)
#: The core's events (read-only). What a session accepts is its platform's catalogue: :func:`events_of`.
EVENTS = CORE_EVENTS
SESSION_EVENTS = "audit_events"  # session.info key: the catalogue of the platform the session belongs to


def catalogue(events: Iterable[EventType]) -> Mapping[str, EventType]:
    """The core's events and ``events`` as one read-only catalogue. The same event declared twice alike
    is one entry (building it again gives the same catalogue); declared with another description or
    other fields, it is an error."""
    found = dict(CORE_EVENTS)
    for event in events:
        existing = found.get(event.name)
        if existing is not None and existing != event:
            raise ValueError(f"audit event {event.name!r} declared twice with different fields")
        found[event.name] = event
    return MappingProxyType(found)


def events_of(session: Session) -> Mapping[str, EventType]:
    """The event catalogue a session records against: its platform's, else the core's alone."""
    return session.info.get(SESSION_EVENTS) or CORE_EVENTS


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
    The entry is sealed with the installation's audit key when the session carries one (the
    :class:`~kommuneki.core.db.Database` puts it there), and a chain's first entry is registered in the
    installation chain (``audit.chain_started``) so that a deleted chain shows.
    """
    etype = events_of(session).get(event)
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
        if chain != INSTALLATION_CHAIN:
            record(session, None, "audit.chain_started", actor=actor, chain=chain)
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
    entry.mac = entry_seal(session, entry.hash)
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
    total = len(entries)
    chain = chain_for(tenant_id)
    head = session.get(AuditHead, chain, with_for_update=True)
    if head is None:  # a new chain: its first entry goes through record (registered as started)
        first = dict(entries[0])
        event, actor = first.pop("event"), first.pop("actor")
        record(session, tenant_id, event, actor=actor, **first)
        entries = entries[1:]
        session.flush()
        head = session.get(AuditHead, chain)
    session.flush()  # entries recorded one by one before this call come first in the chain
    seq, prev, at = head.seq, head.hash, now_iso()
    rows = []
    for given in entries:
        data = dict(given)
        event, actor = data.pop("event"), data.pop("actor")
        subject, item_id = data.pop("subject", None), data.pop("item_id", None)
        etype = events_of(session).get(event)
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
        row["mac"] = entry_seal(session, prev)
        rows.append(row)
    if rows:
        session.execute(insert(AuditEntry), rows)
        head.seq, head.hash = seq, prev
        session.info.setdefault("audit_heads", {})[chain] = (seq, prev, at)
    return total


def entry_seal(session: Session, hash_: str) -> str | None:
    """The seal (``AuditEntry.mac``) for an entry hash under the session's audit key, None without one.
    For code that inserts entries in bulk instead of through :func:`record`: every entry needs it."""
    key = session.info.get(SESSION_KEY)
    return entry_mac(key, hash_) if key is not None else None


# --- checkpoints outside the database -------------------------------------------------------------

SESSION_KEY = "audit_key"  # session.info: the audit key (bytes) or absent
SESSION_KEYRING = "audit_keyring"  # session.info: the key and the retired ones (verifying), or absent
SESSION_SEALING = "audit_sealing"  # session.info: the installation's Sealing


@dataclass(frozen=True)
class Sealing:
    """What the installation seals and ships with: built by the platform from the settings."""

    key: bytes | None = None
    ship_to: tuple[ShipTarget, ...] = ()
    installation_id: str = ""
    spool_dir: Path | None = None  # records a target did not take wait here (audit_seal.ship)
    retired: tuple[RetiredKey, ...] = ()  # keys replaced by rotate-key: verify only

    @property
    def keyring(self) -> Keyring | None:
        return Keyring(self.key, self.retired) if self.key is not None else None

    @property
    def shipped_files(self) -> list[Path]:
        return [t.path for t in self.ship_to if t.kind == "file" and t.path is not None]

    def head_record(self, chain: str, seq: int, hash_: str, at: str) -> dict[str, Any]:
        rec = {
            "kind": "head",
            "installation": self.installation_id,
            "chain": chain,
            "seq": seq,
            "hash": hash_,
            "at": at,
        }
        return seal(self.key, rec) if self.key is not None else rec

    def restore_record(self, heads: dict[str, list], backup_id: str, backup_at: str) -> dict[str, Any]:
        rec = {
            "kind": "restore",
            "installation": self.installation_id,
            "heads": heads,
            "backup_id": backup_id,
            "backup_at": backup_at,
            "restored_at": now_iso(),
        }
        return seal(self.key, rec) if self.key is not None else rec


def install_checkpoint_hook(session_factory_or_class, checkpoint_dir: Path, sealing: Sealing | None = None):
    """After every commit, write (sealed) the heads of the chains that commit extended, and ship them.
    Nothing here may raise: the write has committed, and a damaged checkpoint file or an unreachable
    ship target must not turn it into an error for the caller (it is logged, and ``verify`` reports
    damaged files)."""
    sealing = sealing or Sealing()

    @sa_event.listens_for(session_factory_or_class, "after_commit")
    def _after_commit(session: Session) -> None:
        heads = session.info.pop("audit_heads", None)
        if not heads:
            return
        for chain, (seq, hash_, at) in heads.items():
            try:
                write_checkpoint(checkpoint_dir, chain, seq, hash_, at, sealing.key)
            except Exception:  # noqa: BLE001 - see the docstring
                log.exception("could not write the audit checkpoint of %s (seq %s)", chain, seq)
            if sealing.ship_to:
                ship(sealing.ship_to, sealing.head_record(chain, seq, hash_, at), sealing.spool_dir)

    @sa_event.listens_for(session_factory_or_class, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop("audit_heads", None)


# --- verification ---------------------------------------------------------------------------------

OK, TAMPERED, RESTORED = "ok", "tampered", "restored"
EXIT_CODES = {OK: 0, TAMPERED: 1, RESTORED: 3}


@dataclass
class VerifyResult:
    chain: str
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str | None = None
    checkpoint: dict[str, Any] | None = field(default=None)
    status: str = ""  # ok, tampered or restored; derived from ok when not given
    warnings: list[str] = field(default_factory=list)
    restored_to: int | None = None
    missing: tuple[int, int] | None = None  # (first, last) seq lost in a restore, as far as shipped
    last_hash: str = GENESIS
    sealed: int = 0  # entries carrying a valid seal

    def __post_init__(self) -> None:
        if not self.status:
            self.status = OK if self.ok else TAMPERED

    def as_dict(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "ok": self.ok,
            "status": self.status,
            "entries": self.entries,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
            "warnings": self.warnings,
            "restored_to": self.restored_to,
            "missing": list(self.missing) if self.missing else None,
        }


def _get(e: Any, k: str) -> Any:
    return e[k] if isinstance(e, dict) else getattr(e, k)


def _json_or_none(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return None


def verify_entries(
    chain: str,
    entries: Iterable[AuditEntry | dict[str, Any]],
    checkpoint: dict[str, Any] | None = None,
    *,
    start_prev: str = GENESIS,
    start_seq: int = 1,
    key: bytes | None = None,
) -> VerifyResult:
    """Check links, hashes and numbering of entries given in ``seq`` order, then the checkpoint. With
    ``key``, every entry from the first sealed one on must carry a valid seal, and a chain must end
    sealed: an entry without one was written (or forged) without the key."""
    prev, expected, count = start_prev, start_seq, 0
    sealed, first_unsealed = 0, None  # first seq of the run of unsealed entries at the end so far
    for e in entries:
        seq = _get(e, "seq")
        if seq != expected:
            problem = "missing entry" if seq > expected else "entry out of order"
            return VerifyResult(
                chain, False, count, expected, f"{problem}: expected seq {expected}, found {seq}"
            )
        if _get(e, "prev_hash") != prev:
            return VerifyResult(
                chain, False, count, seq, "link broken: prev_hash does not match the previous entry"
            )
        if entry_hash(prev, _hashed_fields(e)) != _get(e, "hash"):
            return VerifyResult(
                chain, False, count, seq, "entry altered: its hash does not match its content"
            )
        if key is not None:
            mac = e.get("mac") if isinstance(e, dict) else getattr(e, "mac", None)
            if mac:
                problem = as_keyring(key).entry_problem(chain, seq, _get(e, "hash"), mac)
                if problem is None and _get(e, "event") == "audit.key_rotated":
                    problem = as_keyring(key).rotation_problem(_json_or_none(_get(e, "data")))
                if problem:
                    return VerifyResult(chain, False, count, seq, problem)
                sealed += 1
                first_unsealed = None
            elif sealed:
                return VerifyResult(
                    chain,
                    False,
                    count,
                    seq,
                    "entry forged: not sealed although earlier entries are (written without the audit key)",
                )
            elif first_unsealed is None:
                first_unsealed = seq
        prev, expected, count = _get(e, "hash"), expected + 1, count + 1
    if key is not None and first_unsealed is not None:
        return VerifyResult(
            chain,
            False,
            count,
            first_unsealed,
            "chain not sealed: no entry carries a seal of the audit key (written before the key was set? "
            "then run «kommuneki audit seal-existing»)",
        )
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
    return VerifyResult(chain, True, count, checkpoint=checkpoint, last_hash=prev, sealed=sealed)


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
    AuditEntry.mac,
]


def iter_chain(session: Session, chain: str, batch: int = 5000, *, upto: int | None = None) -> Iterator[Any]:
    """Plain rows (attribute access like entries), not ORM objects: verification reads every entry,
    and building ORM objects cost several times the hashing itself. ``upto``: the last seq to read."""
    stmt = select(*_ROW_COLUMNS).where(AuditEntry.chain == chain)
    if upto is not None:
        stmt = stmt.where(AuditEntry.seq <= upto)
    yield from session.execute(stmt.order_by(AuditEntry.seq).execution_options(yield_per=batch))


def verify_export(chain: str, entries: list[dict[str, Any]], *, key: bytes | None = None) -> VerifyResult:
    """Verify exported entries (``seq`` order) on their own, without the database. A full or period
    export is one unbroken run: every link is checked, a gap is a missing entry. An export for one item
    (an innsyn request; every entry has the same ``item_id``) holds only that item's entries, with gaps:
    each entry's own hash is checked (it covers its prev_hash), and the links wherever two entries are
    consecutive. (Removing a whole line from an item export cannot be seen without the database.) With
    ``key``, an entry's seal, where the export carries one, is checked too."""
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
        if key is not None and e.get("mac"):
            problem = as_keyring(key).entry_problem(chain, e["seq"], e["hash"], e["mac"])
            if problem is None and e.get("event") == "audit.key_rotated":
                problem = as_keyring(key).rotation_problem(_json_or_none(e.get("data")))
            if problem:
                return VerifyResult(chain, False, 0, e["seq"], problem)
        prev = e
    return VerifyResult(chain, True, len(entries))


@dataclass
class Shipped:
    """What the shipped records say about one chain, read in the order they were shipped."""

    latest: dict[str, Any] | None = None  # newest head shipped since the last restore
    restored_to: int | None = None  # the chain's head in the last restore marker
    missing: list[tuple[int, int]] = field(default_factory=list)  # seqs shipped before a restore, lost


@dataclass
class ShippedLog:
    chains: dict[str, Shipped] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def get(self, chain: str) -> Shipped | None:
        return self.chains.get(chain)


def read_shipped_log(files: Iterable[Path], key: bytes | None, installation_id: str) -> ShippedLog:
    """Read shipped head and restore records (of this installation) from files, in order. With a key a
    record whose seal does not match is a problem (forged), an unsealed one is set aside with a
    warning (shipped before the key was set)."""
    out = ShippedLog()
    for path in files:
        out.sources.append(str(path))
        if not path.exists():
            out.warnings.append(f"shipped checkpoints {path} not found")
            continue
        for n, rec in enumerate(read_shipped(path), 1):
            if rec.get("installation", installation_id) != installation_id:
                continue
            if key is not None:
                if "mac" not in rec:
                    out.warnings.append(f"{path.name} record {n}: not sealed, ignored")
                    continue
                if not as_keyring(key).record_ok(rec):
                    out.problems.append(f"{path.name} record {n}: forged (its seal does not match)")
                    continue
            if rec["kind"] == "head" and isinstance(rec.get("seq"), int):
                state = out.chains.setdefault(rec["chain"], Shipped())
                if state.latest is None or rec["seq"] >= state.latest["seq"]:
                    state.latest = rec
            elif rec["kind"] == "restore" and isinstance(rec.get("heads"), dict):
                for chain, state in out.chains.items():
                    head = rec["heads"].get(chain)
                    seq = int(head[0]) if head else 0
                    if state.latest is not None and state.latest["seq"] > seq:
                        state.missing.append((seq + 1, state.latest["seq"]))
                    state.restored_to = seq
                    state.latest = (
                        {"chain": chain, "seq": seq, "hash": head[1], "at": rec.get("backup_at")}
                        if head
                        else None
                    )
                for chain, head in rec["heads"].items():
                    if chain not in out.chains:
                        out.chains[chain] = Shipped(
                            latest={"chain": chain, "seq": int(head[0]), "hash": head[1]},
                            restored_to=int(head[0]),
                        )
    return out


def _restores(session: Session) -> list[dict[str, Any]]:
    """The restore records in the installation chain (``audit.restored``), oldest first."""
    rows = session.execute(
        select(AuditEntry.seq, AuditEntry.data)
        .where(AuditEntry.chain == INSTALLATION_CHAIN, AuditEntry.event == "audit.restored")
        .order_by(AuditEntry.seq)
    )
    out = []
    for seq, data in rows:
        try:
            out.append({"seq": seq, **json.loads(data)})
        except ValueError:
            continue  # an altered entry: its hash check reports it
    return out


def _registered_chains(session: Session) -> dict[str, int]:
    """Chains the installation chain records as started (``audit.chain_started``): name -> entry seq."""
    rows = session.execute(
        select(AuditEntry.seq, AuditEntry.data).where(
            AuditEntry.chain == INSTALLATION_CHAIN, AuditEntry.event == "audit.chain_started"
        )
    )
    out: dict[str, int] = {}
    for seq, data in rows:
        try:
            out.setdefault(json.loads(data).get("chain"), seq)
        except (ValueError, AttributeError):
            continue
    return out


def _fail(result: VerifyResult, seq: int | None, problem: str) -> VerifyResult:
    result.ok, result.status, result.first_bad_seq, result.problem = False, TAMPERED, seq, problem
    return result


_FROM_SESSION = object()


def _hash_at(session: Session, chain: str, seq: int) -> str | None:
    return session.scalar(select(AuditEntry.hash).where(AuditEntry.chain == chain, AuditEntry.seq == seq))


def verify_chain(
    session: Session,
    chain: str,
    checkpoint_dir: Path | None,
    *,
    key: Any = _FROM_SESSION,
    shipped: ShippedLog | None = None,
    registered_at: int | None = None,
    restores: list[dict[str, Any]] | None = None,
) -> VerifyResult:
    """Verify one chain in the database against its checkpoint file (if any), and — when given — its
    shipped checkpoints and its registration in the installation chain. ``key`` defaults to the
    session's (the installation's audit key). When the checkpoint is older than the database (a crash
    between commit and checkpoint), the entry at the checkpoint's seq must still carry its hash.

    The result's status is ``tampered`` (exit 1) for anything the log cannot explain, ``restored``
    (exit 3) when a documented restore (an ``audit.restored`` entry) set the chain back, naming the
    entries lost since the last shipped checkpoint, else ``ok``."""
    if key is _FROM_SESSION:
        key = session.info.get(SESSION_KEYRING) or session.info.get(SESSION_KEY)
    sealing: Sealing | None = session.info.get(SESSION_SEALING)
    if shipped is None and sealing is not None and sealing.shipped_files:
        shipped = read_shipped_log(sealing.shipped_files, key, sealing.installation_id)
    if restores is None:
        restores = _restores(session)
    checkpoint, damaged = None, None
    if checkpoint_dir is not None:
        try:
            checkpoint = read_checkpoint(checkpoint_dir, chain)
        except CorruptCheckpoint as exc:
            damaged = str(exc)
    # the head is read before the entries, and the entries are verified up to it: a write that commits
    # while the chain is read (a live installation) is neither half-seen nor taken for tampering, on
    # PostgreSQL (each statement its own snapshot) or SQLite. Entries beyond it are checked below.
    head = session.get(AuditHead, chain)
    upto = head.seq if head is not None else None
    if checkpoint is not None and key is not None and not as_keyring(key).record_ok(checkpoint):
        forged = checkpoint
        checkpoint = None
        result = verify_entries(chain, iter_chain(session, chain, upto=upto), None, key=key)
        if result.ok:
            what = "not sealed" if "mac" not in forged else "its seal does not match"
            return _fail(result, forged.get("seq"), f"checkpoint forged: {what} (the audit key's)")
        return result
    result = verify_entries(chain, iter_chain(session, chain, upto=upto), checkpoint, key=key)
    if not result.ok:
        return result
    if upto is not None:
        beyond = session.scalar(select(func.max(AuditEntry.seq)).where(AuditEntry.chain == chain))
        if beyond is not None and beyond > upto:
            # entries after the head as first read: a write committed since (the head, updated in the
            # same transaction, has moved at least that far) — or entries appended without the head
            now = session.scalar(select(AuditHead.seq).where(AuditHead.chain == chain))
            if now is None or now < beyond:
                return _fail(
                    result,
                    (now or upto) + 1,
                    f"log appended to: entries up to seq {beyond} exist, the chain head records seq "
                    f"{now if now is not None else upto}",
                )
    if damaged:
        return _fail(result, None, f"checkpoint damaged: {damaged}")
    for name in corrupt_checkpoints(checkpoint_dir):
        if name.startswith(f"{chain}.json.corrupt-"):
            return _fail(
                result, None, f"checkpoint damaged: a damaged checkpoint file was replaced and kept as {name}"
            )
    last = result.entries
    if checkpoint and checkpoint["seq"] < last:
        if _hash_at(session, chain, checkpoint["seq"]) != checkpoint["hash"]:
            return _fail(
                result, checkpoint["seq"], "log rewritten: the entry at the checkpoint's seq has another hash"
            )
    if head is not None and (head.seq, head.hash) != (last, result.last_hash):
        return _fail(
            result,
            min(head.seq, last) + 1,
            f"log truncated or rewritten: the chain head records seq {head.seq}, the entries end at {last}",
        )
    restored = [r for r in restores if chain in (r.get("heads") or {})]
    state = shipped.get(chain) if shipped else None
    if state is not None and state.latest is not None:
        ship_seq, ship_hash = state.latest["seq"], state.latest["hash"]
        if ship_seq > last:
            return _fail(
                result,
                last + 1,
                f"log rolled back or truncated: a shipped checkpoint records seq {ship_seq}"
                f" (at {state.latest.get('at')}), the database ends at {last}, and no restore explains it",
            )
        if ship_seq and _hash_at(session, chain, ship_seq) != ship_hash:
            return _fail(
                result, ship_seq, "log rewritten: the entry at a shipped checkpoint's seq has another hash"
            )
    if registered_at is not None and last == 0:
        return _fail(
            result,
            1,
            f"chain deleted: the installation chain records it as started (installation entry "
            f"{registered_at}), the database holds none of its entries",
        )
    if key is not None and last and checkpoint is None:
        return _fail(
            result,
            last + 1,
            f"checkpoint missing: the chain has {last} sealed entries but no checkpoint file; entries after "
            f"seq {last} may have been removed with it",
        )
    if key is None and last:
        result.warnings.append("not sealed: no audit key is set (KOMMUNEKI_AUDIT_KEY_FILE)")
    if restored or (restores and state is not None and state.missing):
        r = restored[-1] if restored else restores[-1]
        to_seq, to_hash = (r["heads"].get(chain) or [0, GENESIS])[:2]
        to_seq = int(to_seq)
        if to_seq and _hash_at(session, chain, to_seq) != to_hash:
            return _fail(result, to_seq, "log rewritten: the entry a restore started from has another hash")
        result.status, result.ok, result.restored_to = RESTORED, False, to_seq
        lost = state.missing[-1] if state and state.missing else None
        result.missing = lost
        if lost:
            result.first_bad_seq = lost[0]
            result.problem = (
                f"restored to entry {to_seq}; entries after it since the last shipped checkpoint are "
                f"missing (seq {lost[0]}–{lost[1]}, backup {r.get('backup_id')})"
            )
        elif shipped is None or not shipped.sources:
            result.problem = (
                f"restored to entry {to_seq}; entries after it since the backup are missing, how many "
                f"cannot be told: no shipped checkpoints are configured (KOMMUNEKI_AUDIT_SHIP_TO)"
            )
        else:
            result.problem = (
                f"restored to entry {to_seq}; no shipped checkpoint lies beyond it "
                f"(backup {r.get('backup_id')})"
            )
    return result


def unsealed_chains(session: Session) -> set[str]:
    """Chains whose newest entry carries no seal (written before the audit key was set)."""
    last = (
        select(AuditEntry.chain, func.max(AuditEntry.seq).label("seq")).group_by(AuditEntry.chain).subquery()
    )
    rows = session.execute(
        select(AuditEntry.chain, AuditEntry.mac).join(
            last, (AuditEntry.chain == last.c.chain) & (AuditEntry.seq == last.c.seq)
        )
    )
    return {chain for chain, mac in rows if not mac}


@dataclass
class InstallationReport:
    results: list[VerifyResult]
    problems: list[str]  # installation-wide: forged shipped records, chains missing from the record
    warnings: list[str]

    @property
    def status(self) -> str:
        if self.problems or any(r.status == TAMPERED for r in self.results):
            return TAMPERED
        if any(r.status == RESTORED for r in self.results):
            return RESTORED
        return OK

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def verify_installation(
    session: Session,
    checkpoint_dir: Path | None,
    chains: list[str] | None = None,
    *,
    shipped_files: list[Path] | None = None,
    key: Any = _FROM_SESSION,
) -> InstallationReport:
    """Verify every chain the installation knows of — in the database (heads, entries, tenants), in the
    checkpoint folder, in the installation chain's record of started chains and in the shipped
    checkpoints — or only ``chains``. A chain that the record or a checkpoint names but the database
    lacks shows as deleted. Uses the session's audit key (unless ``key`` is given) and ship targets."""
    from .models import Tenant

    if key is _FROM_SESSION:
        key = session.info.get(SESSION_KEYRING) or session.info.get(SESSION_KEY)
    sealing: Sealing | None = session.info.get(SESSION_SEALING)
    files = shipped_files if shipped_files is not None else (sealing.shipped_files if sealing else [])
    installation_id = sealing.installation_id if sealing else ""
    shipped = read_shipped_log(files, key, installation_id) if files else ShippedLog()
    registered = _registered_chains(session)
    restores = _restores(session)
    problems = list(shipped.problems)
    warnings = list(shipped.warnings)
    if not files:
        warnings.append(
            "no shipped checkpoints (KOMMUNEKI_AUDIT_SHIP_TO): a joint rollback of database and data folder "
            "to an earlier state cannot be detected"
        )
    if key is None:
        warnings.append("no audit key (KOMMUNEKI_AUDIT_KEY_FILE): entries and checkpoints are not sealed")
    if chains is None:
        known = {INSTALLATION_CHAIN}
        known |= set(session.scalars(select(AuditHead.chain)))
        known |= set(session.scalars(select(AuditEntry.chain).distinct()))
        tenants = session.scalars(select(Tenant.id).execution_options(include_all_tenants=True))
        known |= {chain_for(tid) for tid in tenants}
        known |= checkpoint_chains(checkpoint_dir)
        known |= set(registered)
        known |= set(shipped.chains)
        chains = sorted(known, key=lambda c: (c != INSTALLATION_CHAIN, len(c), c))
    results = [
        verify_chain(
            session,
            chain,
            checkpoint_dir,
            key=key,
            shipped=shipped,
            registered_at=registered.get(chain),
            restores=restores,
        )
        for chain in chains
    ]
    by_chain = {r.chain: r for r in results}
    inst = by_chain.get(INSTALLATION_CHAIN)
    if inst is not None and inst.entries == 0 and any(r.entries for r in results) and key is not None:
        problems.append(
            "installation chain deleted: other chains have entries, but the chain that records them is empty"
        )
    return InstallationReport(results, problems, warnings)


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
            "mac": e.mac,
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


def rotate_key(database, key_file: Path) -> dict[str, Any]:
    """Replace the installation's audit key: the old one is retired in the key file at every chain's
    current head (it verifies what it sealed, and nothing after). Returns what the rotation entry
    records; the caller writes that entry with a platform that seals with the new key. Run with the
    server and workers stopped: an entry sealed with the old key after this is reported as forged."""
    from .audit_seal import endorsement, key_id, rotate_key_file

    with database.installation_session(unscoped=True) as session:
        rows = session.execute(select(AuditEntry.chain, func.max(AuditEntry.seq)).group_by(AuditEntry.chain))
        heads = {chain: int(seq) for chain, seq in rows}
    old, new = rotate_key_file(key_file, heads)
    return {
        "old_key_id": key_id(old),
        "new_key_id": key_id(new),
        "heads": heads,
        "endorsement": endorsement(old, new, heads),
    }
