"""Recurrence (ISO 10002 8.2): customers who complain again, and categories or root causes whose share of what
arrives this period is well above its usual — the signals of a u-chart over the twelve periods before."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.catalog.models import Category, RootCause
from services.complaints.models import Complaint, CorrectiveAction, Kind
from services.reports.counting import tops
from services.reports.periods import Period
from services.reports.tables import Cell, Report, Row, Scope, Table, names_of
from tenants.db import db

HISTORY = 12  # periods the usual is taken from
SIGMAS = 3


@dataclass(frozen=True)
class Signal:
    """This period's count of one category or cause against the upper control limit of its u-chart."""

    key: Any
    count: int
    total: int
    mean_share: float  # ū: its share of everything received over the history
    limit: float  # ū + 3·√(ū / n) for this period's n

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0


def history(period: Period) -> list[Period]:
    """The HISTORY periods just before `period`, nearest first, each as long as it (whole months when it is)."""
    found, current = [], period
    for _ in range(HISTORY):
        current = current.previous()
        found.append(current)
    return found


def signals(counts: list[dict[Any, int]], totals: list[int]) -> list[Signal]:
    """The keys whose share of this period (`counts[0]` of `totals[0]`) lies above ū + 3σ, ū and σ of a u-chart
    over the history (`counts[1:]`, `totals[1:]`): σ = √(ū / n) with n this period's total."""
    now, total = counts[0], totals[0]
    past_total = sum(totals[1:])
    if not total or not past_total:
        return []
    found = []
    for key, count in now.items():
        mean = sum(c.get(key, 0) for c in counts[1:]) / past_total
        limit = mean + SIGMAS * math.sqrt(mean / total) if mean > 0 else 0.0
        if count / total > limit and count >= 3:
            found.append(Signal(key, count, total, mean, limit))
    return sorted(found, key=lambda s: (-(s.share - s.limit), str(s.key)))


def _history_counts(s: Scope, spans: list[Period]) -> tuple[list[dict[Any, int]], list[dict[Any, int]], list[int]]:
    """Per span (this period first, then its history): complaints by top-level category, by root cause, and in
    all — three queries over the whole stretch, each grouped by the span a complaint fell in."""
    f = s.base.but(kind=Kind.COMPLAINT.value, received_from=spans[-1].first, received_to=spans[0].last)
    span = sa.case(
        *(
            (
                sa.and_(
                    Complaint.received_at >= datetime.combine(p.first, time(), tzinfo=s.tz),
                    Complaint.received_at < datetime.combine(p.last + timedelta(days=1), time(), tzinfo=s.tz),
                ),
                index,
            )
            for index, p in enumerate(spans)
        ),
        else_=-1,
    ).label("span")
    by_category: list[dict[Any, int]] = [{} for _ in spans]
    by_cause: list[dict[Any, int]] = [{} for _ in spans]
    totals = [0 for _ in spans]
    rows = db.session.execute(
        sa.select(span, Complaint.category_id, sa.func.count()).where(*s.where(f)).group_by(span, Complaint.category_id)
    ).all()
    parents = tops()
    for index, category_id, count in rows:
        if index < 0:
            continue
        totals[index] += int(count)
        if category_id is not None:
            top = parents.get(category_id, category_id)
            by_category[index][top] = by_category[index].get(top, 0) + int(count)
    causes = db.session.execute(
        sa.select(span, CorrectiveAction.root_cause_id, sa.func.count(sa.distinct(Complaint.id)))
        .join(Complaint, Complaint.id == CorrectiveAction.complaint_id)
        .where(*s.where(f), CorrectiveAction.root_cause_id.is_not(None))
        .group_by(span, CorrectiveAction.root_cause_id)
    ).all()
    for index, cause, count in causes:
        if index >= 0:
            by_cause[index][cause] = int(count)
    return by_category, by_cause, totals


def _signal_table(s: Scope, key: str, caption: Any, found: list[Signal], *, model: type, field: str) -> Table:
    names = names_of(model, [x.key for x in found])
    return Table(
        key,
        caption,
        _l(
            "Complaints received in the period, where this period's share of what arrived is above its usual: "
            "the mean share over the twelve periods before plus three standard deviations (a u-chart's upper "
            "control limit). Only counts of three or more are listed."
        ),
        [_l("Complaints"), _l("Share"), _l("Usual share"), _l("Upper limit")],
        [
            Row(
                names.get(signal.key),
                [
                    Cell(signal.count, filter=s.received.but(kind=Kind.COMPLAINT.value, **{field: signal.key})),
                    Cell(signal.share, "share"),
                    Cell(signal.mean_share, "share"),
                    Cell(signal.limit, "share"),
                ],
                "names",
                key=str(signal.key),
            )
            for signal in found
        ],
        chart=None,
    )


def recurrence(s: Scope) -> Report:
    complaints = s.received.but(kind=Kind.COMPLAINT.value)
    again = complaints.but(repeat=True)
    counted = s.count_each({"complaints": complaints, "again": again})
    spans = [s.period, *history(s.period)]
    by_category, by_cause, totals = _history_counts(s, spans)
    category_signals = signals(by_category, totals)
    cause_signals = signals(by_cause, totals)
    repeat = Table(
        "repeat",
        _l("The same customer again"),
        _l(
            "Complaints received in the period whose complainant — the same phone number, e-mail address or "
            "national ID — had made another complaint in the 90 days before it."
        ),
        [_l("Complaints"), _l("Share")],
        [
            Row(
                _l("From a customer who complained in the 90 days before"),
                [
                    Cell(counted["again"], filter=again),
                    Cell(counted["again"] / counted["complaints"] if counted["complaints"] else None, "share"),
                ],
                key="again",
            ),
            Row(
                _l("Complaints received"),
                [Cell(counted["complaints"], filter=complaints), Cell(None, "text")],
                key="all",
            ),
        ],
        chart=None,
    )
    return Report(
        "recurrence",
        [
            repeat,
            _signal_table(
                s,
                "category_signals",
                _l("Categories above their usual"),
                category_signals,
                model=Category,
                field="category_id",
            ),
            _signal_table(
                s,
                "cause_signals",
                _l("Root causes above their usual"),
                cause_signals,
                model=RootCause,
                field="root_cause_id",
            ),
        ],
        headline=[(_l("Signals"), Cell(len(category_signals) + len(cause_signals), "text"))],
    )
