"""This installation's random id, so Message-IDs of two installations (or of a restored copy) never meet.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from flask import current_app

from tenants.rls import grant_app_role

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    installation = op.create_table(
        "installation",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
    )
    op.bulk_insert(installation, [{"id": secrets.token_hex(6), "created_at": datetime.now(UTC)}])
    if op.get_bind().dialect.name == "postgresql":
        for statement in grant_app_role(current_app.config["DATABASE_APP_ROLE"]):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("installation")
