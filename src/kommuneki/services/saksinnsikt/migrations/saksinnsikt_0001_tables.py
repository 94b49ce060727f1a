"""saksinnsikt tables: documents, passages (with embeddings), grants

Revision ID: saksinnsikt_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "saksinnsikt_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saksinnsikt_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tilgangsrestriksjon", sa.String(length=20), nullable=False),
        sa.Column("granted_by", sa.String(length=100), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_saksinnsikt_grant_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_saksinnsikt_grant_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saksinnsikt_grant")),
        sa.UniqueConstraint(
            "tenant_id", "user_id", "tilgangsrestriksjon", name=op.f("uq_saksinnsikt_grant_tenant_id")
        ),
    )
    op.create_index(op.f("ix_saksinnsikt_grant_tenant_id"), "saksinnsikt_grant", ["tenant_id"], unique=False)
    op.create_table(
        "saksinnsikt_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("public_item_id", sa.Integer(), nullable=True),
        sa.Column("external_id", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("public_title", sa.String(length=500), nullable=True),
        sa.Column("saksnummer", sa.String(length=64), nullable=True),
        sa.Column("journalpost", sa.String(length=64), nullable=True),
        sa.Column("dokumenttype", sa.String(length=100), nullable=True),
        sa.Column("document_date", sa.String(length=10), nullable=True),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("klassifikasjon", sa.String(length=200), nullable=True),
        sa.Column("unit_code", sa.String(length=64), nullable=True),
        sa.Column("tilgangsrestriksjon", sa.String(length=20), nullable=True),
        sa.Column("skjermingshjemmel", sa.String(length=200), nullable=True),
        sa.Column("hidden_fields", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("outcome_evidence", sa.JSON(), nullable=False),
        sa.Column("page_starts", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_saksinnsikt_document_item_id_item"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["public_item_id"],
            ["item.id"],
            name=op.f("fk_saksinnsikt_document_public_item_id_item"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_saksinnsikt_document_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saksinnsikt_document")),
        sa.UniqueConstraint("item_id", name=op.f("uq_saksinnsikt_document_item_id")),
        sa.UniqueConstraint("tenant_id", "external_id", name=op.f("uq_saksinnsikt_document_tenant_id")),
    )
    op.create_index(
        "ix_saksinnsikt_document_sak", "saksinnsikt_document", ["tenant_id", "saksnummer"], unique=False
    )
    op.create_index(
        op.f("ix_saksinnsikt_document_tenant_id"), "saksinnsikt_document", ["tenant_id"], unique=False
    )
    op.create_table(
        "saksinnsikt_passage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=10), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["saksinnsikt_document.id"],
            name=op.f("fk_saksinnsikt_passage_document_id_saksinnsikt_document"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_saksinnsikt_passage_item_id_item"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_saksinnsikt_passage_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saksinnsikt_passage")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_saksinnsikt_passage_document",
        "saksinnsikt_passage",
        ["document_id", "variant", "seq"],
        unique=False,
    )
    op.create_index(op.f("ix_saksinnsikt_passage_item_id"), "saksinnsikt_passage", ["item_id"], unique=False)
    op.create_index(
        op.f("ix_saksinnsikt_passage_tenant_id"), "saksinnsikt_passage", ["tenant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_saksinnsikt_passage_tenant_id"), table_name="saksinnsikt_passage")
    op.drop_index(op.f("ix_saksinnsikt_passage_item_id"), table_name="saksinnsikt_passage")
    op.drop_index("ix_saksinnsikt_passage_document", table_name="saksinnsikt_passage")
    op.drop_table("saksinnsikt_passage")
    op.drop_index(op.f("ix_saksinnsikt_document_tenant_id"), table_name="saksinnsikt_document")
    op.drop_index("ix_saksinnsikt_document_sak", table_name="saksinnsikt_document")
    op.drop_table("saksinnsikt_document")
    op.drop_index(op.f("ix_saksinnsikt_grant_tenant_id"), table_name="saksinnsikt_grant")
    op.drop_table("saksinnsikt_grant")
