"""The migrations describe exactly the models: after ``upgrade heads`` alembic's compare_metadata finds no
difference between the database and ``Base.metadata`` (core tables and every service's tables), on
SQLite and on PostgreSQL. A model change without a migration fails here."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, inspect

from kommuneki.core import models as _core_models  # noqa: F401 - registers the core tables
from kommuneki.core.db import Base
from kommuneki.core.platform import alembic_config
from kommuneki.core.registry import discover


def _diff(url: str, metadata: MetaData) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": False}
            )
            return compare_metadata(ctx, metadata)
    finally:
        engine.dispose()


def test_models_match_migrations(db_url):
    discover().import_models()
    diff = _diff(db_url, Base.metadata)
    assert diff == [], "models and migrations differ (write a migration):\n" + "\n".join(map(str, diff))


def test_the_comparison_catches_a_model_change_without_migration(db_url):
    # proves the test above can fail: a copy of the metadata with one extra column and one extra table
    discover().import_models()
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for t in Base.metadata.sorted_tables:
        t.to_metadata(changed)
    changed.tables["unit"].append_column(Column("phone", String(20), nullable=True))
    Table("nytt_register", changed, Column("id", Integer, primary_key=True))
    kinds = {d[0] if isinstance(d, tuple) else d[0][0] for d in _diff(db_url, changed)}
    assert {"add_column", "add_table"} <= kinds


def test_every_migration_descends_from_the_core_revision():
    # each service branches from the core revision "0001"; a migration with a broken or missing parent
    # would never run under `upgrade heads`
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = {r.revision: r for r in script.walk_revisions()}
    assert revisions["0001"].down_revision is None
    for rev in revisions.values():
        node = rev
        while node.down_revision is not None:
            parents = node.down_revision if isinstance(node.down_revision, tuple) else (node.down_revision,)
            assert all(p in revisions for p in parents), rev.revision
            node = revisions[parents[0]]
        assert node.revision == "0001", rev.revision


def test_upgrade_creates_every_table(db_url):
    discover().import_models()
    engine = create_engine(db_url)
    try:
        names = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= names
    assert "alembic_version" in names
