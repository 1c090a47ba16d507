"""Complaints found by their complainant's e-mail or national id as by phone (the recurrence report asks, for each
complaint, whether the same customer complained in the 90 days before), and by the day they were closed.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_complaints_tenant_id_email", "complaints", ["tenant_id", "email"])
    op.create_index("ix_complaints_tenant_id_national_id", "complaints", ["tenant_id", "national_id"])
    op.create_index("ix_complaints_tenant_id_closed_at", "complaints", ["tenant_id", "closed_at"])


def downgrade() -> None:
    op.drop_index("ix_complaints_tenant_id_closed_at", table_name="complaints")
    op.drop_index("ix_complaints_tenant_id_national_id", table_name="complaints")
    op.drop_index("ix_complaints_tenant_id_email", table_name="complaints")
