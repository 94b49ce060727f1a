"""Eiendomsskatt tables: one row per valuation run (its input items, model, valuation date and the
held-out ratio study), and one per valued dwelling (estimate, interval, flag, explanation)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ...core.db import Base, TenantScoped, utcnow


class ValuationRun(TenantScoped, Base):
    __tablename__ = "eiendomsskatt_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    sales_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="SET NULL"))
    dwellings_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="SET NULL"))
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("model_version.id", ondelete="SET NULL"))
    valuation_date: Mapped[date] = mapped_column(Date)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # draft → approved (by a person; the tax list comes only from the approved run) → superseded (when
    # a later run is approved). A new run, a trial upload included, is always a draft.
    status: Mapped[str] = mapped_column(String(16), default="draft")
    approved_by: Mapped[str | None] = mapped_column(String(80))
    approved_at: Mapped[datetime | None] = mapped_column()


class DwellingValuation(TenantScoped, Base):
    __tablename__ = "eiendomsskatt_valuation"
    __table_args__ = (Index("ix_eiendomsskatt_valuation_unit", "tenant_id", "run_id", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("eiendomsskatt_run.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[str] = mapped_column(String(64))
    building_type: Mapped[str] = mapped_column(String(20))
    area_code: Mapped[str] = mapped_column(String(32))
    living_area: Mapped[float] = mapped_column(Float)
    value: Mapped[float] = mapped_column(Float)
    lower: Mapped[float] = mapped_column(Float)
    upper: Mapped[float] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("suggestion.id", ondelete="SET NULL"))
    # the dwelling's input row as valued (building type, areas, year, position): what a review item
    # made later for this dwelling holds (None for runs from before it was kept)
    inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
