"""The customer's side: the portal's settings and proofs of being the complainant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, Json, TenantOwned, UTCDateTime, utcnow


class PortalSettings(TenantOwned, Base):
    """How the organization presents itself to customers: look, channels, promises, where else to turn."""

    __tablename__ = "portal_settings"
    __table_args__ = (sa.UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    colour: Mapped[str] = mapped_column(sa.String(7), default="#0d6efd")
    logo_key: Mapped[str | None] = mapped_column(sa.String(80))
    logo_type: Mapped[str | None] = mapped_column(sa.String(40))
    # {locale: text}: a word of welcome on the portal's first page.
    intro: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    # [{"kind": "phone" | "email" | "telegram" | ..., "value": "...", "note": {locale: text}}]
    channels: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    # Inside: the higher manager a customer may turn to. {"name": {locale: text}, "contact": "..."}
    inside_body: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # Outside: [{"name": {locale: text}, "contact": "...", "url": "..."}], e.g. Iran's 124 or E-Otinish.
    outside_bodies: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    show_staff_names: Mapped[bool] = mapped_column(default=False)
    # After an answer the customer never reacts to: closed after so many days (0: never), told so many days
    # before; a closed complaint not yet rated gets one reminder after so many days (0: none).
    auto_close_days: Mapped[int] = mapped_column(default=14)
    auto_close_notice_days: Mapped[int] = mapped_column(default=3)
    rating_reminder_days: Mapped[int] = mapped_column(default=3)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerProof(TenantOwned, Base):
    """A one-time code sent to the contact on file, proving that the visitor is the complainant."""

    __tablename__ = "customer_proofs"
    __table_args__ = (sa.Index("ix_customer_proofs_tenant_id_complaint_id", "tenant_id", "complaint_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints.id"))
    channel: Mapped[str] = mapped_column(sa.String(10))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
