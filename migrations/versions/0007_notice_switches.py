"""The events a tenant has chosen not to tell; when an answered complaint closes by itself, and when an unrated
one is reminded of its rating.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from flask import current_app

from tenants.rls import enable_rls, grant_app_role

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_switches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_notice_switches_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_switches")),
        sa.UniqueConstraint("tenant_id", "event", name=op.f("uq_notice_switches_tenant_id_event")),
    )
    with op.batch_alter_table("portal_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auto_close_days", sa.Integer(), nullable=False, server_default="14"))
        batch_op.add_column(sa.Column("auto_close_notice_days", sa.Integer(), nullable=False, server_default="3"))
        batch_op.add_column(sa.Column("rating_reminder_days", sa.Integer(), nullable=False, server_default="3"))
    if op.get_bind().dialect.name == "postgresql":
        for statement in enable_rls("notice_switches"):
            op.execute(statement)
        for statement in grant_app_role(current_app.config["DATABASE_APP_ROLE"]):
            op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("portal_settings", schema=None) as batch_op:
        batch_op.drop_column("rating_reminder_days")
        batch_op.drop_column("auto_close_notice_days")
        batch_op.drop_column("auto_close_days")
    op.drop_table("notice_switches")
