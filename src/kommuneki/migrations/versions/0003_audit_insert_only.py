"""audit_entry insert-only: the database refuses UPDATE and DELETE on the audit log

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from kommuneki.core.audit import insert_only_guard

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    install, _remove = insert_only_guard(op.get_bind().dialect.name)
    for statement in install:
        op.execute(statement)


def downgrade() -> None:
    _install, remove = insert_only_guard(op.get_bind().dialect.name)
    for statement in remove:
        op.execute(statement)
