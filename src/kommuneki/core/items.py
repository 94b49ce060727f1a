"""Items and their raw bytes: a content-addressed blob store scoped by tenant, and the retention,
erasure and disposal (kassasjon) of content.

Raw bytes are written to disk *before* the item row exists (and before anything processes them), so a
crash or a bad file never loses what arrived. Writing is atomic (temp file + rename) and idempotent:
the same bytes are one file. Removing content deletes the file when no other live item uses it, clears
extracted text and metadata, redacts the item's suggestions, and records the removal in the audit log —
by hash, so the chain still verifies.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from . import audit
from .db import utcnow
from .errors import Forbidden, InvalidInput, NotFound
from .models import Blob, Item, Suggestion, Tenant
from .permissions import Principal, authorize
from .registry import ServiceRegistry, resolve

if TYPE_CHECKING:
    from .platform import Platform

REMOVAL_REASONS = ("retention", "erasure", "kassasjon")


class BlobStore:
    """Files under ``<root>/<tenant_id>/<sha[:2]>/<sha>``."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, tenant_id: int, sha256: str) -> Path:
        return self.root / str(tenant_id) / sha256[:2] / sha256

    def put(self, tenant_id: int, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        path = self.path(tenant_id, sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        return sha

    def put_many(self, tenant_id: int, datas: list[bytes]) -> list[str]:
        """Store many blobs with one flush to disk for all of them (``os.sync``) instead of one
        ``fsync`` each; every file is on disk when this returns, before its rows may commit."""
        shas = []
        wrote = False
        for data in datas:
            sha = hashlib.sha256(data).hexdigest()
            path = self.path(tenant_id, sha)
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
                wrote = True
            shas.append(sha)
        if wrote:
            os.sync()
        return shas

    def get(self, tenant_id: int, sha256: str) -> bytes:
        path = self.path(tenant_id, sha256)
        if not path.exists():
            raise NotFound("Innholdet finnes ikke lenger (slettet etter oppbevaringsregler eller sletting).")
        return path.read_bytes()

    def delete(self, tenant_id: int, sha256: str) -> bool:
        try:
            self.path(tenant_id, sha256).unlink()
            return True
        except FileNotFoundError:
            return False


@dataclass
class Arrival:
    item: Item
    duplicate_of: Item | None

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate_of is not None


def ingest(
    session: Session,
    store: BlobStore,
    tenant_id: int,
    *,
    service: str,
    kind: str,
    data: bytes,
    source: str = "",
    external_id: str | None = None,
    filename: str | None = None,
    content_type: str = "application/octet-stream",
    received_at: datetime | None = None,
    actor: str = "system",
    meta: dict[str, Any] | None = None,
) -> Arrival:
    """Store ``data`` and record its arrival as a new item. The bytes go to disk first. A second
    arrival of the same bytes for the same service is a new item marked as duplicate of the first
    live one — never silently dropped."""
    sha = store.put(tenant_id, data)
    blob = session.scalar(select(Blob).where(Blob.sha256 == sha))
    if blob is None:
        blob = Blob(tenant_id=tenant_id, sha256=sha, size=len(data), content_type=content_type)
        session.add(blob)
        session.flush()
    elif blob.removed_at is not None:  # content came back after removal: it is stored again
        blob.removed_at = None
    first = session.scalar(
        select(Item)
        .where(Item.sha256 == sha, Item.service == service, Item.content_removed_at.is_(None))
        .order_by(Item.id)
        .limit(1)
    )
    item = Item(
        tenant_id=tenant_id,
        service=service,
        kind=kind,
        blob_id=blob.id,
        sha256=sha,
        source=source,
        external_id=external_id,
        filename=filename,
        meta=meta or {},
        duplicate_of_id=first.id if first else None,
        received_at=received_at or utcnow(),
    )
    session.add(item)
    session.flush()
    audit.record(
        session,
        tenant_id,
        "item.received",
        actor=actor,
        subject=("item", item.id),
        item_id=item.id,
        service=service,
        kind=kind,
        sha256=sha,
        duplicate_of=first.id if first else None,
        source=source.split(":", 1)[0] if source else "",
    )
    return Arrival(item, first)


def ingest_many(
    session: Session,
    store: BlobStore,
    tenant_id: int,
    arrivals: list[dict[str, Any]],
    *,
    service: str,
    kind: str,
    source: str = "",
    content_type: str = "application/octet-stream",
    actor: str = "system",
) -> list[int]:
    """Store many arrivals of one service and kind at once (bulk work: a valuation's flagged dwellings):
    the same rows and audit entries as :func:`ingest` one by one, in a few statements. Each arrival is a
    dict with ``data`` and optionally ``filename``, ``external_id``, ``title``, ``state``, ``meta``.
    Returns the new items' ids, in order."""
    if session.info.get("tenant_id") != tenant_id:
        raise ValueError("ingest_many needs a session of the same tenant")
    if not arrivals:
        return []
    shas = store.put_many(tenant_id, [a["data"] for a in arrivals])
    wanted = set(shas)
    blobs: dict[str, int] = {}
    firsts: dict[str, int] = {}
    for part in _chunks(sorted(wanted), 500):
        for blob in session.scalars(select(Blob).where(Blob.sha256.in_(part))):
            blobs[blob.sha256] = blob.id
            blob.removed_at = None
        for sha, first_id in session.execute(
            select(Item.sha256, func.min(Item.id))
            .where(Item.sha256.in_(part), Item.service == service, Item.content_removed_at.is_(None))
            .group_by(Item.sha256)
        ):
            firsts[sha] = first_id
    missing = [sha for sha in dict.fromkeys(shas) if sha not in blobs]
    sizes = {sha: len(a["data"]) for sha, a in zip(shas, arrivals, strict=True)}
    if missing:
        rows = [
            {"tenant_id": tenant_id, "sha256": sha, "size": sizes[sha], "content_type": content_type}
            for sha in missing
        ]
        ids = session.scalars(insert(Blob).returning(Blob.id, sort_by_parameter_order=True), rows).all()
        blobs.update(zip(missing, ids, strict=True))
    now = utcnow()
    item_rows = []
    for sha, a in zip(shas, arrivals, strict=True):
        item_rows.append(
            {
                "tenant_id": tenant_id,
                "service": service,
                "kind": kind,
                "blob_id": blobs[sha],
                "sha256": sha,
                "source": source,
                "external_id": a.get("external_id"),
                "filename": a.get("filename"),
                "title": a.get("title"),
                "state": a.get("state", "received"),
                "meta": a.get("meta") or {},
                "duplicate_of_id": firsts.get(sha),
                "received_at": now,
            }
        )
    item_ids = []
    for part in _chunks(item_rows, 1000):
        item_ids += session.scalars(insert(Item).returning(Item.id, sort_by_parameter_order=True), part).all()
        for row, item_id in zip(part, item_ids[-len(part) :], strict=True):
            firsts.setdefault(row["sha256"], item_id)  # a repeat within the batch is a duplicate too
    # within-batch repeats: the later ones point at the first of the batch
    repeats = [
        {"id": item_id, "duplicate_of_id": firsts[row["sha256"]]}
        for row, item_id in zip(item_rows, item_ids, strict=True)
        if row["duplicate_of_id"] is None and firsts[row["sha256"]] != item_id
    ]
    if repeats:
        session.execute(update(Item), repeats)
        for r in repeats:
            item_rows[item_ids.index(r["id"])]["duplicate_of_id"] = r["duplicate_of_id"]
    audit.record_many(
        session,
        tenant_id,
        [
            {
                "event": "item.received",
                "actor": actor,
                "subject": ("item", item_id),
                "item_id": item_id,
                "service": service,
                "kind": kind,
                "sha256": row["sha256"],
                "duplicate_of": row["duplicate_of_id"],
                "source": source.split(":", 1)[0] if source else "",
            }
            for row, item_id in zip(item_rows, item_ids, strict=True)
        ],
    )
    return item_ids


def _chunks(seq: list, size: int):
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def read_content(session: Session, store: BlobStore, item: Item) -> bytes:
    if item.content_removed_at is not None or item.blob is None:
        raise NotFound("Innholdet er fjernet.")
    return store.get(item.tenant_id, item.blob.sha256)


def remove_content(session: Session, store: BlobStore, item: Item, *, reason: str, actor: str) -> None:
    """Remove an item's content (retention, GDPR erasure or kassasjon). Keeps the row, its hash and
    the audit trail; deletes the bytes when no other live item shares them; redacts suggestions."""
    if reason not in REMOVAL_REASONS:
        raise InvalidInput(f"Ukjent grunn for sletting: {reason}")
    if item.content_removed_at is not None:
        return
    blob_deleted = False
    if item.blob_id is not None:
        others = session.scalar(
            select(func.count())
            .select_from(Item)
            .where(Item.blob_id == item.blob_id, Item.id != item.id, Item.content_removed_at.is_(None))
        )
        if not others:
            blob = session.get(Blob, item.blob_id)
            blob_deleted = store.delete(item.tenant_id, blob.sha256)
            blob.removed_at = utcnow()
    item.text = None
    item.title = None
    item.filename = None
    item.meta = {"content_removed": reason}
    item.content_removed_at = utcnow()
    item.content_removed_reason = reason
    for s in session.scalars(select(Suggestion).where(Suggestion.item_id == item.id)):
        # suggestions may quote the item (a name found, a title proposed): redact them too
        s.value = {"fjernet": reason}
        s.explanation = {"summary": "Innholdet er fjernet.", "removed": reason}
    audit.record(
        session,
        item.tenant_id,
        "item.content_removed",
        actor=actor,
        subject=("item", item.id),
        item_id=item.id,
        reason=reason,
        sha256=item.sha256,
        blob_deleted=blob_deleted,
    )


def apply_retention(
    session: Session, store: BlobStore, tenant_id: int, rules: dict[str, int], now: datetime | None = None
) -> int:
    """Remove content of items whose ``service:state`` has a retention rule of N days and whose last
    change is older than that. Rules come from the tenant's settings (``retention``). Returns the count."""
    now = now or utcnow()
    removed = 0
    for key, days in rules.items():
        service, _, state = key.partition(":")
        cutoff = now - timedelta(days=int(days))
        stmt = select(Item).where(
            Item.service == service,
            Item.state == state,
            Item.content_removed_at.is_(None),
            Item.updated_at < cutoff,
        )
        for item in session.scalars(stmt).all():
            remove_content(session, store, item, reason="retention", actor="system")
            removed += 1
    return removed


def retention_task(platform: Platform, tenant_id: int, payload: dict, report) -> dict:
    """The scheduled task ``core.retention`` (daily, every tenant): :func:`apply_retention` with the
    tenant's rules, as ``kommuneki retention apply`` does. One transaction: a run stopped half-way
    removes nothing, and the next run does it all (an item already removed is not touched again)."""
    report(0.1, "Fjerner innhold som har passert oppbevaringstiden")
    with platform.db.tenant_session(tenant_id) as session:
        tenant = session.get(Tenant, tenant_id)
        settings = (tenant.settings or {}) if tenant else {}
        rules = settings.get("retention", {})
        removed = apply_retention(session, platform.blobs, tenant_id, rules)
    report(0.6, "Sletter gamle, avsluttede bakgrunnsjobber")
    from . import jobs

    with platform.db.tenant_session(tenant_id) as session:
        pruned = jobs.prune(session, tenant_id, settings.get("job_retention") or {})
    return {
        "message": f"Fjernet innholdet i {removed} elementer og slettet {sum(pruned.values())} gamle jobber.",
        "removed": removed,
        "rules": rules,
        "jobs_pruned": pruned,
    }


def authorize_read(principal: Principal, item: Item, registry: ServiceRegistry) -> None:
    """The one item-read rule every generic route applies (items API, queue, suggestion page): the role
    may read the item's service, the item's unit is one of the principal's, and the service's own rule
    (e.g. "only the person who recorded it") holds. Raises :class:`Forbidden`."""
    authorize(principal, "item.read", service=item.service, policy=registry.policy)
    if principal.at_shell:
        return
    if item.unit_code and principal.units is not None and item.unit_code not in principal.units:
        raise Forbidden("Dokumentet er begrenset til en annen enhet.")
    spec = registry.get(item.service)
    if spec is not None and spec.item_read_rule and not resolve(spec.item_read_rule)(principal, item):
        raise Forbidden("Du har ikke tilgang til dette.")
