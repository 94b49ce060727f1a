"""Database engine, sessions and the one place where tenant isolation is enforced.

Every table that belongs to a tenant inherits :class:`TenantScoped`. A session opened with
:func:`tenant_session` carries its tenant id in ``session.info``; the ``do_orm_execute`` hook below adds
``tenant_id = <that id>`` to every ORM SELECT, UPDATE and DELETE on such tables, and ``before_flush``
refuses to write a row of another tenant. A session without a tenant (``installation_session``) may
only touch tenant tables when opened with ``unscoped=True`` — operator commands, migrations, benchmarks —
so forgetting the tenant fails closed instead of leaking data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import JSON, DateTime, ForeignKey, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.sql.util import find_tables

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The largest row id every supported database stores (PostgreSQL INTEGER; SQLite's is 2**63 - 1). An id
# above it names no row: the web layer refuses it before the database is asked.
MAX_ROW_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A point in time, stored as UTC and always read back aware (tzinfo UTC), on every database.

    SQLite has no time zone type: SQLAlchemy would store an aware value's wall-clock time without its
    offset and read it back naive, so 23:30+01:00 came back as 23:30 "UTC" (an innsyn deadline a working
    day late). Values are converted to UTC before they are stored; a naive value is taken to be UTC
    already (what ``utcnow`` and every earlier row hold)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime needs a datetime, not {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc) if dialect.name != "sqlite" else value
        utc = value.astimezone(timezone.utc)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict: JSON, list: JSON, datetime: UTCDateTime()}


class TenantScoped:
    """Mixin for every row that belongs to one tenant."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy declared_attr signature
        return mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)


class TenantScopeError(RuntimeError):
    """A query or write on tenant data without a tenant: a programming error, never user input."""


READ_ONLY = "kommuneki_read_only"  # connection execution option of Database.read_session


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # Take the write lock at the start of every transaction: SQLite allows one writer, and a
            # deferred transaction that reads the audit head and then writes could otherwise fail with
            # SQLITE_BUSY mid-way. Readers outside transactions are not blocked (WAL). A read-only
            # session (Database.read_session) begins deferred: it reads its snapshot while a long write
            # transaction (a valuation run) holds the lock, instead of waiting for it.
            conn.exec_driver_sql(
                "BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE"
            )

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_sessionmaker(engine: Engine, info: dict | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, info=info)


def _tenant_tables() -> set[str]:
    return {m.local_table.name for m in Base.registry.mappers if issubclass(m.class_, TenantScoped)}


def _names_tenant_table(statement) -> bool:
    """True when a tenant table appears anywhere in the statement, not only as a loaded entity:
    ``select(func.count()).select_from(Suggestion)`` and subqueries have no entity mapper to check."""
    names = {getattr(t, "name", None) for t in find_tables(statement, check_columns=True, include_crud=True)}
    return bool(names & _tenant_tables())


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("include_all_tenants"):
        return
    tenant_id = state.session.info.get("tenant_id")
    if tenant_id is None:
        if state.session.info.get("unscoped"):
            return
        mappers = (
            [m.class_ for m in state.all_mappers]
            if state.is_select
            else [state.bind_mapper.class_]
            if state.bind_mapper is not None
            else []
        )
        if any(issubclass(c, TenantScoped) for c in mappers) or _names_tenant_table(state.statement):
            raise TenantScopeError("Query on tenant data in a session without a tenant")
        return
    state.statement = state.statement.options(
        with_loader_criteria(TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True)
    )


@event.listens_for(Session, "before_flush")
def _check_tenant_writes(session: Session, _ctx, _instances) -> None:
    if session.info.get("read_only") and (session.new or session.dirty or session.deleted):
        raise TenantScopeError("Write in a read-only session")
    tenant_id = session.info.get("tenant_id")
    if tenant_id is None:
        if session.info.get("unscoped"):
            return
        for obj in list(session.new) + list(session.dirty) + list(session.deleted):
            if isinstance(obj, TenantScoped):
                raise TenantScopeError("Write to tenant data in a session without a tenant")
        return
    for obj in list(session.new):
        if isinstance(obj, TenantScoped):
            if obj.tenant_id is None:
                obj.tenant_id = tenant_id
            elif obj.tenant_id != tenant_id:
                raise TenantScopeError("Write to another tenant's data")
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantScoped) and obj.tenant_id != tenant_id:
            raise TenantScopeError("Write to another tenant's data")


class Database:
    """Holds the engine and hands out sessions; one per process, built by the app factory or CLI."""

    def __init__(self, url: str, checkpoint_dir: Path | None = None, sealing=None, audit_events=None):
        """``sealing`` (an :class:`~kommuneki.core.audit.Sealing`): the audit key and ship targets every
        session carries, so that ``audit.record`` seals entries and commits ship checkpoints.
        ``audit_events``: the registry's event catalogue every session records against (the core's
        events alone when not given)."""
        from . import audit

        self.url = url
        self.engine = make_engine(url)
        self.sealing = sealing or audit.Sealing()
        info = {audit.SESSION_SEALING: self.sealing, audit.SESSION_EVENTS: audit_events or audit.CORE_EVENTS}
        if self.sealing.key is not None:
            info[audit.SESSION_KEY] = self.sealing.key
            info[audit.SESSION_KEYRING] = self.sealing.keyring
        self._sessions = make_sessionmaker(self.engine, info)
        self.checkpoint_dir = checkpoint_dir
        if checkpoint_dir is not None:
            audit.install_checkpoint_hook(self._sessions, checkpoint_dir, self.sealing)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def tenant_session(self, tenant_id: int) -> Iterator[Session]:
        """A session whose every query and write is confined to ``tenant_id``. Commits on success."""
        with self._sessions() as session:
            session.info["tenant_id"] = tenant_id
            with session.begin():
                yield session

    @contextlib.contextmanager
    def installation_session(self, *, unscoped: bool = False) -> Iterator[Session]:
        """A session for installation-level data (tenants, users). ``unscoped`` lets operator code
        read and write every tenant's rows; use it only where a command is meant to span tenants."""
        with self._sessions() as session:
            session.info["unscoped"] = unscoped
            with session.begin():
                yield session

    @contextlib.contextmanager
    def read_session(self, tenant_id: int | None = None, *, unscoped: bool = False) -> Iterator[Session]:
        """A session that only reads (scoped like :meth:`tenant_session`, or installation-level when
        ``tenant_id`` is None) and never commits. On SQLite it does not take the write lock, so a status
        page can be read while a long write transaction runs."""
        with self._sessions() as session:
            session.info["read_only"] = True
            if tenant_id is not None:
                session.info["tenant_id"] = tenant_id
            else:
                session.info["unscoped"] = unscoped
            session.connection(execution_options={READ_ONLY: True})
            try:
                yield session
            finally:
                session.expunge_all()  # keep what was read usable after the block, as tenant_session does
                session.rollback()

    def dispose(self) -> None:
        self.engine.dispose()
