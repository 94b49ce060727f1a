"""jobs on a task queue: the declared task and its payload (a worker runs it), attempts, a run token,
a cancel request and where a failed job's page links back to

Revision ID: 0006
Revises: 0005_audit_seal
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005_audit_seal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("task", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("run_token", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("failure_url", sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f("ix_job_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_state"))
        for column in ("failure_url", "cancel_requested", "run_token", "attempts", "payload", "task"):
            batch_op.drop_column(column)
