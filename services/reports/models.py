"""What the reports keep: every export made (who, when, what, under which filter, how many rows)."""

from __future__ import annotations

from datetime import date, datetime
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


class ReportSettings(TenantOwned, Base):
    """How the organization counts what its complaints are measured against: customers, visits or transactions."""

    __tablename__ = "report_settings"
    __table_args__ = (sa.UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exposure_kind: Mapped[str] = mapped_column(sa.String(20), default="customers")


class Exposure(TenantOwned, Base):
    """How many customers, visits or transactions the organization had in one month of its calendar (`month` is
    that month's first Gregorian day), for complaints per 1,000."""

    __tablename__ = "exposures"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(sa.Date)
    amount: Mapped[int] = mapped_column(sa.BigInteger)
