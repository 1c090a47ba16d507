"""What a report is made of: tables of figures, each cell with the inbox filter that lists what it counts, each
table with its definition, and what scope and period it was counted over."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.catalog.models import Category, Unit
from services.complaints.filters import NONE, InboxFilter
from services.complaints.models import IntakeChannel, Priority
from services.reports.counting import count_by, count_each, count_sets, where
from services.reports.periods import Period
from tenants.db import db
from tenants.errors import Refused
from tenants.models import StaffMember
from tenants.roles import Permission, Role, can


@dataclass(frozen=True)
class Cell:
    """A figure: a count, a share (0 to 1) or a mean; `filter` lists the complaints a count counts."""

    value: int | float | None
    kind: str = "count"  # "count", "share", "mean" or "text"
    filter: InboxFilter | None = None


@dataclass(frozen=True)
class Row:
    """A row's label is words, a catalog entry's names ({locale: name}) or the first day of a time bucket."""

    label: Any
    cells: list[Cell]
    label_kind: str = "text"  # "text", "names", "day", "week" or "month"
    key: str = ""


@dataclass
class Table:
    key: str
    caption: Any
    definition: Any
    columns: list[Any]
    rows: list[Row] = field(default_factory=list)
    # How the page draws it above the table: "bar", "line", "pareto" (bars with the cumulative share) or None.
    chart: str | None = "bar"


@dataclass
class Report:
    name: str
    tables: list[Table]
    # Lines above the tables: the headline figures.
    headline: list[tuple[Any, Cell]] = field(default_factory=list)


# The report filters: the inbox's, but a value that is not one is refused rather than ignored.
FILTER_PARAMS = ("category", "unit", "channel", "priority", "handler")


def report_base(actor: StaffMember, args: dict[str, str]) -> InboxFilter:
    """The complaints a report counts for `actor`, before its period: every state, narrowed by the report's
    filters. Someone who does not see reports counts only what they handle (a unit member: their unit's, which
    is all they see). Refused when a filter's value is not one of this organization's."""
    values: dict[str, Any] = {"tab": "all"}
    for name, model, message in (
        ("category", Category, _l("There is no such category.")),
        ("unit", Unit, _l("There is no such unit.")),
    ):
        typed = (args.get(name) or "").strip()
        if not typed:
            continue
        if typed == NONE:
            values[f"{name}_id"] = NONE
            continue
        if not typed.isdigit() or db.session.get(model, int(typed)) is None:
            raise Refused(message, field=name)
        values[f"{name}_id"] = int(typed)
    for name, allowed, message in (
        ("channel", frozenset(IntakeChannel), _l("There is no such channel.")),
        ("priority", frozenset(Priority), _l("There is no such priority.")),
    ):
        typed = (args.get(name) or "").strip()
        if typed and typed not in allowed:
            raise Refused(message, field=name)
        values[name] = typed or None
    handler = (args.get("handler") or "").strip()
    if (
        handler
        and handler not in ("me", NONE)
        and (not handler.isdigit() or db.session.get(StaffMember, int(handler)) is None)
    ):
        raise Refused(_l("There is no such staff member."), field="handler")
    values["handler"] = handler or None
    if not can(actor.role, Permission.VIEW_REPORTS) and Role(actor.role) != Role.UNIT_MEMBER:
        values["handler"] = "me"
    return InboxFilter(**values)


@dataclass(frozen=True)
class Scope:
    """Who counts, what they count (`base`, before the period), over which period, in which time zone."""

    actor: StaffMember
    base: InboxFilter
    period: Period
    tz: ZoneInfo
    now: datetime
    first_weekday: int = 0
    # Whether the organization's own months are Jalali (what it enters its monthly numbers by).
    jalali_months: bool = False

    @property
    def received(self) -> InboxFilter:
        """What arrived in the period."""
        return self.base.but(received_from=self.period.first, received_to=self.period.last)

    @property
    def closed(self) -> InboxFilter:
        """What was closed in the period."""
        return self.base.but(tab="closed", closed_from=self.period.first, closed_to=self.period.last)

    def where(self, f: InboxFilter) -> list[sa.ColumnElement[bool]]:
        return where(self.actor, f, self.tz, self.now)

    def count_by(self, f: InboxFilter, key: sa.ColumnElement[Any]) -> dict[Any, int]:
        return count_by(self.actor, f, key, self.tz, self.now)

    def count_sets(
        self, f: InboxFilter, sets: list[tuple[sa.ColumnElement[Any], ...]]
    ) -> list[dict[tuple[Any, ...], int]]:
        return count_sets(self.actor, f, sets, self.tz, self.now)

    def count_each(self, filters: dict[str, InboxFilter]) -> dict[str, int]:
        return count_each(self.actor, filters, self.tz, self.now)


def names_of(model: type, ids: list[Any]) -> dict[int, dict[str, str]]:
    """{id: names} of the catalog entries `ids` (None left out)."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(db.session.execute(sa.select(model.id, model.names).where(model.id.in_(wanted))).all())
