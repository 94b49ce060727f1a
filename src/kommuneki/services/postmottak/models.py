"""Postmottak tables: one row per arrived message (beside its core item), what was done with it, and
the tenant's imported open cases."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...core.db import Base, TenantScoped, utcnow
from ...core.models import Item


class PostmottakMessage(TenantScoped, Base):
    """A message in the post inbox. ``(mailbox, remote_id)`` is unique per tenant, so a mailbox message
    (IMAP ``uidvalidity:uid``, Graph message id) is taken in exactly once, however often it is polled or
    however a worker was stopped. ``state``: received → triaged (or failed) → forwarded | journalfort |
    deleted."""

    __tablename__ = "postmottak_message"
    __table_args__ = (
        UniqueConstraint("tenant_id", "mailbox", "remote_id"),
        Index("ix_postmottak_message_state", "tenant_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), unique=True)
    mailbox: Mapped[str | None] = mapped_column(String(200))
    remote_id: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[str | None] = mapped_column(String(500), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(20), default="received")
    error: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(64))
    innsyn_deadline: Mapped[date | None] = mapped_column(Date)
    deemed_refusal: Mapped[date | None] = mapped_column(Date)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    item: Mapped[Item] = relationship(lazy="joined")


class PostmottakAction(TenantScoped, Base):
    """What was done with a message (forwarded, journalført, deleted …), by whom and on which decision:
    the 'what was done' of the transparency log."""

    __tablename__ = "postmottak_action"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("postmottak_message.id", ondelete="CASCADE"), index=True
    )
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("suggestion.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(320))
    actor: Mapped[str] = mapped_column(String(80))
    automated: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class PostmottakCase(TenantScoped, Base):
    """An open case (saksmappe) imported from the archive system, for case linking."""

    __tablename__ = "postmottak_case"
    __table_args__ = (UniqueConstraint("tenant_id", "saksnummer"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    saksnummer: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(500))
    unit: Mapped[str | None] = mapped_column(String(64))
    gnr: Mapped[int | None] = mapped_column(Integer)
    bnr: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(300))
    party: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(40), default="under behandling")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
