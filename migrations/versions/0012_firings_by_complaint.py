"""The sweep reads a complaint's firings in its present cycle with the complaint: an index for that join.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_escalation_firings_complaint_id_cycle", "escalation_firings", ["complaint_id", "cycle"])


def downgrade() -> None:
    op.drop_index("ix_escalation_firings_complaint_id_cycle", table_name="escalation_firings")
