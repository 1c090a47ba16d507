"""What the intake keeps: each mail read from an organization's mailbox, and where each chat stands in telling
its complaint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, TenantOwned, UTCDateTime, utcnow


class InboundMail(TenantOwned, Base):
    """One mail read from the organization's mailbox, and what became of it."""

    __tablename__ = "inbound_mails"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "message_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_key: Mapped[str] = mapped_column(sa.String(255))  # the Message-ID, or a digest of the mail
    sender: Mapped[str] = mapped_column(sa.String(254), default="")
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    # "registered", "message", or "ignored" with its reason.
    outcome: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.String(40), default="")
    complaint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("complaints.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class BotConversation(TenantOwned, Base):
    """Where one chat stands in telling its complaint."""

    __tablename__ = "bot_conversations"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "provider", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(20))
    chat_id: Mapped[str] = mapped_column(sa.String(40))
    step: Mapped[str] = mapped_column(sa.String(20))  # "name", "phone", "story"
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WhatsAppMessage(TenantOwned, Base):
    """A message id WhatsApp delivered to the organization's callback: Meta retries what it thinks was not
    taken, and a second delivery of the same id finds it here and is left alone. Holds no personal data."""

    __tablename__ = "whatsapp_messages"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(200))  # "wamid.…"
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
