"""The tenant's complaint form, in versions: a complaint keeps the version it was filed with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, Json, TenantOwned, UTCDateTime, utcnow


class FormVersion(TenantOwned, Base):
    """One version of the form: the tenant's own fields and the core fields' settings.

    A published version (`number` set) never changes; the one row without a number is the draft that
    settings edit, and publishing gives it the next number.
    """

    __tablename__ = "form_versions"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int | None] = mapped_column()
    # [{"key", "type", "labels": {locale: text}, "help": {...}, "required", "categories": [ids],
    #   "audience": "customer" | "staff", "options": [{"key", "labels"}]}, ...] in display order.
    fields: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    # {"phone": "required" | "optional" | "hidden", ...} for the core fields a tenant may hide or require.
    core: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
