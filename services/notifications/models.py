"""The outbox: every notice the process owes, written in the transaction of the change that causes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, Json, TenantOwned, UTCDateTime, utcnow


class NoticeStatus:
    PENDING = "pending"  # waiting for its (next) attempt
    SENDING = "sending"  # a worker holds it until next_attempt_at (its lease); past that it is tried again
    SENT = "sent"
    FAILED = "failed"  # out of attempts, or refused for good; staff may retry it


class Notice(TenantOwned, Base):
    """One notice to one recipient on one channel, rendered when written; the workers send and retry it."""

    __tablename__ = "notices"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "idempotency_key"),
        sa.Index("ix_notices_tenant_id_status_next_attempt_at", "tenant_id", "status", "next_attempt_at"),
        # A channel's later word on a message (WhatsApp's statuses) names it by the channel's own id.
        sa.Index("ix_notices_tenant_id_provider_id", "tenant_id", "provider_id"),
        # The relay's question across tenants: what is due now. Only the unsent are in it.
        sa.Index(
            "ix_notices_due",
            "next_attempt_at",
            postgresql_where=sa.text("status IN ('pending', 'sending')"),
            sqlite_where=sa.text("status IN ('pending', 'sending')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("complaints.id"))
    # "registered", "verification_code", "customer_replied", ...
    event: Mapped[str] = mapped_column(sa.String(40))
    audience: Mapped[str] = mapped_column(sa.String(10), default="customer")
    channel: Mapped[str] = mapped_column(sa.String(20))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    locale: Mapped[str] = mapped_column(sa.String(5))
    # What the templates need beyond the complaint: a one-time code, a signed link, who replied.
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    subject: Mapped[str] = mapped_column(sa.Text, default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(10), default=NoticeStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the channel said, word for word: for operators (and the log), never shown to the organization.
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # What happened, as the organization reads it (services.gateways.base.Reason): shown in its words.
    reason: Mapped[str | None] = mapped_column(sa.String(20))
    # The claim that holds a "sending" notice: only the worker holding it renews its lease or records a result.
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    idempotency_key: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the channel called the message it took (a provider's message id), for tracing a complaint about it.
    provider_id: Mapped[str | None] = mapped_column(sa.String(120))
    # What the channel later said of the message it took, where it says ("delivered", "read": WhatsApp's
    # statuses); a later "failed" makes the notice failed instead.
    receipt: Mapped[str | None] = mapped_column(sa.String(10))

    # Whether someone is waiting for this notice now: a customer (an acknowledgement, a one-time code, an answer),
    # or a person at an invitation or a password reset. Those leave first, on their own queue, before the
    # notices about complaints to staff, the organization's systems and outside parties, and before what a
    # periodic job writes (a reminder to rate, a warning that an answer will close): nobody waits for those.
    awaited: Mapped[bool] = mapped_column(default=lambda context: _awaited_default(context.get_current_parameters()))


def _awaited_default(values: dict[str, Any]) -> bool:
    return values.get("audience", "customer") == "customer" or values.get("complaint_id") is None


class NoticeTemplate(TenantOwned, Base):
    """The tenant's own wording of one event's notice on one channel in one language (else the default)."""

    __tablename__ = "notice_templates"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "event", "channel", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(sa.String(40))
    channel: Mapped[str] = mapped_column(sa.String(20))
    locale: Mapped[str] = mapped_column(sa.String(5))
    subject: Mapped[str] = mapped_column(sa.Text, default="")
    body: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NoticeSwitch(TenantOwned, Base):
    """The tenant's rule for one event: told or not (no row: told), and for a staff notice, who else hears of it
    ("unit_head", "managers", "group": the organization's group chat)."""

    __tablename__ = "notice_switches"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(sa.String(40))
    enabled: Mapped[bool] = mapped_column(default=True)
    copies: Mapped[list[str]] = mapped_column(sa.JSON, default=list, server_default="[]")
