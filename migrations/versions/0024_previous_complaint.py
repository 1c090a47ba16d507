"""When each complaint's complainant last complained before it (the same phone, e-mail or national ID), kept on
the complaint: the recurrence report's "the same customer again" reads it, and it outlives the contacts.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# The complaint just before each one by any of its contacts, in order of arrival: one window per contact.
BACKFILL = """
UPDATE complaints SET previous_received_at = found.before
FROM (
    SELECT id, max(before) AS before FROM (
        SELECT id, lag(received_at) OVER (PARTITION BY tenant_id, phone ORDER BY received_at, id) AS before
        FROM complaints WHERE phone IS NOT NULL
        UNION ALL
        SELECT id, lag(received_at) OVER (PARTITION BY tenant_id, email ORDER BY received_at, id)
        FROM complaints WHERE email IS NOT NULL
        UNION ALL
        SELECT id, lag(received_at) OVER (PARTITION BY tenant_id, national_id ORDER BY received_at, id)
        FROM complaints WHERE national_id IS NOT NULL
    ) AS each_contact
    GROUP BY id
) AS found
WHERE complaints.id = found.id AND found.before IS NOT NULL
"""


# As revision 0022 left the index of arrivals: the recurrence report reads the new column from it too.
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
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("previous_received_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(BACKFILL)
    if op.get_bind().dialect.name == "postgresql":
        _received_index([*RECEIVED_INCLUDE, "previous_received_at"])


def _received_index(include: list[str]) -> None:
    """The index of complaints by arrival, covering what the reports read of a period's rows."""
    op.drop_index("ix_complaints_tenant_id_received_at_id", table_name="complaints")
    op.create_index(
        "ix_complaints_tenant_id_received_at_id",
        "complaints",
        ["tenant_id", "received_at", "id"],
        postgresql_include=include,
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _received_index(RECEIVED_INCLUDE)
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("previous_received_at")
