"""Records kept for good: the follow-up log no longer goes with a deleted complaint, the application role
cannot delete complaints or tracking codes, and the inbox's covering index carries who a complaint is about;
a corrective action records who changed it last.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from flask import current_app

from tenants.rls import grant_app_role

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_FK = "fk_complaint_events_complaint_id_complaints"
_COVERING = "ix_complaints_tenant_id_state_received_at_id"
_INCLUDE = ["priority", "channel", "category_id", "unit_id", "handler_id", "escalation_level", "safety", "next_due_at"]


def _replace_fk(ondelete: str | None) -> None:
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.drop_constraint(_FK, type_="foreignkey")
        batch_op.create_foreign_key(_FK, "complaints", ["complaint_id"], ["id"], ondelete=ondelete)


def _replace_covering(include: list[str]) -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(_COVERING)
        batch_op.create_index(
            _COVERING, ["tenant_id", "state", "received_at", "id"], unique=False, postgresql_include=include
        )


def upgrade() -> None:
    with op.batch_alter_table("corrective_actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_corrective_actions_updated_by_id_staff_members"),
            "staff_members",
            ["updated_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _replace_fk(None)
    _replace_covering([*_INCLUDE, "about_staff_id"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in grant_app_role(current_app.config["DATABASE_APP_ROLE"]):
            op.execute(statement)


def downgrade() -> None:
    _replace_covering(_INCLUDE)
    _replace_fk("CASCADE")
    with op.batch_alter_table("corrective_actions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_corrective_actions_updated_by_id_staff_members"), type_="foreignkey")
        batch_op.drop_column("updated_by_id")
    if op.get_bind().dialect.name == "postgresql":
        role = current_app.config["DATABASE_APP_ROLE"]
        ident, literal = role.replace('"', '""'), role.replace("'", "''")
        op.execute(
            f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{literal}') THEN "
            f'GRANT DELETE, TRUNCATE ON complaints, tracking_codes TO "{ident}"; END IF; END $$'
        )
