"""governance: AI register, revisions, AI Act assessments, DPIA/ROS documents, monitoring alerts

Revision ID: governance_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "governance_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ki_system",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("public_summary", sa.Text(), nullable=False),
        sa.Column("owner_unit", sa.String(length=200), nullable=False),
        sa.Column("owner_person", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=320), nullable=False),
        sa.Column("supplier", sa.String(length=200), nullable=False),
        sa.Column("service_area", sa.String(length=200), nullable=False),
        sa.Column("legal_basis_art6", sa.Text(), nullable=False),
        sa.Column("legal_basis_art9", sa.Text(), nullable=False),
        sa.Column("sector_law", sa.Text(), nullable=False),
        sa.Column("data_categories", sa.JSON(), nullable=False),
        sa.Column("affects_individuals", sa.Boolean(), nullable=False),
        sa.Column("human_oversight", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("dpia_ref", sa.String(length=500), nullable=False),
        sa.Column("ros_ref", sa.String(length=500), nullable=False),
        sa.Column("training_legal_basis", sa.Text(), nullable=True),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("override_alert_threshold", sa.Float(), nullable=False),
        sa.Column("drift_alert_threshold", sa.Float(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_ki_system_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ki_system")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_ki_system_tenant_id")),
    )
    with op.batch_alter_table("ki_system", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ki_system_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "ki_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=300), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("window_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=80), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"], ["ki_system.id"], name=op.f("fk_ki_alert_system_id_ki_system"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_ki_alert_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ki_alert")),
    )
    with op.batch_alter_table("ki_alert", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ki_alert_open", ["tenant_id", "system_id", "metric", "resolved_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ki_alert_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "ki_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("risk_class", sa.String(length=20), nullable=False),
        sa.Column("rules_sha256", sa.String(length=64), nullable=False),
        sa.Column("rerun_of_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rerun_of_id"],
            ["ki_assessment.id"],
            name=op.f("fk_ki_assessment_rerun_of_id_ki_assessment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["ki_system.id"],
            name=op.f("fk_ki_assessment_system_id_ki_system"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_ki_assessment_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ki_assessment")),
    )
    with op.batch_alter_table("ki_assessment", schema=None) as batch_op:
        batch_op.create_index("ix_ki_assessment_system", ["system_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ki_assessment_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "ki_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("doc_type", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["ki_system.id"],
            name=op.f("fk_ki_document_system_id_ki_system"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_ki_document_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ki_document")),
        sa.UniqueConstraint("system_id", "doc_type", "version", name=op.f("uq_ki_document_system_id")),
    )
    with op.batch_alter_table("ki_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ki_document_system_id"), ["system_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ki_document_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "ki_system_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("changed_fields", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["ki_system.id"],
            name=op.f("fk_ki_system_revision_system_id_ki_system"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_ki_system_revision_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ki_system_revision")),
        sa.UniqueConstraint("system_id", "revision", name=op.f("uq_ki_system_revision_system_id")),
    )
    with op.batch_alter_table("ki_system_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ki_system_revision_system_id"), ["system_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ki_system_revision_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ki_system_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ki_system_revision_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_ki_system_revision_system_id"))

    op.drop_table("ki_system_revision")
    with op.batch_alter_table("ki_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ki_document_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_ki_document_system_id"))

    op.drop_table("ki_document")
    with op.batch_alter_table("ki_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ki_assessment_tenant_id"))
        batch_op.drop_index("ix_ki_assessment_system")

    op.drop_table("ki_assessment")
    with op.batch_alter_table("ki_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ki_alert_tenant_id"))
        batch_op.drop_index("ix_ki_alert_open")

    op.drop_table("ki_alert")
    with op.batch_alter_table("ki_system", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ki_system_tenant_id"))

    op.drop_table("ki_system")
