"""The steps the system took on complaints (closing one for want of the customer's reaction), indexed apart: the
outcomes report tells an accepted answer from an auto-closed complaint by them.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

WHERE = "kind = 'transition' AND actor_kind = 'system'"


def upgrade() -> None:
    op.create_index(
        "ix_complaint_events_system_transitions",
        "complaint_events",
        ["tenant_id", "complaint_id"],
        postgresql_where=sa.text(WHERE),
        sqlite_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_complaint_events_system_transitions", table_name="complaint_events")
