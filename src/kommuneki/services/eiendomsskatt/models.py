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
