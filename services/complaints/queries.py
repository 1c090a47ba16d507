"""Reading complaints: the inbox (filters, search, keyset pages, counts) and one complaint's file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from services.catalog.models import Category, RootCause, Unit
from services.complaints.access import get_complaint
from services.complaints.filters import InboxFilter, conditions, tab_condition
from services.complaints.models import (
    OPEN_STATES,
    Attachment,
    Complaint,
    ComplaintEvent,
    CorrectiveAction,
    Decision,
    SatisfactionRating,
    State,
)
from services.complaints.steps import Step, offered_steps
from services.complaints.timeline import Entry, Names, describe
from services.forms.answers import answered_fields
from services.forms.models import FormVersion
from tenants.db import db, utcnow
from tenants.models import StaffMember, Tenant
from tenants.text import parse_id

PAGE_SIZE = 25
NEAR_DUE = timedelta(hours=24)


@dataclass
class InboxRow:
    complaint: Complaint
    category_names: dict[str, str] | None
    unit_names: dict[str, str] | None
    handler_name: str | None


@dataclass
class InboxPage:
    rows: list[InboxRow]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)


def encode_cursor(c: Complaint, sort: str) -> str:
    key = c.next_due_at if sort == "due" else c.received_at
    return f"{int(key.timestamp() * 1_000_000)}.{c.id}"


_MICROS = re.compile(r"-?[0-9]{1,17}")


def decode_cursor(value: str | None) -> tuple[datetime, int] | None:
    """The (time, id) a page continues after; a malformed cursor starts from the top."""
    if not value:
        return None
    micros, _, ident = value.partition(".")
    row_id = parse_id(ident)
    if row_id is None or not _MICROS.fullmatch(micros):
        return None
    try:
        moment = datetime.fromtimestamp(int(micros) / 1_000_000, UTC)
    except (OverflowError, ValueError, OSError):
        return None
    return moment, row_id


def inbox(actor: StaffMember, f: InboxFilter, tz: ZoneInfo, *, with_counts: bool = True) -> InboxPage:
    """One page of the inbox, and the count per tab under the same filters: three queries at most."""
    now = utcnow()
    conds = conditions(actor, f, tz, now)
    tab = tab_condition(f.tab)
    handler = aliased(StaffMember)
    query = (
        sa.select(Complaint, Category.names, Unit.names, handler.name)
        .outerjoin(Category, Category.id == Complaint.category_id)
        .outerjoin(Unit, Unit.id == Complaint.unit_id)
        .outerjoin(handler, handler.id == Complaint.handler_id)
        .where(*conds)
    )
    if tab is not None:
        query = query.where(tab)
    cursor = decode_cursor(f.after)
    if f.sort == "due":
        key = Complaint.next_due_at
        query = query.where(key.is_not(None))
        if cursor:
            query = query.where(sa.tuple_(key, Complaint.id) > sa.tuple_(*cursor))
        query = query.order_by(key.asc(), Complaint.id.asc())
    elif f.sort == "oldest":
        key = Complaint.received_at
        if cursor:
            query = query.where(sa.tuple_(key, Complaint.id) > sa.tuple_(*cursor))
        query = query.order_by(key.asc(), Complaint.id.asc())
    else:
        key = Complaint.received_at
        if cursor:
            query = query.where(sa.tuple_(key, Complaint.id) < sa.tuple_(*cursor))
        query = query.order_by(key.desc(), Complaint.id.desc())
    results = db.session.execute(query.limit(PAGE_SIZE + 1)).all()
    rows = [InboxRow(c, cat, unit, name) for c, cat, unit, name in results[:PAGE_SIZE]]
    next_cursor = encode_cursor(rows[-1].complaint, f.sort) if len(results) > PAGE_SIZE else None
    counts = tab_counts(conds) if with_counts else {}
    return InboxPage(rows, next_cursor, counts)


def tab_counts(conds: list[sa.ColumnElement[bool]]) -> dict[str, int]:
    """How many complaints each tab holds under the filters."""
    per_state = dict(
        db.session.execute(sa.select(Complaint.state, sa.func.count()).where(*conds).group_by(Complaint.state)).all()
    )
    counts = {s.value: per_state.get(s.value, 0) for s in State}
    counts["open"] = sum(counts[s.value] for s in OPEN_STATES)
    counts["all"] = sum(per_state.values())
    return counts


def is_near_due(c: Complaint, now: datetime) -> bool:
    return c.next_due_at is not None and now <= c.next_due_at < now + NEAR_DUE


def is_overdue(c: Complaint, now: datetime) -> bool:
    return c.next_due_at is not None and c.next_due_at < now


@dataclass
class ComplaintFile:
    """Everything the complaint page shows, read in a fixed number of queries."""

    complaint: Complaint
    category: Category | None
    unit: Unit | None
    handler: StaffMember | None
    about: StaffMember | None
    decision: Decision | None
    decisions: list[Decision]
    actions: list[CorrectiveAction]
    # The follow-up log described (who, when, what, in words) and the lifecycle steps the reader may take now.
    timeline: list[Entry]
    steps: list[Step]
    attachments: list[Attachment]
    staff: dict[int, StaffMember]
    root_causes: dict[int, RootCause]
    units: dict[int, Unit]
    categories: dict[int, Category]
    # (field, answer) for the tenant's own fields, under the labels of the form version it was filed on.
    answers: list[tuple[dict[str, Any], Any]]
    # The customer's rating of the handling, once it is closed and rated.
    rating: SatisfactionRating | None = None
    # The log's entries themselves, in the order of `timeline` (the printed follow-up form splits them by cycle).
    events: list[ComplaintEvent] = field(default_factory=list)

    @property
    def earlier_decisions(self) -> list[Decision]:
        """The decisions of the cycles before a reopening, newest first."""
        return sorted((d for d in self.decisions if d.cycle < self.complaint.cycle), key=lambda d: -d.cycle)


def complaint_file(actor: StaffMember, complaint_id: int) -> ComplaintFile:
    """The complaint page's data, if `actor` may see the complaint."""
    c = get_complaint(actor, complaint_id, reading=True)
    staff = {m.id: m for m in db.session.scalars(sa.select(StaffMember))}
    units = {u.id: u for u in db.session.scalars(sa.select(Unit).order_by(Unit.position, Unit.id))}
    causes = {r.id: r for r in db.session.scalars(sa.select(RootCause).order_by(RootCause.position, RootCause.id))}
    categories = {k.id: k for k in db.session.scalars(sa.select(Category))}
    decisions = list(
        db.session.scalars(sa.select(Decision).where(Decision.complaint_id == c.id).order_by(Decision.cycle))
    )
    decision = next((d for d in decisions if d.cycle == c.cycle), None)
    events = list(
        db.session.scalars(
            sa.select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id).order_by(ComplaintEvent.id)
        )
    )
    tenant = db.session.get(Tenant, c.tenant_id)
    names = Names(staff, units, categories, causes, country=tenant.country if tenant is not None else "")
    return ComplaintFile(
        complaint=c,
        category=categories.get(c.category_id) if c.category_id else None,
        unit=units.get(c.unit_id) if c.unit_id else None,
        handler=staff.get(c.handler_id) if c.handler_id else None,
        about=staff.get(c.about_staff_id) if c.about_staff_id else None,
        decision=decision,
        decisions=decisions,
        actions=list(
            db.session.scalars(
                sa.select(CorrectiveAction).where(CorrectiveAction.complaint_id == c.id).order_by(CorrectiveAction.id)
            )
        ),
        timeline=describe(events, names),
        steps=offered_steps(c, actor, decision),
        attachments=list(
            db.session.scalars(sa.select(Attachment).where(Attachment.complaint_id == c.id).order_by(Attachment.id))
        ),
        staff=staff,
        root_causes=causes,
        units=units,
        categories=categories,
        answers=answered_fields(
            db.session.get(FormVersion, c.form_version_id) if c.form_version_id else None, c.answers or {}
        ),
        rating=db.session.scalar(sa.select(SatisfactionRating).where(SatisfactionRating.complaint_id == c.id)),
        events=events,
    )
