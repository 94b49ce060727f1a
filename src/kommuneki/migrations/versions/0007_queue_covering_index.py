"""the review queue's index also holds service and kind, so counting a filtered queue reads the index only

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ["tenant_id", "status", "created_at", "id", "service", "kind"]


def upgrade() -> None:
    op.create_index("ix_suggestion_queue_scope", "suggestion", COLUMNS, unique=False)
    op.drop_index("ix_suggestion_queue", table_name="suggestion")


def downgrade() -> None:
    op.create_index("ix_suggestion_queue", "suggestion", ["tenant_id", "status", "created_at"], unique=False)
    op.drop_index("ix_suggestion_queue_scope", table_name="suggestion")
