"""A tenant's own gateway for a channel (a text-message provider), its secret kept encrypted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, TenantOwned, UTCDateTime, utcnow

Json = sa.JSON().with_variant(JSONB(), "postgresql")


class ChannelAccount(TenantOwned, Base):
    """One provider account per channel: which provider, its plain settings, and its encrypted secret."""

    __tablename__ = "channel_accounts"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(20))  # "sms"
    provider: Mapped[str] = mapped_column(sa.String(20))  # "kavenegar", "smsir", "mobizon", "http"
    # Not secret: the sender line, the API's base address.
    settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    secret_encrypted: Mapped[str] = mapped_column(sa.Text, default="")
    secret_hint: Mapped[str] = mapped_column(sa.String(8), default="")  # the last characters, to recognize it
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
