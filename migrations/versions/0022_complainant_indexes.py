"""Complaints found by their complainant's e-mail or national id as by phone (the recurrence report asks, for each
complaint, whether the same customer complained in the 90 days before), by the day they were closed, and by the
day they arrived with the columns the reports count them by.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


# The columns the reports group and filter complaints received in a period by, read from the index alone.
RECEIVED_INCLUDE = [
    "kind",
    "state",
    "channel",
    "priority",
    "category_id",
    "unit_id",
    "handler_id",
    "about_staff_id",
    "escalation_level",
    "reopen_count",
    "cycle",
    "acknowledge_due_at",
    "acknowledged_at",
    "respond_due_at",
    "responded_at",
    "resolve_due_at",
    "closed_at",
    "withdrawn_at",
    "acknowledge_hours",
    "respond_hours",
    "resolve_hours",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_complaints_tenant_id_received_at_id", table_name="complaints")
        op.create_index(
            "ix_complaints_tenant_id_received_at_id",
            "complaints",
            ["tenant_id", "received_at", "id"],
            postgresql_include=RECEIVED_INCLUDE,
        )
    op.create_index("ix_complaints_tenant_id_email", "complaints", ["tenant_id", "email"])
    op.create_index("ix_complaints_tenant_id_national_id", "complaints", ["tenant_id", "national_id"])
    op.create_index("ix_complaints_tenant_id_closed_at", "complaints", ["tenant_id", "closed_at"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_complaints_tenant_id_received_at_id", table_name="complaints")
        op.create_index("ix_complaints_tenant_id_received_at_id", "complaints", ["tenant_id", "received_at", "id"])
    op.drop_index("ix_complaints_tenant_id_closed_at", table_name="complaints")
    op.drop_index("ix_complaints_tenant_id_national_id", table_name="complaints")
    op.drop_index("ix_complaints_tenant_id_email", table_name="complaints")
