"""audit_entry.mac: each entry's seal (HMAC of its hash under the installation's audit key)

Revision ID: 0005_audit_seal
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_audit_seal"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN, not batch mode: on SQLite batch mode rebuilds the table and would drop the
    # insert-only triggers of 0003
    op.add_column("audit_entry", sa.Column("mac", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_entry", "mac")
