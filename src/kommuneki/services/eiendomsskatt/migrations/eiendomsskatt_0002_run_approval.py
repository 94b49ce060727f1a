"""eiendomsskatt: a valuation run is a draft until a person approves it; each valuation keeps its inputs

Revision ID: eiendomsskatt_0002
Revises: eiendomsskatt_0001

Runs from before this revision become drafts: the tax list comes only from an approved run, so after
the upgrade a person approves the run that should count (on /eiendomsskatt).
"""

import sqlalchemy as sa
from alembic import op

revision = "eiendomsskatt_0002"
down_revision = "eiendomsskatt_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("eiendomsskatt_run") as batch:
        batch.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="draft"))
        batch.add_column(sa.Column("approved_by", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("eiendomsskatt_valuation") as batch:
        batch.add_column(sa.Column("inputs", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("eiendomsskatt_valuation") as batch:
        batch.drop_column("inputs")
    with op.batch_alter_table("eiendomsskatt_run") as batch:
        batch.drop_column("approved_at")
        batch.drop_column("approved_by")
        batch.drop_column("status")
