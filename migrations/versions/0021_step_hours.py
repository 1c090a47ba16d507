"""Working hours each step of a complaint's current cycle took (acknowledge, answer, resolve), kept when the step
is taken: the timeliness report's median and 90th percentile are read from them.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

COLUMNS = ("acknowledge_hours", "respond_hours", "resolve_hours")


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
