"""The mailbox reader asks which active organizations have a mailbox in one query, not one per organization.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op
from flask import current_app

from tenants.rls import channel_directory, grant_app_role

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in channel_directory(current_app.config["DATABASE_APP_ROLE"]):
            op.execute(statement)
        for statement in grant_app_role(current_app.config["DATABASE_APP_ROLE"]):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS channel_directory ON channel_accounts")
        op.execute("DROP FUNCTION IF EXISTS tenants_with_channel(text)")
