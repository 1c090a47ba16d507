"""Complaints per 1,000: the organization's customers, visits or transactions per month of its calendar, entered
in settings, and the volume report's rate per month beside the raw count."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.reports.models import Exposure, ReportSettings
from services.reports.periods import bucket_of, buckets, next_bucket, sum_by_bucket
from services.reports.tables import Cell, Row, Scope, Table
from tenants.db import db
from tenants.errors import Refused
from tenants.models import StaffMember
from tenants.roles import Permission, require
from tenants.text import normalize_input

KINDS = ("customers", "visits", "transactions")
LARGEST = 10**12
KIND_WORDS = {"customers": _l("Customers"), "visits": _l("Visits"), "transactions": _l("Transactions")}


def exposure_kind() -> str:
    found = db.session.scalar(sa.select(ReportSettings.exposure_kind))
    return found if found in KINDS else "customers"


def recent_months(today: date, jalali: bool, count: int = 12) -> list[date]:
    """The first days of the `count` months up to this one, in the organization's calendar, latest first."""
    months, day = [], bucket_of(today, "month", jalali, 0)
    for _ in range(count):
        months.append(day)
        day = bucket_of(day - timedelta(days=1), "month", jalali, 0)
    return months


def amounts(months: list[date]) -> dict[date, int]:
    rows = db.session.execute(sa.select(Exposure.month, Exposure.amount).where(Exposure.month.in_(months))).all()
    return {month: int(amount) for month, amount in rows}


def save_exposure(actor: StaffMember, kind: str, typed: dict[date, str]) -> None:
    """Keep the kind and each month's number; an empty field forgets that month's. Refused, changing nothing,
    when a number is not a whole number from 0 up."""
    require(actor, Permission.MANAGE_SETTINGS)
    if kind not in KINDS:
        raise Refused(_l("Choose what your complaints are measured against from the list."), field="kind")
    values: dict[date, int | None] = {}
    for month, raw in typed.items():
        # Any digits, with or without a thousands separator.
        text = "".join(ch for ch in normalize_input(raw) or "" if ch not in ",٬ \u00a0\u202f")
        if not text:
            values[month] = None
            continue
        if not text.isdigit() or int(text) > LARGEST:
            raise Refused(_l("Type a whole number from 0 up, or leave the month empty."), field=month.isoformat())
        values[month] = int(text)
    settings = db.session.scalar(sa.select(ReportSettings)) or ReportSettings()
    settings.exposure_kind = kind
    db.session.add(settings)
    existing = {e.month: e for e in db.session.scalars(sa.select(Exposure).where(Exposure.month.in_(list(values))))}
    for month, amount in values.items():
        row = existing.get(month)
        if amount is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(Exposure(month=month, amount=amount))
        else:
            row.amount = amount


def rate_table(s: Scope, jalali: bool, complaints_per_day: dict[date, int]) -> Table | None:
    """Received per month of the organization's calendar with its number of customers (visits, transactions)
    and the complaints per 1,000 of them; None when no month of the period has a number. `complaints_per_day`:
    the complaints (not suggestions or compliments) the period received, by local day."""
    months = buckets(s.period, "month", 0, jalali)
    known = amounts(months)
    if not known:
        return None
    kind = exposure_kind()
    counts = sum_by_bucket(complaints_per_day, months)
    rows: list[Row] = []
    for start in months:
        if start not in known:
            continue
        end = min(next_bucket(start, "month", jalali) - timedelta(days=1), s.period.last)
        f = s.base.but(kind="complaint", received_from=max(start, s.period.first), received_to=end)
        count = counts.get(start, 0)
        amount = known[start]
        per_thousand = Cell(count * 1000 / amount if amount else None, "mean")
        rows.append(
            Row(start, [Cell(count, filter=f), Cell(amount, "text"), per_thousand], "month", key=start.isoformat())
        )
    return Table(
        "rate",
        _l("Complaints per 1,000"),
        _l(
            "Complaints (not suggestions or compliments) received in each month of the period against the number "
            "your organization entered for that month in settings; months without a number are left out."
        ),
        [_l("Complaints"), KIND_WORDS[kind], _l("Per 1,000")],
        rows,
        chart=None,
    )


def exposure_form(today: date, jalali: bool) -> tuple[str, list[tuple[date, Any]]]:
    """The kind and the last twelve months with their numbers (None where none was entered)."""
    months = recent_months(today, jalali)
    known = amounts(months)
    return exposure_kind(), [(month, known.get(month)) for month in months]
