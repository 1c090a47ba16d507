"""Timeliness (ISO 10002 8.4): how many complaints received in the period met their deadlines to acknowledge,
answer and resolve — the deadlines the deadline rules gave them on the organization's working calendar, for
their current cycle — and the open backlog by its age in working days."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import ARRAY

from services.calendar.deadlines import Calendar
from services.complaints.filters import DEADLINES, InboxFilter
from services.complaints.models import Complaint
from services.reports.tables import Cell, Report, Row, Scope, Table
from tenants.db import db

# The backlog's ages in working days: (fewest, most), the last open-ended.
AGES = ((0, 2), (3, 5), (6, 10), (11, 20), (21, None))
_LONGEST_WALK = 3660  # days looked back for working days: ten years


def is_working_day(calendar: Calendar, day: date) -> bool:
    """Whether the organization works on `day` (a week with no hours set counts every day)."""
    if day in calendar.holidays:
        return False
    return not calendar.has_hours or bool(calendar.hours.get(day.weekday()))


def working_days_back(calendar: Calendar, today: date, count: int) -> date:
    """The latest day from which `count` working days have passed by `today`: a complaint received on it or
    earlier is at least `count` working days old (the day of receipt is not counted, today is)."""
    day, passed = today, 0
    for _ in range(_LONGEST_WALK):
        if passed >= count:
            return day
        if is_working_day(calendar, day):
            passed += 1
        day -= timedelta(days=1)
    return day


def percentiles(s: Scope, f: InboxFilter, columns: list[Any], quantiles: tuple[float, ...]) -> list[list[float | None]]:
    """The nearest-rank quantiles of each of `columns` over the complaints `f` lists that have it, in the
    database: on PostgreSQL one pass with a percentile_disc over an array per column (each FILTERed to the rows
    that have it); on SQLite, which has no percentiles, the rows at ranks ⌈q·n⌉."""
    conds = s.where(f)
    if db.session.get_bind().dialect.name == "postgresql":
        wanted = sa.literal(list(quantiles), ARRAY(sa.Float))
        aggregates = [
            sa.func.percentile_disc(wanted).within_group(column).filter(column.is_not(None)) for column in columns
        ]
        row = db.session.execute(sa.select(*aggregates).select_from(Complaint).where(*conds)).one()
        return [
            [float(v) if v is not None else None for v in found] if found else [None] * len(quantiles) for found in row
        ]
    found = []
    for column in columns:
        having = [*conds, column.is_not(None)]
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Complaint).where(*having)) or 0
        ordered = sa.select(column).where(*having).order_by(column)
        found.append(
            [
                db.session.scalar(ordered.offset(max(math.ceil(q * count) - 1, 0)).limit(1)) if count else None
                for q in quantiles
            ]
        )
    return found


def timeliness(s: Scope, calendar: Calendar) -> Report:
    received = s.received
    filters = {}
    for deadline in DEADLINES:
        filters[f"on_time_{deadline}"] = received.but(on_time=deadline)
        filters[f"late_{deadline}"] = received.but(late=deadline)
    today = s.now.astimezone(s.tz).date()
    open_now = s.base.but(tab="open", received_from=None, received_to=None)
    ages = []
    for fewest, most in AGES:
        newest = working_days_back(calendar, today, fewest)
        oldest = working_days_back(calendar, today, most + 1) + timedelta(days=1) if most is not None else None
        ages.append(open_now.but(received_from=oldest, received_to=newest))
    filters.update({f"age_{i}": f for i, f in enumerate(ages)})
    filters["overdue"] = open_now.but(overdue=True)
    n = s.count_each(filters)
    words = {"acknowledge": _l("Acknowledged"), "respond": _l("Answered"), "resolve": _l("Resolved")}
    measured = percentiles(s, received, [getattr(Complaint, f"{d}_hours") for d in DEADLINES], (0.5, 0.9))
    quantiles = dict(zip(DEADLINES, measured, strict=True))
    rows = []
    for deadline in DEADLINES:
        met, late = n[f"on_time_{deadline}"], n[f"late_{deadline}"]
        rows.append(
            Row(
                words[deadline],
                [
                    Cell(met, filter=filters[f"on_time_{deadline}"]),
                    Cell(late, filter=filters[f"late_{deadline}"]),
                    Cell(met / (met + late) if met + late else None, "share"),
                    *(Cell(value, "hours") for value in quantiles[deadline]),
                ],
                key=deadline,
            )
        )
    within = Table(
        "deadlines",
        _l("Within the deadline"),
        _l(
            "Of the complaints received in the period: on time is met by the moment it fell due, late is met "
            "after it or not met and past it. The deadlines are the ones your deadline rules gave each complaint "
            "on your working calendar (working hours and holidays), for its current cycle: a reopened complaint "
            "is counted against the deadlines of its new cycle. Complaints still within their time are in neither. "
            "The median and the 90th percentile are of the working time the step took, from the start of the "
            "cycle, for the complaints that have taken it (half took less than the median, nine in ten less than "
            "the 90th percentile)."
        ),
        [_l("On time"), _l("Late"), _l("Share on time"), _l("Median time"), _l("90th percentile")],
        rows,
    )
    backlog = Table(
        "backlog",
        _l("Open now, by age"),
        _l(
            "Every complaint open at this moment, whenever it arrived (the period does not apply), by how many of "
            "your working days have passed since the day it was received."
        ),
        [_l("Open complaints")],
        [
            Row((fewest, most), [Cell(n[f"age_{i}"], filter=ages[i])], "age", key=str(i))
            for i, (fewest, most) in enumerate(AGES)
        ],
    )
    return Report(
        "timeliness",
        [within, backlog],
        headline=[(_l("Overdue now"), Cell(n["overdue"], filter=filters["overdue"]))],
    )
