"""Delivering notices: each notice's rendered subject and body and the channel's message id, the index the
relay reads across tenants, the tenants' own notice wording, and the relay's directory function.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from flask import current_app

from tenants.rls import enable_rls, grant_app_role, notice_directory

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DUE = sa.text("status IN ('pending', 'sending')")


def upgrade() -> None:
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("provider_id", sa.String(length=120), nullable=True))
    op.create_index("ix_notices_due", "notices", ["next_attempt_at"], postgresql_where=DUE, sqlite_where=DUE)

    op.create_table(
        "notice_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_notice_templates_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_templates")),
        sa.UniqueConstraint(
            "tenant_id", "event", "channel", "locale", name=op.f("uq_notice_templates_tenant_id_event_channel_locale")
        ),
    )

    if op.get_bind().dialect.name == "postgresql":
        for statement in enable_rls("notice_templates"):
            op.execute(statement)
        for statement in notice_directory(current_app.config["DATABASE_APP_ROLE"]):
            op.execute(statement)
        for statement in grant_app_role(current_app.config["DATABASE_APP_ROLE"]):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS notice_directory ON notices")
        op.execute("DROP FUNCTION IF EXISTS due_notices(timestamptz, integer)")
    op.drop_table("notice_templates")
    op.drop_index("ix_notices_due", table_name="notices")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_column("provider_id")
        batch_op.drop_column("body")
        batch_op.drop_column("subject")
