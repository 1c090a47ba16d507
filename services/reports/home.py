"""The console's home page: the work of the person who logs in, their unit's if they head one, and the
organization's figures for those who see reports. Every count is an inbox filter (services.reports.counting),
so each opens the inbox on exactly the complaints it counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.catalog.models import Category, Unit
from services.complaints.filters import DEADLINES, InboxFilter
from services.complaints.lifecycle import SENIOR
from services.complaints.models import Complaint, SatisfactionRating
from services.reports.counting import by_top_category, count_by, count_each, where
from services.reports.periods import Period
from tenants.db import db
from tenants.models import StaffMember
from tenants.roles import Permission, Role, can

# The handler's own work: (key, words, the filter beyond "open and mine", whether a count above nought is bad).
_MINE: tuple[tuple[str, Any, dict[str, Any], bool], ...] = (
    ("open", _l("Assigned to me and open"), {}, False),
    ("due_today", _l("Due today"), {"due_today": True}, False),
    ("overdue", _l("Overdue"), {"overdue": True}, True),
    ("waiting", _l("Waiting for my step"), {"waiting": True}, False),
    ("replied", _l("The customer wrote"), {"replied": True}, True),
    ("reopened", _l("Reopened"), {"reopened": True}, False),
    ("safety", _l("Safety cases"), {"safety": True}, True),
)
_UNIT: tuple[tuple[str, Any, dict[str, Any], bool], ...] = (
    ("open", _l("Open in the unit"), {}, False),
    *_MINE[1:3],
    ("waiting", _l("Waiting for the handler's step"), {"waiting": True}, False),
    *_MINE[4:],
    ("unassigned", _l("Nobody handles it yet"), {"handler": "none"}, True),
)
_APPROVAL = ("approval", _l("Decisions awaiting approval"), {"approval": True}, True)


@dataclass(frozen=True)
class Tile:
    key: str
    label: Any
    count: int
    filter: InboxFilter
    alert: bool = False


@dataclass(frozen=True)
class Compared:
    """A count this period, the period before and the same period a year before, each with its list."""

    key: str
    label: Any
    now: Tile
    previous: Tile
    year_before: Tile


@dataclass(frozen=True)
class OnTime:
    """Of the complaints received in the period whose deadline is met or past: how many met it in time."""

    deadline: str
    on_time: Tile
    late: Tile

    @property
    def decided(self) -> int:
        return self.on_time.count + self.late.count

    @property
    def rate(self) -> float | None:
        return self.on_time.count / self.decided if self.decided else None


@dataclass(frozen=True)
class Satisfaction:
    rated: Tile
    mean: float | None
    good: int  # rated 4 or 5

    @property
    def good_share(self) -> float | None:
        return self.good / self.rated.count if self.rated.count else None


@dataclass(frozen=True)
class Growth:
    category_names: dict[str, str] | None
    now: Tile
    previous: int


@dataclass
class Organization:
    open_now: Tile
    compared: list[Compared]
    on_time: list[OnTime]
    satisfaction: Satisfaction
    growing: list[Growth]
    actions_overdue: Tile


@dataclass
class UnitWork:
    unit: Unit
    tiles: list[Tile]


@dataclass
class Home:
    mine: list[Tile]
    units: list[UnitWork] = field(default_factory=list)
    organization: Organization | None = None


def _tiles(
    actor: StaffMember, base: InboxFilter, specs: tuple[tuple[str, Any, dict[str, Any], bool], ...], tz, now
) -> list[Tile]:
    filters = {key: base.but(**changes) for key, _words, changes, _bad in specs}
    counts = count_each(actor, filters, tz, now)
    return [Tile(key, words, counts[key], filters[key], bad) for key, words, _changes, bad in specs]


def home(actor: StaffMember, period: Period, tz: ZoneInfo, now: datetime) -> Home:
    """The home page of `actor` for `period` (the current month of the reader's calendar)."""
    page = Home(mine=_tiles(actor, InboxFilter(tab="open", handler="me"), _MINE, tz, now))
    headed = db.session.scalars(
        sa.select(Unit).where(Unit.head_id == actor.id, Unit.is_active.is_(True)).order_by(Unit.position, Unit.id)
    ).all()
    for unit in headed:
        specs = _UNIT + ((_APPROVAL,) if Role(actor.role) in SENIOR else ())
        page.units.append(UnitWork(unit, _tiles(actor, InboxFilter(tab="open", unit_id=unit.id), specs, tz, now)))
    if can(actor.role, Permission.VIEW_REPORTS):
        page.organization = organization(actor, period, tz, now)
    return page


def _received(period: Period, **changes: Any) -> InboxFilter:
    return InboxFilter(tab="all", received_from=period.first, received_to=period.last, **changes)


def _closed(period: Period) -> InboxFilter:
    return InboxFilter(tab="closed", closed_from=period.first, closed_to=period.last)


def organization(actor: StaffMember, period: Period, tz: ZoneInfo, now: datetime) -> Organization:
    """The organization's figures for `period`, against the period before and the same one a year before."""
    periods = {"now": period, "previous": period.previous(), "year_before": period.year_before()}
    filters = {"open": InboxFilter(tab="open"), "actions": InboxFilter(tab="all", action_overdue=True)}
    for when, span in periods.items():
        filters[f"received_{when}"] = _received(span)
        filters[f"closed_{when}"] = _closed(span)
    for deadline in DEADLINES:
        filters[f"on_time_{deadline}"] = _received(period, on_time=deadline)
        filters[f"late_{deadline}"] = _received(period, late=deadline)
    counts = count_each(actor, filters, tz, now)

    def tile(key: str, label: Any = "", alert: bool = False) -> Tile:
        return Tile(key, label, counts[key], filters[key], alert)

    compared = [
        Compared(kind, words, *(tile(f"{kind}_{when}") for when in periods))
        for kind, words in (("received", _l("Received")), ("closed", _l("Closed")))
    ]
    return Organization(
        open_now=tile("open", _l("Open now")),
        compared=compared,
        on_time=[OnTime(d, tile(f"on_time_{d}"), tile(f"late_{d}", alert=True)) for d in DEADLINES],
        satisfaction=satisfaction(actor, _closed(period).but(rated=True), tz, now),
        growing=growing(actor, period, periods["previous"], tz, now),
        actions_overdue=tile("actions", _l("With a corrective action overdue"), alert=True),
    )


def satisfaction(actor: StaffMember, rated: InboxFilter, tz: ZoneInfo, now: datetime) -> Satisfaction:
    """The ratings of the complaints `rated` lists: how many, their mean, how many were 4 or 5."""
    count, mean, good = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.avg(SatisfactionRating.score),
            sa.func.count().filter(SatisfactionRating.score >= 4),
        )
        .select_from(Complaint)
        .join(SatisfactionRating, SatisfactionRating.complaint_id == Complaint.id)
        .where(*where(actor, rated, tz, now))
    ).one()
    return Satisfaction(
        Tile("rated", _l("Rated"), int(count), rated), float(mean) if mean is not None else None, int(good or 0)
    )


def growing(actor: StaffMember, period: Period, before: Period, tz: ZoneInfo, now: datetime) -> list[Growth]:
    """The (at most) three top-level categories whose complaints grew most from `before` to `period`."""
    this = by_top_category(count_by(actor, _received(period), Complaint.category_id, tz, now))
    last = by_top_category(count_by(actor, _received(before), Complaint.category_id, tz, now))
    rising = sorted(
        ((category_id, n - last.get(category_id, 0)) for category_id, n in this.items() if category_id is not None),
        key=lambda item: (-item[1], item[0]),
    )
    rising = [(category_id, change) for category_id, change in rising if change > 0][:3]
    names = dict(
        db.session.execute(sa.select(Category.id, Category.names).where(Category.id.in_([c for c, _ in rising]))).all()
    )
    return [
        Growth(names.get(c), Tile(f"growing_{c}", "", this[c], _received(period, category_id=c)), last.get(c, 0))
        for c, _change in rising
    ]
