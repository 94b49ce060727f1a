"""postmottak tables

Revision ID: postmottak_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "postmottak_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "postmottak_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=200), nullable=True),
        sa.Column("remote_id", sa.String(length=500), nullable=True),
        sa.Column("message_id", sa.String(length=500), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=True),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("innsyn_deadline", sa.Date(), nullable=True),
        sa.Column("deemed_refusal", sa.Date(), nullable=True),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_postmottak_message_item_id_item"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_postmottak_message_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmottak_message")),
        sa.UniqueConstraint("item_id", name=op.f("uq_postmottak_message_item_id")),
        sa.UniqueConstraint(
            "tenant_id", "mailbox", "remote_id", name=op.f("uq_postmottak_message_tenant_id")
        ),
    )
    op.create_index("ix_postmottak_message_state", "postmottak_message", ["tenant_id", "state"], unique=False)
    op.create_index(
        op.f("ix_postmottak_message_message_id"), "postmottak_message", ["message_id"], unique=False
    )
    op.create_index(
        op.f("ix_postmottak_message_tenant_id"), "postmottak_message", ["tenant_id"], unique=False
    )
    op.create_table(
        "postmottak_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=320), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("automated", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["postmottak_message.id"],
            name=op.f("fk_postmottak_action_message_id_postmottak_message"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestion.id"],
            name=op.f("fk_postmottak_action_suggestion_id_suggestion"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_postmottak_action_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmottak_action")),
    )
    op.create_index(
        op.f("ix_postmottak_action_message_id"), "postmottak_action", ["message_id"], unique=False
    )
    op.create_index(op.f("ix_postmottak_action_tenant_id"), "postmottak_action", ["tenant_id"], unique=False)
    op.create_table(
        "postmottak_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("saksnummer", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("gnr", sa.Integer(), nullable=True),
        sa.Column("bnr", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("party", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_postmottak_case_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmottak_case")),
        sa.UniqueConstraint("tenant_id", "saksnummer", name=op.f("uq_postmottak_case_tenant_id")),
    )
    op.create_index(op.f("ix_postmottak_case_tenant_id"), "postmottak_case", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_table("postmottak_case")
    op.drop_table("postmottak_action")
    op.drop_table("postmottak_message")
