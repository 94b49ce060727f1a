"""scheduled jobs: which run of its task's schedule a job is (per tenant), unique, so that several workers
checking the schedule at once start it only once

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("schedule_run", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_job_schedule_run", ["tenant_id", "task", "schedule_run"])


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_constraint("uq_job_schedule_run", type_="unique")
        batch_op.drop_column("schedule_run")
