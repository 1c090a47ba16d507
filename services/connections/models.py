"""A tenant's connection: its own account with a provider (an SMS gateway, a mail server or mailbox, a bot, a
messenger, its webhook), its secret kept encrypted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, Json, TenantOwned, UTCDateTime, utcnow


class Connection(TenantOwned, Base):
    """One connection per kind: which provider, its plain settings, and its encrypted secret."""

    # The table and its column "channel" keep the names they were created with (tenants_with_channel() in the
    # database reads them); in Python the column is `kind`.
    __tablename__ = "channel_accounts"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "sms", "email" (a mail server), "imap" (a mailbox), "webhook", "telegram", "bale", "rubika", "eitaa",
    # "whatsapp".
    kind: Mapped[str] = mapped_column("channel", sa.String(20))
    provider: Mapped[str] = mapped_column(sa.String(20))  # "kavenegar", "smsir", "mobizon", "http", "smtp", …
    # Not secret: the sender line, the API's base address.
    settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    secret_encrypted: Mapped[str] = mapped_column(sa.Text, default="")
    secret_hint: Mapped[str] = mapped_column(sa.String(8), default="")  # the last characters, to recognize it
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
