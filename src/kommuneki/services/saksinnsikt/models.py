"""Saksinnsikt tables: the tenant's stored index.

* ``saksinnsikt_document``: one row per indexed document, beside its core item (raw bytes and extracted
  text live there), with the archive metadata searched by and the access fields applied at query time.
* ``saksinnsikt_passage``: its passages (≤ 800 characters, offsets into the item's text, page), the
  variant they come from (``full``, or ``public`` — the variant with parts skjermet) and, once the
  background task has run, the dense embedding (float32 bytes).
* ``saksinnsikt_grant``: which users may read documents of a tilgangsrestriksjon code.

Erasure reaches the index: :func:`drop_index_of_removed_items` runs before every flush and deletes the
passages (and their vectors) of an item whose content is being removed (``core.items.remove_content``:
retention, GDPR erasure, kassasjon) in that same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    delete,
    event,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from ...core.db import Base, TenantScoped, utcnow
from ...core.models import Item


class SaksDocument(TenantScoped, Base):
    __tablename__ = "saksinnsikt_document"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_saksinnsikt_document_sak", "tenant_id", "saksnummer"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), unique=True)
    # the item holding the variant with parts skjermet, where the extract has one
    public_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="SET NULL"))
    external_id: Mapped[str] = mapped_column(String(500))  # noark:<systemID> or file:<relative path>
    source: Mapped[str] = mapped_column(String(40))  # folder | noark | upload
    title: Mapped[str | None] = mapped_column(String(500))
    public_title: Mapped[str | None] = mapped_column(String(500))
    saksnummer: Mapped[str | None] = mapped_column(String(64))
    journalpost: Mapped[str | None] = mapped_column(String(64))
    dokumenttype: Mapped[str | None] = mapped_column(String(100))
    document_date: Mapped[str | None] = mapped_column(String(10))  # ISO date
    parties: Mapped[list[Any]] = mapped_column(JSON, default=list)
    klassifikasjon: Mapped[str | None] = mapped_column(String(200))
    unit_code: Mapped[str | None] = mapped_column(String(64))
    tilgangsrestriksjon: Mapped[str | None] = mapped_column(String(20))
    skjermingshjemmel: Mapped[str | None] = mapped_column(String(200))
    hidden_fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # skjermingMetadata
    outcome: Mapped[str | None] = mapped_column(String(40))  # from the extract, else suggested
    outcome_evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    page_starts: Mapped[list[int]] = mapped_column(JSON, default=list)
    sha256: Mapped[str] = mapped_column(String(64))  # of the text indexed (a changed document re-indexes)
    indexed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SaksPassage(TenantScoped, Base):
    __tablename__ = "saksinnsikt_passage"
    # ids are never reused (SQLite AUTOINCREMENT; PostgreSQL sequences never reuse): the in-memory index
    # tells new passages from old ones by id (ADR 0005)
    __table_args__ = (
        Index("ix_saksinnsikt_passage_document", "document_id", "variant", "seq"),
        {"sqlite_autoincrement": True},
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("saksinnsikt_document.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    variant: Mapped[str] = mapped_column(String(10), default="full")  # full | public
    seq: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    page: Mapped[int] = mapped_column(Integer, default=1)
    text: Mapped[str] = mapped_column(Text)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)


class SaksGrant(TenantScoped, Base):
    __tablename__ = "saksinnsikt_grant"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "tilgangsrestriksjon"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    tilgangsrestriksjon: Mapped[str] = mapped_column(String(20))
    granted_by: Mapped[str] = mapped_column(String(100))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(Session, "before_flush")
def drop_index_of_removed_items(session: Session, _context: Any, _instances: Any) -> None:
    """Passages and vectors of an item whose content is being removed go in the same transaction."""
    removed = [
        obj.id
        for obj in session.dirty
        if isinstance(obj, Item) and obj.content_removed_at is not None and obj.id is not None
    ]
    if not removed:
        return
    session.execute(delete(SaksPassage).where(SaksPassage.item_id.in_(removed)))
    for doc in session.scalars(select(SaksDocument).where(SaksDocument.public_item_id.in_(removed))):
        doc.public_item_id = None
    docs = session.scalars(select(SaksDocument).where(SaksDocument.item_id.in_(removed))).all()
    for doc in docs:
        session.execute(delete(SaksPassage).where(SaksPassage.document_id == doc.id))
        doc.title = doc.public_title = None
        doc.parties = []
        doc.outcome_evidence = {}
        doc.sha256 = "removed"
    if "saksinnsikt_changed" not in session.info:
        session.info["saksinnsikt_changed"] = True
