"""The working calendar, holidays and deadline rules of a tenant."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, Json, TenantOwned

WORKING_HOURS = "working_hours"
CALENDAR_DAYS = "calendar_days"
DEADLINE_UNITS = (WORKING_HOURS, CALENDAR_DAYS)
STAGES = ("acknowledge", "respond", "resolve")


class WorkingCalendar(TenantOwned, Base):
    """When the organization works: intervals per weekday, as `services.calendar.worktime` reads them."""

    __tablename__ = "working_calendars"
    __table_args__ = (sa.UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # {"0": [["08:00", "16:00"]], ...}, Monday = "0"; a missing day is a day off.
    hours: Mapped[dict[str, list[list[str]]]] = mapped_column(Json)


class Holiday(TenantOwned, Base):
    """A day the organization does not work; imported from the official list or added by hand."""

    __tablename__ = "holidays"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date)
    name: Mapped[str] = mapped_column(sa.String(200))
    official: Mapped[bool] = mapped_column(default=False)


class DeadlineRule(TenantOwned, Base):
    """How long each stage may take. One default rule, and overrides for a priority or a category.

    A field left empty on an override falls back to the default rule's. The legal deadline is counted
    in calendar days from arrival and carries the law it comes from.
    """

    __tablename__ = "deadline_rules"
    __table_args__ = (sa.Index("ix_deadline_rules_tenant_id_category_id", "tenant_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    priority: Mapped[str | None] = mapped_column(sa.String(10))
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id", ondelete="CASCADE"))
    acknowledge_amount: Mapped[int | None]
    acknowledge_unit: Mapped[str | None] = mapped_column(sa.String(20))
    respond_amount: Mapped[int | None]
    respond_unit: Mapped[str | None] = mapped_column(sa.String(20))
    resolve_amount: Mapped[int | None]
    resolve_unit: Mapped[str | None] = mapped_column(sa.String(20))
    legal_days: Mapped[int | None]
    legal_basis: Mapped[str | None] = mapped_column(sa.String(500))

    @property
    def is_default(self) -> bool:
        return self.priority is None and self.category_id is None
