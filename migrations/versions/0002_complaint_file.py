"""The complaint file: complaints, decisions, corrective actions, files, the follow-up log, the working
calendar and deadline rules, root causes, the tracking-code registry; RLS, the append-only log, search.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from flask import current_app
from sqlalchemy.dialects import postgresql

from tenants.rls import allow_indexed_search, enable_rls, grant_app_role

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


TENANT_OWNED = (
    "tracking_codes",
    "holidays",
    "root_causes",
    "working_calendars",
    "deadline_rules",
    "complaints",
    "corrective_actions",
    "decisions",
    "attachments",
    "complaint_events",
)


COVERED = [
    "priority",
    "channel",
    "category_id",
    "unit_id",
    "handler_id",
    "escalation_level",
    "safety",
    "next_due_at",
]


def upgrade() -> None:
    op.create_table(
        "holidays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("official", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_holidays_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holidays")),
        sa.UniqueConstraint("tenant_id", "day", name=op.f("uq_holidays_tenant_id_day")),
    )
    op.create_table(
        "root_causes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("names", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_root_causes_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_root_causes")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_root_causes_tenant_id_key")),
    )
    op.create_table(
        "tracking_codes",
        sa.Column("code", sa.String(length=13), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_tracking_codes_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_tracking_codes")),
    )
    with op.batch_alter_table("tracking_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracking_codes_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "working_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_working_calendars_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_calendars")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_working_calendars_tenant_id")),
    )
    op.create_table(
        "deadline_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("acknowledge_amount", sa.Integer(), nullable=True),
        sa.Column("acknowledge_unit", sa.String(length=20), nullable=True),
        sa.Column("respond_amount", sa.Integer(), nullable=True),
        sa.Column("respond_unit", sa.String(length=20), nullable=True),
        sa.Column("resolve_amount", sa.Integer(), nullable=True),
        sa.Column("resolve_unit", sa.String(length=20), nullable=True),
        sa.Column("legal_days", sa.Integer(), nullable=True),
        sa.Column("legal_basis", sa.String(length=500), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_deadline_rules_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_deadline_rules_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_rules")),
    )
    with op.batch_alter_table("deadline_rules", schema=None) as batch_op:
        batch_op.create_index("ix_deadline_rules_tenant_id_category_id", ["tenant_id", "category_id"], unique=False)

    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=13), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by_id", sa.Integer(), nullable=True),
        sa.Column("complainant_name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("national_id", sa.String(length=20), nullable=True),
        sa.Column("preferred_contact", sa.String(length=20), nullable=True),
        sa.Column("preferred_locale", sa.String(length=5), nullable=False),
        sa.Column("representative_name", sa.String(length=200), nullable=True),
        sa.Column("representative_relation", sa.String(length=200), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("remedy_sought", sa.Text(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("safety", sa.Boolean(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("handler_id", sa.Integer(), nullable=True),
        sa.Column("about_staff_id", sa.Integer(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("acknowledge_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("respond_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolve_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("legal_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline_policy", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("submission_key", sa.String(length=64), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["about_staff_id"],
            ["staff_members.id"],
            name=op.f("fk_complaints_about_staff_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_complaints_category_id_categories"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["handler_id"],
            ["staff_members.id"],
            name=op.f("fk_complaints_handler_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_id"],
            ["staff_members.id"],
            name=op.f("fk_complaints_registered_by_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_complaints_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_complaints_unit_id_units"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff_members.id"],
            name=op.f("fk_complaints_updated_by_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_complaints_tenant_id_code")),
        sa.UniqueConstraint("tenant_id", "submission_key", name=op.f("uq_complaints_tenant_id_submission_key")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index("ix_complaints_tenant_id_handler_id", ["tenant_id", "handler_id"], unique=False)
        batch_op.create_index("ix_complaints_tenant_id_next_due_at", ["tenant_id", "next_due_at"], unique=False)
        batch_op.create_index("ix_complaints_tenant_id_phone", ["tenant_id", "phone"], unique=False)
        batch_op.create_index(
            "ix_complaints_tenant_id_received_at_id", ["tenant_id", "received_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_complaints_tenant_id_state_received_at_id",
            ["tenant_id", "state", "received_at", "id"],
            unique=False,
            # The inbox's filters, so the counts per tab are answered from the index alone.
            postgresql_include=COVERED,
        )
        batch_op.create_index(
            "ix_complaints_tenant_id_unit_id_received_at", ["tenant_id", "unit_id", "received_at"], unique=False
        )

    op.create_table(
        "corrective_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("root_cause_id", sa.Integer(), nullable=True),
        sa.Column("root_cause_text", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("verification_note", sa.Text(), nullable=True),
        sa.Column("deferred_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_corrective_actions_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_members.id"],
            name=op.f("fk_corrective_actions_created_by_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["staff_members.id"],
            name=op.f("fk_corrective_actions_owner_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["root_cause_id"],
            ["root_causes.id"],
            name=op.f("fk_corrective_actions_root_cause_id_root_causes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_corrective_actions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_corrective_actions_unit_id_units"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrective_actions")),
    )
    with op.batch_alter_table("corrective_actions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_corrective_actions_tenant_id_complaint_id", ["tenant_id", "complaint_id"], unique=False
        )

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("justified", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("legal_grounds", sa.Text(), nullable=True),
        sa.Column("remedy", sa.Text(), nullable=True),
        sa.Column("compensation_amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["staff_members.id"],
            name=op.f("fk_decisions_approved_by_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_decisions_complaint_id_complaints"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["staff_members.id"],
            name=op.f("fk_decisions_decided_by_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_decisions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint(
            "tenant_id", "complaint_id", "cycle", name=op.f("uq_decisions_tenant_id_complaint_id_cycle")
        ),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("storage_key", sa.String(length=80), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("customer_visible", sa.Boolean(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["corrective_actions.id"],
            name=op.f("fk_attachments_action_id_corrective_actions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_attachments_complaint_id_complaints"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_attachments_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["staff_members.id"],
            name=op.f("fk_attachments_uploaded_by_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index("ix_attachments_tenant_id_complaint_id", ["tenant_id", "complaint_id"], unique=False)

    op.create_table(
        "complaint_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("customer_visible", sa.Boolean(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["corrective_actions.id"], name=op.f("fk_complaint_events_action_id_corrective_actions")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff_members.id"], name=op.f("fk_complaint_events_actor_id_staff_members")
        ),
        sa.ForeignKeyConstraint(
            ["attachment_id"], ["attachments.id"], name=op.f("fk_complaint_events_attachment_id_attachments")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_events_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_complaint_events_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_events")),
    )
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaint_events_tenant_id_complaint_id_id", ["tenant_id", "complaint_id", "id"], unique=False
        )

    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_staff_members_unit_id_units"),
            "units",
            ["unit_id"],
            ["id"],
            ondelete="SET NULL",
            use_alter=True,
        )

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=2), nullable=False, server_default="IR"))
        batch_op.add_column(sa.Column("currency", sa.String(length=3), nullable=False, server_default="IRR"))
    # Organizations that signed up in Kazakh or Russian work in Kazakhstan.
    op.execute("UPDATE tenants SET country = 'KZ', currency = 'KZT' WHERE default_locale IN ('kk', 'ru')")

    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_OWNED:
            for statement in enable_rls(table):
                op.execute(statement)
        # Substring search over names, phones, codes and text, within one tenant.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        op.execute(
            "CREATE INDEX ix_complaints_tenant_id_search_text ON complaints "
            "USING gin (tenant_id, search_text gin_trgm_ops)"
        )
        op.execute(allow_indexed_search())
        for statement in grant_app_role(current_app.config["DATABASE_APP_ROLE"]):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_complaints_tenant_id_search_text")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("currency")
        batch_op.drop_column("country")

    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_staff_members_unit_id_units"), type_="foreignkey")
        batch_op.drop_column("unit_id")

    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_events_tenant_id_complaint_id_id")

    op.drop_table("complaint_events")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_attachments_tenant_id_complaint_id")

    op.drop_table("attachments")
    op.drop_table("decisions")
    with op.batch_alter_table("corrective_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_corrective_actions_tenant_id_complaint_id")

    op.drop_table("corrective_actions")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index("ix_complaints_tenant_id_unit_id_received_at")
        batch_op.drop_index("ix_complaints_tenant_id_state_received_at_id")
        batch_op.drop_index("ix_complaints_tenant_id_received_at_id")
        batch_op.drop_index("ix_complaints_tenant_id_phone")
        batch_op.drop_index("ix_complaints_tenant_id_next_due_at")
        batch_op.drop_index("ix_complaints_tenant_id_handler_id")

    op.drop_table("complaints")
    with op.batch_alter_table("deadline_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_rules_tenant_id_category_id")

    op.drop_table("deadline_rules")
    op.drop_table("working_calendars")
    with op.batch_alter_table("tracking_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracking_codes_tenant_id"))

    op.drop_table("tracking_codes")
    op.drop_table("root_causes")
    op.drop_table("holidays")
