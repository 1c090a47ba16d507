"""Counting complaints in the database, each count defined by the inbox filter that lists what it counts.

A figure is never counted one way and listed another: its link opens the inbox on the same InboxFilter, whose
conditions (services.complaints.filters) are the ones counted here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


# What narrows a filter to the rows an index finds (when, which tab, whose): filters that share these are counted
# in one pass over those rows, each by a FILTER of what else it asks.
ANCHOR = ("tab", "received_from", "received_to", "closed_from", "closed_to", "category_id", "unit_id", "handler")
ANCHOR += ("priority", "channel", "kind")


def _anchor(f: InboxFilter) -> InboxFilter:
    return InboxFilter(**{name: getattr(f, name) for name in ANCHOR})


def count_each(actor: StaffMember, filters: Mapping[str, InboxFilter], tz: ZoneInfo, now: datetime) -> dict[str, int]:
    """How many complaints each filter lists. Filters with the same anchor (period, tab, scope) are counted in one
    query over the anchor's rows, one FILTER each; a filter alone is one query with all its conditions in WHERE,
    which the database plans on its own indexes."""
    groups: dict[InboxFilter, list[str]] = {}
    for key, f in filters.items():
        groups.setdefault(_anchor(f), []).append(key)
    counts: dict[str, int] = {}
    for anchor, keys in groups.items():
        if len(keys) == 1:
            query = sa.select(sa.func.count()).select_from(Complaint).where(*where(actor, filters[keys[0]], tz, now))
            counts[keys[0]] = int(db.session.scalar(query) or 0)
            continue
        columns = []
        for key in keys:
            # What the filter asks beyond its anchor (conditions() leaves the tab out).
            extra = filters[key].but(**{name: getattr(InboxFilter(), name) for name in ANCHOR})
            columns.append(sa.func.count().filter(sa.and_(*conditions(actor, extra, tz, now))))
        row = db.session.execute(sa.select(*columns).select_from(Complaint).where(*where(actor, anchor, tz, now))).one()
        counts.update({key: int(value or 0) for key, value in zip(keys, row, strict=True)})
    return counts


def tops() -> dict[int, int]:
    """Every category's top-level category (a top one's is itself): the organization's few dozen rows."""
    return {c: parent or c for c, parent in db.session.execute(sa.select(Category.id, Category.parent_id)).all()}


def by_top_category(counts: dict[Any, int]) -> dict[Any, int]:
    """Counts by category folded into their top-level categories (None stays None): the database groups by the
    complaint's own category, and a sub-category's count is added to its parent's here."""
    top = tops()
    folded: dict[Any, int] = {}
    for category_id, count in counts.items():
        key = top.get(category_id, category_id) if category_id is not None else None
        folded[key] = folded.get(key, 0) + count
    return folded


def count_by(
    actor: StaffMember, f: InboxFilter, key: sa.ColumnElement[Any], tz: ZoneInfo, now: datetime
) -> dict[Any, int]:
    """How many complaints `f` lists, by `key` (grouped in the database)."""
    rows = db.session.execute(
        sa.select(key.label("key"), sa.func.count()).where(*where(actor, f, tz, now)).group_by(sa.literal_column("key"))
    ).all()
    return {value: int(count) for value, count in rows}


def count_sets(
    actor: StaffMember,
    f: InboxFilter,
    sets: Sequence[Sequence[sa.ColumnElement[Any]]],
    tz: ZoneInfo,
    now: datetime,
) -> list[dict[tuple[Any, ...], int]]:
    """How many complaints `f` lists, grouped by each set of keys in turn ({(value, ...): count} per set): on
    PostgreSQL in one pass (GROUPING SETS, each grouping hashed as the rows go by), elsewhere one query per set."""
    if len(sets) == 1 or db.session.get_bind().dialect.name != "postgresql":
        found = []
        for keys in sets:
            labels = [key.label(f"k{n}") for n, key in enumerate(keys)]
            rows = db.session.execute(
                sa.select(*labels, sa.func.count())
                .where(*where(actor, f, tz, now))
                .group_by(*(sa.literal_column(f"k{n}") for n in range(len(keys))))
            ).all()
            found.append({tuple(row[:-1]): int(row[-1]) for row in rows})
        return found
    columns: list[sa.ColumnElement[Any]] = []
    places: list[list[int]] = []
    for keys in sets:
        places.append([len(columns) + n for n in range(len(keys))])
        columns += keys
    # The keys computed once per row in a subquery, so that the grouping names them as plain columns.
    inner = (
        sa.select(*(column.label(f"k{n}") for n, column in enumerate(columns)))
        .where(*where(actor, f, tz, now))
        .subquery()
    )
    keys = list(inner.c)
    width = len(keys)
    # GROUPING() has a bit set for each key a row is not grouped by, the first key the highest: it tells the sets apart.
    masks = {
        sum(1 << (width - 1 - n) for n in range(width) if n not in place): index for index, place in enumerate(places)
    }
    rows = db.session.execute(
        sa.select(*keys, sa.func.grouping(*keys), sa.func.count()).group_by(
            sa.func.grouping_sets(*(sa.tuple_(*(keys[n] for n in place)) for place in places))
        )
    ).all()
    found: list[dict[tuple[Any, ...], int]] = [{} for _ in sets]
    for row in rows:
        index = masks[row[width]]
        found[index][tuple(row[n] for n in places[index])] = int(row[width + 1])
    return found


def as_date(value: Any) -> date:
    """A day as the database hands it back (a date on PostgreSQL, text on SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
