"""Volume and mix (ISO 10002 8.2): what arrived in the period, over time and by kind, category, channel, unit and
priority, with the Pareto of categories and of root causes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.catalog.models import Category, RootCause, Unit
from services.complaints.filters import NONE, InboxFilter, local_date
from services.complaints.models import Complaint, CorrectiveAction, IntakeChannel, Kind, Priority
from services.complaints.words import CHANNEL_NAMES, KIND_NAMES, PRIORITY_NAMES
from services.reports.counting import as_date, by_top_category
from services.reports.exposure import rate_table
from services.reports.periods import bucket_size, buckets, sum_by_bucket
from services.reports.tables import Cell, Report, Row, Scope, Table, names_of
from tenants.db import db


def over_time(s: Scope, per_day: dict[date, int]) -> Table:
    """Received per day, week or month of the period: counted per local day in the database, summed per bucket."""
    period = s.period
    size = bucket_size(period)
    starts = buckets(period, size, s.first_weekday)
    totals = sum_by_bucket(per_day, starts)
    rows = []
    for index, start in enumerate(starts):
        first = max(start, period.first)
        end = starts[index + 1] - timedelta(days=1) if index + 1 < len(starts) else period.last
        rows.append(
            Row(start, [Cell(totals.get(start, 0), filter=s.base.but(received_from=first, received_to=end))], size)
        )
    words = {"day": _l("Received per day"), "week": _l("Received per week"), "month": _l("Received per month")}
    return Table(
        "over_time",
        words[size],
        _l("Complaints, suggestions and compliments by the day they arrived, in your organization's time zone."),
        [_l("Received")],
        rows,
        chart="line" if len(rows) > 12 else "bar",
    )


def _fixed_rows(counts: dict[Any, int], words: dict[str, Any], f: InboxFilter, field: str) -> list[Row]:
    """One row per value of a fixed list (kinds, channels, priorities), none left out."""
    return [
        Row(words[value], [Cell(counts.get(value, 0), filter=f.but(**{field: value}))], key=value) for value in words
    ]


def pareto(counts: dict[Any, int], names: dict[Any, Any], f: InboxFilter, field: str, unnamed: Any) -> list[Row]:
    """Rows from the largest count down, with each one's share and the running share (the 80% line)."""
    total = sum(counts.values())
    rows, running = [], 0
    for value, count in sorted(counts.items(), key=lambda item: (-item[1], str(item[0]))):
        running += count
        label, kind = (names.get(value), "names") if value is not None else (unnamed, "text")
        rows.append(
            Row(
                label,
                [
                    Cell(count, filter=f.but(**{field: value if value is not None else NONE})),
                    Cell(count / total if total else None, "share"),
                    Cell(running / total if total else None, "share"),
                ],
                kind,
                key=str(value),
            )
        )
    return rows


def root_causes(s: Scope, f: InboxFilter) -> Table:
    """The complaints `f` lists that have a corrective action, by the action's root cause (a complaint with two
    causes counts under each)."""
    rows = db.session.execute(
        sa.select(CorrectiveAction.root_cause_id, sa.func.count(sa.distinct(Complaint.id)))
        .join(Complaint, Complaint.id == CorrectiveAction.complaint_id)
        .where(*s.where(f), CorrectiveAction.root_cause_id.is_not(None))
        .group_by(CorrectiveAction.root_cause_id)
    ).all()
    counts = {cause: int(n) for cause, n in rows}
    return Table(
        "root_causes",
        _l("Root causes (Pareto)"),
        _l(
            "Complaints received in the period with a corrective action, by the action's root cause, from the most "
            "frequent down; a complaint whose actions name two causes counts under each. The running share shows "
            "the few causes behind four fifths of them."
        ),
        [_l("Complaints"), _l("Share"), _l("Running share")],
        pareto(counts, names_of(RootCause, list(counts)), f, "root_cause_id", ""),
        chart="pareto",
    )


def volume(s: Scope) -> Report:
    """The volume and mix report of `period`."""
    f = s.received
    # By day and kind; then by each of category, unit, channel and priority in one pass (the day apart: the
    # database cannot tell how few days there are, and would sort what it can hash).
    (by_day_kind,) = s.count_sets(f, [(local_date(Complaint.received_at, s.tz), Complaint.kind)])
    by_one = s.count_sets(
        f,
        [
            (Complaint.category_id,),
            (Complaint.unit_id,),
            (Complaint.channel,),
            (Complaint.priority,),
        ],
    )
    per_day: dict[date, int] = {}
    complaints_per_day: dict[date, int] = {}
    kinds: dict[Any, int] = {}
    for (value, kind), count in by_day_kind.items():
        day = as_date(value)
        per_day[day] = per_day.get(day, 0) + count
        kinds[kind] = kinds.get(kind, 0) + count
        if kind == Kind.COMPLAINT.value:
            complaints_per_day[day] = complaints_per_day.get(day, 0) + count
    by_category, units, channels, priorities = ({key[0]: n for key, n in counts.items()} for counts in by_one)
    categories = by_top_category(by_category)
    total = sum(kinds.values())
    unit_names = names_of(Unit, list(units))
    rate = rate_table(s, s.jalali_months, complaints_per_day)
    return Report(
        "volume",
        [
            over_time(s, per_day),
            *([rate] if rate is not None else []),
            Table(
                "kinds",
                _l("Complaints, suggestions and compliments"),
                _l("What arrived in the period, by what the customer meant it as."),
                [_l("Received")],
                _fixed_rows(kinds, {k.value: KIND_NAMES[k.value] for k in Kind}, f, "kind"),
            ),
            Table(
                "categories",
                _l("Categories (Pareto)"),
                _l(
                    "What arrived in the period by top-level category (a sub-category counts under its parent), from "
                    "the most frequent down; the running share shows the few categories behind four fifths of it."
                ),
                [_l("Received"), _l("Share"), _l("Running share")],
                pareto(categories, names_of(Category, list(categories)), f, "category_id", _l("No category")),
                chart="pareto",
            ),
            root_causes(s, f),
            Table(
                "channels",
                _l("Channels"),
                _l("What arrived in the period, by the way it reached you."),
                [_l("Received")],
                _fixed_rows(channels, {c.value: CHANNEL_NAMES[c.value] for c in IntakeChannel}, f, "channel"),
            ),
            Table(
                "units",
                _l("Units"),
                _l("What arrived in the period, by the unit it is assigned to now."),
                [_l("Received")],
                [
                    Row(r.label, r.cells[:1], r.label_kind, r.key)
                    for r in pareto(units, unit_names, f, "unit_id", _l("No unit"))
                ],
            ),
            Table(
                "priorities",
                _l("Priorities"),
                _l("What arrived in the period, by its priority now."),
                [_l("Received")],
                _fixed_rows(priorities, {p.value: PRIORITY_NAMES[p.value] for p in Priority}, f, "priority"),
            ),
        ],
        headline=[(_l("Received in the period"), Cell(total, filter=f))],
    )
