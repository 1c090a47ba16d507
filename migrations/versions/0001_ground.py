"""The ground: tenants, staff, invitations, units, categories, with row-level security.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from flask import current_app
from sqlalchemy.dialects import postgresql

from tenants.rls import enable_rls, grant_app_role

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TRANSLATIONS = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TENANT_OWNED = ("staff_members", "staff_invitations", "units", "categories")


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("industry", sa.String(length=30), nullable=False),
        sa.Column("default_locale", sa.String(length=5), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenants_slug")),
    )
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("names", TRANSLATIONS, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["categories.id"],
            name=op.f("fk_categories_parent_id_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_categories_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_categories_tenant_id_key")),
    )
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.create_index("ix_categories_tenant_id_parent_id", ["tenant_id", "parent_id"], unique=False)

    op.create_table(
        "staff_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_staff_members_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_members")),
        sa.UniqueConstraint("tenant_id", "email", name=op.f("uq_staff_members_tenant_id_email")),
    )
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.create_index("ix_staff_members_tenant_id_role", ["tenant_id", "role"], unique=False)

    op.create_table(
        "staff_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["staff_members.id"],
            name=op.f("fk_staff_invitations_invited_by_id_staff_members"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_staff_invitations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invitations")),
    )
    with op.batch_alter_table("staff_invitations", schema=None) as batch_op:
        batch_op.create_index("ix_staff_invitations_tenant_id_email", ["tenant_id", "email"], unique=False)

    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("names", TRANSLATIONS, nullable=False),
        sa.Column("head_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["head_id"],
            ["staff_members.id"],
            name=op.f("fk_units_head_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_units_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_units_tenant_id_key")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_OWNED:
            for statement in enable_rls(table):
                op.execute(statement)
        for statement in grant_app_role(current_app.config["DATABASE_APP_ROLE"]):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("units")
    with op.batch_alter_table("staff_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_invitations_tenant_id_email")

    op.drop_table("staff_invitations")
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_members_tenant_id_role")

    op.drop_table("staff_members")
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_index("ix_categories_tenant_id_parent_id")

    op.drop_table("categories")
    op.drop_table("tenants")
