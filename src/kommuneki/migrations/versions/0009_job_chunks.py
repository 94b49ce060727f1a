"""chunk tasks and fair claiming: a batch job (``chunks``: how many) with one job row per chunk
(``parent_id``, ``chunk``), the time a run started (``started_at``: which tenant a worker served last) and
the earliest time a retried job may run again (``not_before``)

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("chunk", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("chunks", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key("fk_job_parent_id", "job", ["parent_id"], ["id"], ondelete="CASCADE")
        batch_op.create_index("ix_job_parent_id", ["parent_id"], unique=False)
        batch_op.create_index("ix_job_tenant_started", ["tenant_id", "started_at"], unique=False)
        batch_op.create_index("ix_job_finished_at", ["finished_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_finished_at")
        batch_op.drop_index("ix_job_tenant_started")
        batch_op.drop_index("ix_job_parent_id")
        batch_op.drop_constraint("fk_job_parent_id", type_="foreignkey")
        for column in ("not_before", "started_at", "chunks", "chunk", "parent_id"):
            batch_op.drop_column(column)
