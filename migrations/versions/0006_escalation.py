"""Escalation rules and their firings; the index the sweep's "no update for so long" reads; every tenant starts
with two rules: warn the handler four hours before a deadline, tell the handler and the unit's head when one
passes.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from flask import current_app
from sqlalchemy.dialects import postgresql

from tenants.rls import enable_rls, grant_app_role

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
OPEN = sa.text("state IN ('received', 'acknowledged', 'investigating', 'action', 'responded')")
DEFAULT_RULES = """
INSERT INTO escalation_rules (tenant_id, position, name, is_active, states, priorities, category_ids, channels,
    trigger, deadline, minutes, notify_roles, notify_member_ids, notify_handler, notify_unit_head, raise_priority,
    raise_level, updated_at)
SELECT id, {position}, '{name}', {true}, '[]', '[]', '[]', '[]', '{trigger}', 'any', {minutes}, '[]', '[]', {true},
    {head}, {false}, {false}, CURRENT_TIMESTAMP FROM tenants
"""


def upgrade() -> None:
    op.create_table(
        "escalation_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("states", JSON, nullable=False),
        sa.Column("priorities", JSON, nullable=False),
        sa.Column("category_ids", JSON, nullable=False),
        sa.Column("channels", JSON, nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("deadline", sa.String(length=20), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("notify_roles", JSON, nullable=False),
        sa.Column("notify_member_ids", JSON, nullable=False),
        sa.Column("notify_handler", sa.Boolean(), nullable=False),
        sa.Column("notify_unit_head", sa.Boolean(), nullable=False),
        sa.Column("notify_email", sa.String(length=254), nullable=True),
        sa.Column("raise_priority", sa.Boolean(), nullable=False),
        sa.Column("reassign_unit_id", sa.Integer(), nullable=True),
        sa.Column("reassign_handler_id", sa.Integer(), nullable=True),
        sa.Column("raise_level", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reassign_handler_id"],
            ["staff_members.id"],
            name=op.f("fk_escalation_rules_reassign_handler_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reassign_unit_id"],
            ["units.id"],
            name=op.f("fk_escalation_rules_reassign_unit_id_units"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_escalation_rules_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_rules")),
    )
    op.create_table(
        "escalation_firings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.String(length=20), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_escalation_firings_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["escalation_rules.id"],
            name=op.f("fk_escalation_firings_rule_id_escalation_rules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_escalation_firings_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_firings")),
        sa.UniqueConstraint(
            "tenant_id",
            "rule_id",
            "complaint_id",
            "cycle",
            "deadline",
            name=op.f("uq_escalation_firings_tenant_id_rule_id_complaint_id_cycle_deadline"),
        ),
    )
    op.create_index(
        "ix_complaints_open_updated_at",
        "complaints",
        ["tenant_id", "updated_at"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    # Before row-level security is on: the owner writes every tenant's first rules.
    pg = op.get_bind().dialect.name == "postgresql"
    true, false = ("true", "false") if pg else ("1", "0")
    for position, name, trigger, minutes, head in (
        (0, "Warn the handler before a deadline", "due_near", 240, false),
        (1, "Tell the handler and the unit head when a deadline passes", "overdue", 0, true),
    ):
        op.execute(
            DEFAULT_RULES.format(
                position=position, name=name, trigger=trigger, minutes=minutes, head=head, true=true, false=false
            )
        )
    if pg:
        for table in ("escalation_rules", "escalation_firings"):
            for statement in enable_rls(table):
                op.execute(statement)
        for statement in grant_app_role(current_app.config["DATABASE_APP_ROLE"]):
            op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_complaints_open_updated_at", table_name="complaints")
    op.drop_table("escalation_firings")
    op.drop_table("escalation_rules")
