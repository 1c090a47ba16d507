"""What customers write on WhatsApp: the message ids already taken (Meta delivers again what it thinks was not),
and what WhatsApp later says of the notices it carried.

Revision ID: 0031
Revises: 0030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from flask import current_app

from tenants.rls import enable_rls, grant_app_role

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_whatsapp_messages_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_messages")),
        sa.UniqueConstraint("tenant_id", "message_id", name=op.f("uq_whatsapp_messages_tenant_id_message_id")),
    )
    op.create_index(op.f("ix_whatsapp_messages_received_at"), "whatsapp_messages", ["received_at"], unique=False)
    with op.batch_alter_table("notices") as batch_op:
        batch_op.add_column(sa.Column("receipt", sa.String(length=10), nullable=True))
    op.create_index("ix_notices_tenant_id_provider_id", "notices", ["tenant_id", "provider_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in enable_rls("whatsapp_messages"):
            op.execute(statement)
        for statement in grant_app_role(current_app.config["DATABASE_APP_ROLE"]):
            op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_notices_tenant_id_provider_id", table_name="notices")
    with op.batch_alter_table("notices") as batch_op:
        batch_op.drop_column("receipt")
    op.drop_index(op.f("ix_whatsapp_messages_received_at"), table_name="whatsapp_messages")
    op.drop_table("whatsapp_messages")
