"""Satisfaction with the handling (ISO 10002 8.3, ISO 10004): the ratings customers gave the complaints closed
in the period — their mean, distribution, the share of 4 and 5, how many customers rated at all (with its 95%
confidence interval), by unit and by category, and what they wrote."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.catalog.models import Category, Unit
from services.complaints.filters import NONE, InboxFilter
from services.complaints.models import Complaint, SatisfactionRating
from services.reports.counting import tops
from services.reports.tables import Cell, Report, Row, Scope, Table, names_of
from tenants.db import db

COMMENTS_SHOWN = 100
_Z95 = 1.959964


def wilson(part: int, whole: int) -> tuple[float, float] | None:
    """The 95% Wilson score interval of the share part ÷ whole (sound for small counts and shares near 0 or 1)."""
    if whole <= 0:
        return None
    p = part / whole
    z2 = _Z95 * _Z95
    centre = (p + z2 / (2 * whole)) / (1 + z2 / whole)
    margin = _Z95 * math.sqrt(p * (1 - p) / whole + z2 / (4 * whole * whole)) / (1 + z2 / whole)
    return max(0.0, centre - margin), min(1.0, centre + margin)


@dataclass(frozen=True)
class Comment:
    complaint_id: int
    code: str
    score: int
    comment: str
    rated_at: datetime


def _ratings_by(s: Scope, rated: InboxFilter, key: sa.ColumnElement[Any], *, top: bool) -> list[tuple[Any, int, float]]:
    """(value, ratings, mean) by `key`, grouped in the database; with `top`, categories folded into their
    top-level ones (their counts and sums added)."""
    rows = db.session.execute(
        sa.select(key.label("key"), sa.func.count(), sa.func.sum(SatisfactionRating.score))
        .select_from(Complaint)
        .join(SatisfactionRating, SatisfactionRating.complaint_id == Complaint.id)
        .where(*s.where(rated))
        .group_by(sa.literal_column("key"))
    ).all()
    parents = tops() if top else {}
    totals: dict[Any, list[int]] = {}
    for k, n, total in rows:
        entry = totals.setdefault(parents.get(k, k), [0, 0])
        entry[0] += int(n)
        entry[1] += int(total or 0)
    found = [(k, n, total / n) for k, (n, total) in totals.items() if n]
    return sorted(found, key=lambda r: (-r[1], str(r[0])))


def _by_table(s: Scope, rated: InboxFilter, key, field: str, *, model: type, words: dict[str, Any]) -> Table:
    found = _ratings_by(s, rated, key, top=model is Category)
    names = names_of(model, [k for k, _n, _m in found])
    rows = [
        Row(
            names.get(k) if k is not None else words["none"],
            [Cell(n, filter=rated.but(**{field: k if k is not None else NONE})), Cell(mean, "mean")],
            "names" if k is not None else "text",
            key=str(k),
        )
        for k, n, mean in found
    ]
    return Table(field, words["caption"], words["definition"], [_l("Ratings"), _l("Mean (1 to 5)")], rows, None)


def satisfaction(s: Scope) -> Report:
    closed = s.closed
    rated = closed.but(rated=True)
    filters = {"closed": closed, "rated": rated, **{str(n): closed.but(score=n) for n in range(1, 6)}}
    n = s.count_each(filters)
    mean = db.session.scalar(
        sa.select(sa.func.avg(SatisfactionRating.score))
        .select_from(Complaint)
        .join(SatisfactionRating, SatisfactionRating.complaint_id == Complaint.id)
        .where(*s.where(rated))
    )
    good = n["4"] + n["5"]
    interval = wilson(n["rated"], n["closed"])
    distribution = Table(
        "distribution",
        _l("Ratings"),
        _l(
            "The ratings customers gave to the handling of the complaints closed in the period, from 1 (very "
            "badly) to 5 (very well); each customer rates once."
        ),
        [_l("Ratings"), _l("Share")],
        [
            Row(
                score,
                [
                    Cell(n[str(score)], filter=filters[str(score)]),
                    Cell(n[str(score)] / n["rated"] if n["rated"] else None, "share"),
                ],
                "score",
                key=str(score),
            )
            for score in range(5, 0, -1)
        ],
    )
    response = Table(
        "response",
        _l("Response rate"),
        _l(
            "Rated ÷ closed: how many of the customers whose complaints were closed in the period rated the "
            "handling. The interval (Wilson's) is where that share would lie 19 times out of 20 if the same "
            "customers were asked again."
        ),
        [_l("Complaints"), _l("Share")],
        [
            Row(_l("Closed in the period"), [Cell(n["closed"], filter=closed), Cell(None, "text")], key="closed"),
            Row(
                _l("Rated"),
                [Cell(n["rated"], filter=rated), Cell(n["rated"] / n["closed"] if n["closed"] else None, "share")],
                key="rated",
            ),
            Row(
                _l("Lower bound (95%)"),
                [Cell(None, "text"), Cell(interval[0] if interval else None, "share")],
                key="low",
            ),
            Row(
                _l("Upper bound (95%)"),
                [Cell(None, "text"), Cell(interval[1] if interval else None, "share")],
                key="high",
            ),
        ],
        chart=None,
    )
    by_unit = _by_table(
        s,
        rated,
        Complaint.unit_id,
        "unit_id",
        model=Unit,
        words={
            "none": _l("No unit"),
            "caption": _l("By unit"),
            "definition": _l("The ratings by the unit the complaint is assigned to."),
        },
    )
    by_category = _by_table(
        s,
        rated,
        Complaint.category_id,
        "category_id",
        model=Category,
        words={
            "none": _l("No category"),
            "caption": _l("By category"),
            "definition": _l("The ratings by top-level category."),
        },
    )
    return Report(
        "satisfaction",
        [distribution, response, by_unit, by_category],
        headline=[
            (_l("Mean rating (1 to 5)"), Cell(float(mean) if mean is not None else None, "mean")),
            (_l("Rated 4 or 5"), Cell(good / n["rated"] if n["rated"] else None, "share")),
            (_l("Response rate"), Cell(n["rated"] / n["closed"] if n["closed"] else None, "share")),
        ],
    )


def comments(s: Scope) -> list[Comment]:
    """What customers wrote with their ratings of the complaints closed in the period, newest first."""
    rows = db.session.execute(
        sa.select(
            Complaint.id,
            Complaint.code,
            SatisfactionRating.score,
            SatisfactionRating.comment,
            SatisfactionRating.rated_at,
        )
        .join(SatisfactionRating, SatisfactionRating.complaint_id == Complaint.id)
        .where(
            *s.where(s.closed.but(rated=True)),
            SatisfactionRating.comment.is_not(None),
            SatisfactionRating.comment != "",
        )
        .order_by(SatisfactionRating.rated_at.desc(), Complaint.id.desc())
        .limit(COMMENTS_SHOWN)
    ).all()
    return [Comment(*row) for row in rows]
