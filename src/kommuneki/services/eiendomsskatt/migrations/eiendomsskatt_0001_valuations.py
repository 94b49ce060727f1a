"""eiendomsskatt tables

Revision ID: eiendomsskatt_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "eiendomsskatt_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "eiendomsskatt_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sales_item_id", sa.Integer(), nullable=True),
        sa.Column("dwellings_item_id", sa.Integer(), nullable=True),
        sa.Column("model_version_id", sa.Integer(), nullable=True),
        sa.Column("valuation_date", sa.Date(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dwellings_item_id"],
            ["item.id"],
            name=op.f("fk_eiendomsskatt_run_dwellings_item_id_item"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_version.id"],
            name=op.f("fk_eiendomsskatt_run_model_version_id_model_version"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sales_item_id"],
            ["item.id"],
            name=op.f("fk_eiendomsskatt_run_sales_item_id_item"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_eiendomsskatt_run_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eiendomsskatt_run")),
    )
    op.create_index(op.f("ix_eiendomsskatt_run_tenant_id"), "eiendomsskatt_run", ["tenant_id"], unique=False)
    op.create_table(
        "eiendomsskatt_valuation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("building_type", sa.String(length=20), nullable=False),
        sa.Column("area_code", sa.String(length=32), nullable=False),
        sa.Column("living_area", sa.Float(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("lower", sa.Float(), nullable=False),
        sa.Column("upper", sa.Float(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("flag_reason", sa.Text(), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["eiendomsskatt_run.id"],
            name=op.f("fk_eiendomsskatt_valuation_run_id_eiendomsskatt_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestion.id"],
            name=op.f("fk_eiendomsskatt_valuation_suggestion_id_suggestion"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_eiendomsskatt_valuation_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eiendomsskatt_valuation")),
    )
    op.create_index(
        "ix_eiendomsskatt_valuation_unit",
        "eiendomsskatt_valuation",
        ["tenant_id", "run_id", "unit_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_eiendomsskatt_valuation_run_id"), "eiendomsskatt_valuation", ["run_id"], unique=False
    )
    op.create_index(
        op.f("ix_eiendomsskatt_valuation_tenant_id"), "eiendomsskatt_valuation", ["tenant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_eiendomsskatt_valuation_tenant_id"), table_name="eiendomsskatt_valuation")
    op.drop_index(op.f("ix_eiendomsskatt_valuation_run_id"), table_name="eiendomsskatt_valuation")
    op.drop_index("ix_eiendomsskatt_valuation_unit", table_name="eiendomsskatt_valuation")
    op.drop_table("eiendomsskatt_valuation")
    op.drop_index(op.f("ix_eiendomsskatt_run_tenant_id"), table_name="eiendomsskatt_run")
    op.drop_table("eiendomsskatt_run")
