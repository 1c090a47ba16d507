"""Whether someone is waiting for a notice, kept on the notice: what a periodic job writes is not awaited.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("awaited", sa.Boolean(), nullable=False, server_default=sa.true()))
    # What was written before: as it was read then, from who it is for.
    notices = sa.table(
        "notices", sa.column("awaited", sa.Boolean), sa.column("audience", sa.String), sa.column("complaint_id")
    )
    op.execute(
        notices.update()
        .where(sa.and_(notices.c.audience != "customer", notices.c.complaint_id.is_not(None)))
        .values(awaited=False)
    )
    with op.batch_alter_table("notices") as batch:
        batch.alter_column("awaited", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("awaited")
