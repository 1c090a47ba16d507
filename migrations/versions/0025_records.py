"""How the organization keeps its records: the header of its two forms (F-06-02-01 registration, F-06-02-02
follow-up: codes, revision, revision date, the approver's title) and how many months a closed complaint keeps its
personal data; each complaint's legal hold, and when its personal data was removed.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from flask import current_app
from sqlalchemy.dialects import postgresql

from tenants.rls import LOG_SCRUBBER, enable_rls, grant_app_role

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_code", sa.String(length=40), nullable=False),
        sa.Column("follow_up_code", sa.String(length=40), nullable=False),
        sa.Column("revision", sa.String(length=20), nullable=False),
        sa.Column("revision_date", sa.Date(), nullable=True),
        sa.Column("approver_title", sa.String(length=120), nullable=True),
        sa.Column("retention_months", sa.Integer(), nullable=False),
        sa.Column("audit_checklist", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_record_settings_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_settings")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_record_settings_tenant_id")),
    )
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("anonymized_at", sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        for statement in enable_rls("record_settings"):
            op.execute(statement)
        for statement in LOG_SCRUBBER:
            op.execute(statement)
        for statement in grant_app_role(current_app.config["DATABASE_APP_ROLE"]):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS scrub_log_entry(integer, text, jsonb)")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("anonymized_at")
        batch.drop_column("legal_hold")
    op.drop_table("record_settings")
