"""The core tables. Services add their own tables in ``services/<name>/models.py`` on the same
``Base``; every migration lives in ``kommuneki/migrations``.

Privacy rule for this module: the audit log (``AuditEntry``) holds ids, codes and hashes only, never
names, numbers or text from an item, so that erasing an item's content leaves the chain verifiable.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, TenantScoped, utcnow


class Role(str, enum.Enum):
    """The core's roles a user holds within one tenant (services add their own through their spec).
    ``operator`` is not a role: it is a flag on the user, for the installation's IT staff (an IKS)."""

    SAKSBEHANDLER = "saksbehandler"
    ARKIVAR = "arkivar"
    LEDER = "leder"
    PERSONVERNOMBUD = "personvernombud"
    KI_ANSVARLIG = "ki-ansvarlig"
    ADMIN = "admin"


class Outcome(str, enum.Enum):
    ACCEPTED = "accepted"
    CHANGED = "changed"
    REJECTED = "rejected"


class SuggestionStatus(str, enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    CHANGED = "changed"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class Tenant(Base):
    __tablename__ = "tenant"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kommunenummer: Mapped[str | None] = mapped_column(String(4), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="kommune")  # kommune | fylkeskommune
    malform: Mapped[str] = mapped_column(String(10), default="bokmal")  # bokmal | nynorsk
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Unit(TenantScoped, Base):
    """An enhet of the tenant (byggesak, oppvekst …) with the address mail is forwarded to."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Base):
    """A person who signs in. Users are installation-wide (an IKS employee may serve several
    kommuner); what they may do in a tenant comes from their memberships."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(TenantScoped, Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    # unit codes this role is held for; None: the whole tenant. A unit leader sees her units, and an item
    # restricted to a unit (Item.unit_code) is readable only by memberships of that unit.
    units: Mapped[list[str] | None] = mapped_column(JSON, nullable=True, default=None)
    user: Mapped[User] = relationship(lazy="joined")


class ApiToken(TenantScoped, Base):
    """An API token for integrations. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class WebSession(Base):
    """A signed-in browser session, kept on the server so that signing out (or an administrator) ends
    it at once, in every web worker. The cookie carries a random id; only its SHA-256 is stored."""

    __tablename__ = "web_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(20))  # password | oidc
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None] = mapped_column()


class LoginAttempt(Base):
    """Kept in the database so that several web workers share the rate limit."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_lookup", "username", "remote_addr", "at"),
        Index("ix_login_attempt_address", "remote_addr", "at"),  # failures per address, any username
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150))
    remote_addr: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Blob(TenantScoped, Base):
    """Raw bytes, stored on disk under their SHA-256, once per tenant."""

    __tablename__ = "blob"
    __table_args__ = (UniqueConstraint("tenant_id", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(200), default="application/octet-stream")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column()


class Item(TenantScoped, Base):
    """Anything a service works on. One row per arrival: the same bytes arriving twice give two items
    sharing one blob, the second marked ``duplicate_of_id`` (a repeated message is news)."""

    __tablename__ = "item"
    __table_args__ = (Index("ix_item_service_state", "tenant_id", "service", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))  # document | message | audio | row | aggregate
    blob_id: Mapped[int | None] = mapped_column(ForeignKey("blob.id", ondelete="SET NULL"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(200), default="")
    external_id: Mapped[str | None] = mapped_column(String(500), index=True)
    filename: Mapped[str | None] = mapped_column(String(500))
    title: Mapped[str | None] = mapped_column(String(500))
    text: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    state: Mapped[str] = mapped_column(String(40), default="received")
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    content_removed_at: Mapped[datetime | None] = mapped_column()
    content_removed_reason: Mapped[str | None] = mapped_column(String(40))
    # who recorded it (for a service's item-read rule, e.g. a care dictation) and the unit it is
    # restricted to (None: the tenant)
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True, nullable=True
    )
    unit_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    blob: Mapped[Blob | None] = relationship(lazy="joined")


class Suggestion(TenantScoped, Base):
    """A model's proposal. Never updated in place except for its status: a newer suggestion for the
    same item and kind supersedes it and says so (``superseded_by_id``)."""

    __tablename__ = "suggestion"
    __table_args__ = (
        # the queue: filtered by status, ordered by age, and counted with the service and kind filters
        # from this index alone (no table reads for 10,000 pending suggestions); migration 0007
        Index("ix_suggestion_queue_scope", "tenant_id", "status", "created_at", "id", "service", "kind"),
        Index("ix_suggestion_service_kind", "tenant_id", "service", "kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="SET NULL"), index=True)
    service: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(100))
    input_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=SuggestionStatus.PENDING.value)
    cpu_ms: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("suggestion.id", ondelete="SET NULL"))
    item: Mapped[Item | None] = relationship(lazy="select")
    decision: Mapped["Decision | None"] = relationship(
        back_populates="suggestion", lazy="select", uselist=False
    )


class Decision(TenantScoped, Base):
    __tablename__ = "decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestion.id", ondelete="CASCADE"), unique=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    actor_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("automation_policy.id", ondelete="SET NULL")
    )
    outcome: Mapped[str] = mapped_column(String(20))
    final_value: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    suggestion: Mapped[Suggestion] = relationship(back_populates="decision")
    actor_user: Mapped[User | None] = relationship(lazy="joined")


class AutomationPolicy(TenantScoped, Base):
    """Off by default. Only kinds a service declares automatable may be switched on."""

    __tablename__ = "automation_policy"
    __table_args__ = (UniqueConstraint("tenant_id", "service", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    threshold: Mapped[float] = mapped_column(Float, default=0.95)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Job(TenantScoped, Base):
    """A long task run in the background (``core/jobs.py``): its state, progress and result. Title and
    message are Norwegian (shown to users); the live progress of a running job is kept in the process
    that runs it and written here at the end (and along the way on PostgreSQL)."""

    __tablename__ = "job"
    # a scheduled task's n-th run for the tenant is one row only: the lock several workers insert against
    __table_args__ = (
        UniqueConstraint("tenant_id", "task", "schedule_run", name="uq_job_schedule_run"),
        Index("ix_job_tenant_started", "tenant_id", "started_at"),  # the tenant a worker served last
        Index("ix_job_finished_at", "finished_at"),  # pruning old finished jobs (core.retention)
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    # queued | running | done | failed | cancelled | interrupted
    state: Mapped[str] = mapped_column(String(20), default="running", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0–1
    message: Mapped[str] = mapped_column(Text, default="")  # the current step
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    result_url: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # heartbeat while running
    finished_at: Mapped[datetime | None] = mapped_column()
    # on a task queue (core/queue.py): what a worker runs, how often it was tried, which run owns it
    task: Mapped[str | None] = mapped_column(String(120))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    run_token: Mapped[str | None] = mapped_column(String(64))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    failure_url: Mapped[str | None] = mapped_column(String(500))
    # a run the scheduler started (core/schedule.py): 1, 2, 3 … per (tenant, task); None for a user's job
    schedule_run: Mapped[int | None] = mapped_column(Integer)
    # a batch of chunk tasks (core.tasks.submit_chunks): the batch row has ``chunks`` (how many) and is
    # never run itself; each chunk is a job row of its own with ``parent_id`` and ``chunk`` (0, 1, …)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("job.id", ondelete="CASCADE", name="fk_job_parent_id"), index=True
    )
    chunk: Mapped[int | None] = mapped_column(Integer)
    chunks: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column()  # the latest claim by a worker
    not_before: Mapped[datetime | None] = mapped_column()  # a retried job waits until then


class ModelVersion(Base):
    """A registered model version with its card. ``tenant_id`` None: shipped with the installation."""

    __tablename__ = "model_version"
    __table_args__ = (UniqueConstraint("tenant_id", "name", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    service: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(100))
    card: Mapped[dict[str, Any]] = mapped_column(JSON)
    artifact_sha256: Mapped[str | None] = mapped_column(String(64))
    artifact_path: Mapped[str | None] = mapped_column(String(1000))
    trained_on_personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AuditHead(Base):
    """The newest entry of each chain; locked while appending so entries of one chain are serial."""

    __tablename__ = "audit_head"
    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    """Append-only, hash-chained. One chain per tenant (``t<id>``) and one for the installation."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        Index("ix_audit_entry_item", "chain", "item_id"),
        Index("ix_audit_entry_at", "chain", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(32))  # ISO 8601 UTC, hashed verbatim
    event: Mapped[str] = mapped_column(String(80), index=True)
    actor: Mapped[str] = mapped_column(String(80))
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(80))
    item_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed verbatim
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # HMAC-SHA256 of ``hash`` under the installation's audit key (core/audit_seal.py); not hashed itself
    mac: Mapped[str | None] = mapped_column(String(64), default=None)
