"""Governance tables: the AI register, its history, AI Act assessments, DPIA/ROS documents, alerts.

Register rows hold what the kommune writes about a system (purpose, owner, legal basis …); audit entries
about them hold ids and hashes only, and the full history lives in ``ki_system_revision``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kommuneki.core.db import Base, TenantScoped, utcnow

STATUSES = ("idé", "pilot", "i drift", "avviklet")


class KiSystem(TenantScoped, Base):
    """One AI system the kommune uses: one of kommuneki's own services (``source`` = kommuneki, kept in
    step with the service and model registries) or an external system added by hand."""

    __tablename__ = "ki_system"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))  # service:<name> | ext:<slug>
    source: Mapped[str] = mapped_column(String(20))  # kommuneki | external
    service: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")
    public_summary: Mapped[str] = mapped_column(Text, default="")  # plain words for the public page
    owner_unit: Mapped[str] = mapped_column(String(200), default="")
    owner_person: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(320), default="")
    supplier: Mapped[str] = mapped_column(String(200), default="")
    service_area: Mapped[str] = mapped_column(String(200), default="")
    legal_basis_art6: Mapped[str] = mapped_column(Text, default="")
    legal_basis_art9: Mapped[str] = mapped_column(Text, default="")
    sector_law: Mapped[str] = mapped_column(Text, default="")
    data_categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    affects_individuals: Mapped[bool] = mapped_column(Boolean, default=False)
    human_oversight: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="idé")
    dpia_ref: Mapped[str] = mapped_column(String(500), default="")
    ros_ref: Mapped[str] = mapped_column(String(500), default="")
    training_legal_basis: Mapped[str | None] = mapped_column(Text)
    models: Mapped[list[Any]] = mapped_column(JSON, default=list)
    override_alert_threshold: Mapped[float] = mapped_column(Float, default=0.3)
    drift_alert_threshold: Mapped[float] = mapped_column(Float, default=0.25)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class KiSystemRevision(TenantScoped, Base):
    """Every version of a register entry, in full, so the history can be read back."""

    __tablename__ = "ki_system_revision"
    __table_args__ = (UniqueConstraint("system_id", "revision"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("ki_system.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_fields: Mapped[list[Any]] = mapped_column(JSON, default=list)
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class KiAssessment(TenantScoped, Base):
    """One run of the AI Act questionnaire: the answers, the result and the rules file it used."""

    __tablename__ = "ki_assessment"
    __table_args__ = (Index("ix_ki_assessment_system", "system_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("ki_system.id", ondelete="CASCADE"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    risk_class: Mapped[str] = mapped_column(String(20))
    rules_sha256: Mapped[str] = mapped_column(String(64))
    rerun_of_id: Mapped[int | None] = mapped_column(ForeignKey("ki_assessment.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KiDocument(TenantScoped, Base):
    """A version of a DPIA or ROS document. Never changed: a new version is a new row."""

    __tablename__ = "ki_document"
    __table_args__ = (UniqueConstraint("system_id", "doc_type", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("ki_system.id", ondelete="CASCADE"), index=True)
    doc_type: Mapped[str] = mapped_column(String(10))  # dpia | ros
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KiAlert(TenantScoped, Base):
    """A monitoring threshold passed (override rate or drift) for a service and model version."""

    __tablename__ = "ki_alert"
    __table_args__ = (Index("ix_ki_alert_open", "tenant_id", "system_id", "metric", "resolved_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("ki_system.id", ondelete="CASCADE"))
    model_version: Mapped[str] = mapped_column(String(300))
    metric: Mapped[str] = mapped_column(String(40))  # override_rate | drift_psi
    value: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    window_from: Mapped[datetime] = mapped_column()
    window_to: Mapped[datetime] = mapped_column()
    volume: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by: Mapped[str | None] = mapped_column(String(80))
