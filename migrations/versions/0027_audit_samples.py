"""Audit samples (ISO 10002 8.5): random samples of closed complaints scored against the organization's
checklist, with the findings and the corrective actions they opened.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from flask import current_app
from sqlalchemy.dialects import postgresql

from tenants.rls import enable_rls, grant_app_role

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_first", sa.Date(), nullable=False),
        sa.Column("period_last", sa.Date(), nullable=False),
        sa.Column("size_asked", sa.Integer(), nullable=False),
        sa.Column("checklist", JSON, nullable=False),
        sa.Column("drawn_by_id", sa.Integer(), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["drawn_by_id"],
            ["staff_members.id"],
            name=op.f("fk_audit_samples_drawn_by_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_audit_samples_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_samples")),
    )
    op.create_index("ix_audit_samples_tenant_id_drawn_at", "audit_samples", ["tenant_id", "drawn_at"])
    op.create_table(
        "audit_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("finding", sa.Text(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("scored_by_id", sa.Integer(), nullable=True),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["corrective_actions.id"],
            name=op.f("fk_audit_items_action_id_corrective_actions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_audit_items_complaint_id_complaints"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["audit_samples.id"], name=op.f("fk_audit_items_sample_id_audit_samples"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["scored_by_id"],
            ["staff_members.id"],
            name=op.f("fk_audit_items_scored_by_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_audit_items_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_items")),
        sa.UniqueConstraint(
            "tenant_id", "sample_id", "complaint_id", name=op.f("uq_audit_items_tenant_id_sample_id_complaint_id")
        ),
    )
    op.create_index("ix_audit_items_tenant_id_sample_id", "audit_items", ["tenant_id", "sample_id"])
    if op.get_bind().dialect.name == "postgresql":
        for table in ("audit_samples", "audit_items"):
            for statement in enable_rls(table):
                op.execute(statement)
        for statement in grant_app_role(current_app.config["DATABASE_APP_ROLE"]):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("audit_items")
    op.drop_table("audit_samples")
