"""Counting complaints in the database, each count defined by the inbox filter that lists what it counts.

A figure is never counted one way and listed another: its link opens the inbox on the same InboxFilter, whose
conditions (services.complaints.filters) are the ones counted here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from services.catalog.models import Category
from services.complaints.filters import InboxFilter, conditions, tab_condition
from services.complaints.models import Complaint
from tenants.db import db
from tenants.models import StaffMember


def where(actor: StaffMember, f: InboxFilter, tz: ZoneInfo, now: datetime) -> list[sa.ColumnElement[bool]]:
    """The conditions of `f` with its tab: exactly the rows the inbox lists for it."""
    conds = conditions(actor, f, tz, now)
    tab = tab_condition(f.tab)
    return [*conds, tab] if tab is not None else conds


def count_each(actor: StaffMember, filters: Mapping[str, InboxFilter], tz: ZoneInfo, now: datetime) -> dict[str, int]:
    """How many complaints each filter lists, in one query over the complaints `actor` may see."""
    if not filters:
        return {}
    columns = [sa.func.count().filter(sa.and_(*where(actor, f, tz, now))) for f in filters.values()]
    row = db.session.execute(sa.select(*columns).select_from(Complaint)).one()
    return {key: int(value or 0) for key, value in zip(filters, row, strict=True)}


def top_category() -> sa.ColumnElement[Any]:
    """A complaint's top-level category: its category's parent, or its category (None without one)."""
    parent = sa.select(Category.parent_id).where(Category.id == Complaint.category_id).scalar_subquery()
    return sa.func.coalesce(parent, Complaint.category_id)


def count_by(
    actor: StaffMember, f: InboxFilter, key: sa.ColumnElement[Any], tz: ZoneInfo, now: datetime
) -> dict[Any, int]:
    """How many complaints `f` lists, by `key` (grouped in the database)."""
    rows = db.session.execute(
        sa.select(key.label("key"), sa.func.count()).where(*where(actor, f, tz, now)).group_by(sa.literal_column("key"))
    ).all()
    return {value: int(count) for value, count in rows}


def as_date(value: Any) -> date:
    """A day as the database hands it back (a date on PostgreSQL, text on SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
