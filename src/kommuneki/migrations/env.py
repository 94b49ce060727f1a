"""Alembic environment: runs on the connection the platform hands over, or on sqlalchemy.url."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from kommuneki.core import models as _core_models  # noqa: F401 - registers the core tables
from kommuneki.core.db import Base
from kommuneki.core.registry import discover

config = context.config
(config.attributes.get("registry") or discover()).import_models()  # every service's tables
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    render_as_batch = True  # SQLite needs batch mode for ALTER TABLE
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=render_as_batch
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=render_as_batch)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
