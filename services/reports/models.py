"""What the reports keep: every export made (who, when, what, under which filter, how many rows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, Json, TenantOwned, UTCDateTime, utcnow


class ExportRecord(TenantOwned, Base):
    """One download of complaints or of a report's table: personal data leaving the service is accounted for."""

    __tablename__ = "export_records"
    __table_args__ = (sa.Index("ix_export_records_tenant_id_at", "tenant_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    staff_member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    # "complaints" (the inbox) or "report:<report>:<table>".
    what: Mapped[str] = mapped_column(sa.String(80))
    format: Mapped[str] = mapped_column(sa.String(10))
    # The URL's parameters the export was made under.
    filters: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    rows: Mapped[int]
    # Whether phone numbers, e-mail addresses and national ids were in it unmasked.
    personal_data: Mapped[bool] = mapped_column(default=False)
