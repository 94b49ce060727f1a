"""units on memberships, an owner and a unit on items (the plugin contract's item-read rules)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("units", sa.JSON(), nullable=True))
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("unit_code", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_item_owner_user_id"), ["owner_user_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_item_owner_user_id_app_user"),
            "app_user",
            ["owner_user_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_item_owner_user_id_app_user"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_item_owner_user_id"))
        batch_op.drop_column("unit_code")
        batch_op.drop_column("owner_user_id")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("units")
