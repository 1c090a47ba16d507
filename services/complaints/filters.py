"""Which complaints a list shows: the inbox's filters, shared by the reports so that every figure they count opens
the inbox on exactly the complaints counted. A filter is read from and written to the URL's parameters here,
once, for the inbox, the home page, the reports and the exports."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from services.catalog.models import Category
from services.complaints.access import visible_to
from services.complaints.models import (
    OPEN_STATES,
    ActionStatus,
    Complaint,
    ComplaintEvent,
    CorrectiveAction,
    Decision,
    IntakeChannel,
    Kind,
    Priority,
    SatisfactionRating,
    State,
)
from services.complaints.search import search_condition
from tenants.db import db
from tenants.models import StaffMember
from tenants.text import parse_id

SORTS = ("newest", "oldest", "due")
TABS = ("open", *(s.value for s in State), "all")
# The deadlines a complaint can miss, each with the moment it was met and the moment it fell due.
DEADLINES = ("acknowledge", "respond", "resolve")
_MET_AT = {"acknowledge": "acknowledged_at", "respond": "responded_at", "resolve": "closed_at"}
# Waiting for the handler's step: open and not with the customer (an answered complaint awaits their reaction).
WAITING_STATES = frozenset(OPEN_STATES - {State.RESPONDED})
NONE = "none"  # a category, unit or handler that is not set
REPEAT_DAYS = 90


@dataclass(frozen=True)
class InboxFilter:
    """What a list of complaints shows; every field comes from the URL."""

    tab: str = "open"
    category_id: int | str | None = None  # an id, or NONE
    unit_id: int | str | None = None  # an id, or NONE
    handler: str | None = None  # "me", NONE or a staff id
    priority: str | None = None
    channel: str | None = None
    kind: str | None = None
    overdue: bool = False
    escalated: bool = False
    safety: bool = False
    received_from: date | None = None
    received_to: date | None = None
    closed_from: date | None = None
    closed_to: date | None = None
    # Drill-downs of the home page and the reports.
    due_today: bool = False
    waiting: bool = False
    replied: bool = False
    reopened: bool = False
    approval: bool = False
    late: str | None = None  # one of DEADLINES: met late, or not met and past due
    on_time: str | None = None  # one of DEADLINES: met by the time it fell due
    action_overdue: bool = False  # a corrective action not done by its due day
    # A corrective action of the complaint in this state (an ActionStatus, or ACTION_TIMES), and of this owner
    # and unit: all of them true of the same action.
    action: str | None = None
    action_owner: int | None = None
    action_unit: int | None = None
    justified: str | None = None  # "1", "0" or "any": the current cycle's decision
    rated: bool = False
    accepted: bool = False  # closed after the customer accepted the answer (not for want of a reaction)
    repeat: bool = False  # the same complainant (phone, e-mail or national id) complained in the REPEAT_DAYS before
    level: int | None = None  # the escalation level reached
    score: int | None = None
    root_cause_id: int | None = None
    q: str | None = None
    sort: str = "newest"
    after: str | None = None

    def but(self, **changes: Any) -> InboxFilter:
        """This filter with `changes`."""
        return replace(self, **changes)


# URL parameter → field, for the fields whose name in the URL differs.
_PARAMS = {
    "category": "category_id",
    "unit": "unit_id",
    "from": "received_from",
    "to": "received_to",
    "closed_from": "closed_from",
    "closed_to": "closed_to",
    "root_cause": "root_cause_id",
}
_FIELD_PARAMS = {v: k for k, v in _PARAMS.items()}
_FLAGS = (
    "overdue",
    "escalated",
    "safety",
    "action_overdue",
    "due_today",
    "waiting",
    "replied",
    "reopened",
    "approval",
    "rated",
    "accepted",
    "repeat",
)
_DATES = ("received_from", "received_to", "closed_from", "closed_to")
_CHOICES: dict[str, frozenset[str]] = {
    "priority": frozenset(Priority),
    "channel": frozenset(IntakeChannel),
    "kind": frozenset(Kind),
    "late": frozenset(DEADLINES),
    "on_time": frozenset(DEADLINES),
    "justified": frozenset({"1", "0", "any"}),
    "action": frozenset({*(a.value for a in ActionStatus), "any", "on_time", "late"}),
}


def _id_or_none(value: str | None) -> int | str | None:
    return NONE if value == NONE else parse_id(value)


def filter_from_args(args: Mapping[str, str], parse_date: Callable[[str], date | None]) -> InboxFilter:
    """The filter of a URL; anything malformed is left out, never an error (a list is a list)."""
    tab, sort = args.get("tab", "open"), args.get("sort", "newest")
    values: dict[str, Any] = {
        "tab": tab if tab in TABS else "open",
        "sort": sort if sort in SORTS else "newest",
        "category_id": _id_or_none(args.get("category")),
        "unit_id": _id_or_none(args.get("unit")),
        "handler": args.get("handler") or None,
        "root_cause_id": parse_id(args.get("root_cause")),
        "action_owner": parse_id(args.get("action_owner")),
        "action_unit": parse_id(args.get("action_unit")),
        "q": (args.get("q") or "").strip()[:200] or None,
        "after": args.get("after") or None,
    }
    for name, allowed in _CHOICES.items():
        values[name] = args.get(name) if args.get(name) in allowed else None
    for name in _FLAGS:
        values[name] = args.get(name) == "1"
    for name in _DATES:
        values[name] = parse_date(args.get(_FIELD_PARAMS.get(name, name), ""))
    level = parse_id(args.get("level"))
    values["level"] = level if level is not None and 1 <= level <= 99 else None
    score = parse_id(args.get("score"))
    values["score"] = score if score is not None and 1 <= score <= 5 else None
    return InboxFilter(**values)


def filter_args(f: InboxFilter, **changes: Any) -> dict[str, Any]:
    """The URL parameters of `f` with `changes` (by URL name); defaults and empty values left out, dates ISO."""
    values: dict[str, Any] = {}
    for item in fields(f):
        value = getattr(f, item.name)
        if item.name == "after" or value in (None, "", False) or value == item.default:
            continue
        if isinstance(value, date):
            value = value.isoformat()
        values[_FIELD_PARAMS.get(item.name, item.name)] = "1" if value is True else value
    if f.tab == "open":
        values["tab"] = "open"
    values.update(changes)
    return {k: v for k, v in values.items() if v not in (None, "", False)}


def _local_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def _between(column: Any, first: date | None, last: date | None, tz: ZoneInfo) -> list[sa.ColumnElement[bool]]:
    """`column` within the local days `first` to `last`, both included."""
    conds = []
    if first:
        conds.append(column >= _local_start(first, tz))
    if last:
        conds.append(column < _local_start(last + timedelta(days=1), tz))
    return conds


def conditions(actor: StaffMember, f: InboxFilter, tz: ZoneInfo, now: datetime) -> list[sa.ColumnElement[bool]]:
    """The filters, without the tab (the counts per tab share them)."""
    conds: list[sa.ColumnElement[bool]] = [visible_to(actor), *_where(f, actor), *_when(f, tz, now)]
    conds += [condition for flag, condition in _FLAG_CONDITIONS.items() if getattr(f, flag)]
    if f.overdue:
        conds.append(Complaint.next_due_at < now)
    if f.late:
        conds.append(late_for(f.late, now))
    if f.on_time:
        conds.append(on_time_for(f.on_time))
    if f.action_overdue:
        conds.append(action_overdue(now.astimezone(tz).date()))
    if f.action or f.action_owner is not None or f.action_unit is not None:
        conds.append(with_action(f, tz))
    if f.repeat:
        conds.append(complained_before(REPEAT_DAYS))
    if f.level is not None:
        conds.append(Complaint.escalation_level == f.level)
    if f.justified:
        decided = sa.true() if f.justified == "any" else Decision.justified.is_(f.justified == "1")
        conds.append(_current_decision(decided))
    if f.rated or f.score:
        rating = sa.select(SatisfactionRating.complaint_id)
        if f.score:
            rating = rating.where(SatisfactionRating.score == f.score)
        conds.append(Complaint.id.in_(rating))
    if f.root_cause_id is not None:
        causes = sa.select(CorrectiveAction.complaint_id).where(CorrectiveAction.root_cause_id == f.root_cause_id)
        conds.append(Complaint.id.in_(causes))
    if f.q and (found := search_condition(f.q)) is not None:
        conds.append(found)
    return conds


def _where(f: InboxFilter, actor: StaffMember) -> list[sa.ColumnElement[bool]]:
    """Where the complaint belongs: category (with its children), unit, handler, priority, channel, kind."""
    conds: list[sa.ColumnElement[bool]] = []
    if f.category_id == NONE:
        conds.append(Complaint.category_id.is_(None))
    elif f.category_id is not None:
        children = sa.select(Category.id).where(Category.parent_id == f.category_id)
        conds.append(sa.or_(Complaint.category_id == f.category_id, Complaint.category_id.in_(children)))
    if f.unit_id == NONE:
        conds.append(Complaint.unit_id.is_(None))
    elif f.unit_id is not None:
        conds.append(Complaint.unit_id == f.unit_id)
    if f.handler:
        conds.append(_handler_condition(actor, f.handler))
    chosen = ("priority", "channel", "kind")
    conds += [getattr(Complaint, name) == getattr(f, name) for name in chosen if getattr(f, name)]
    return conds


def _when(f: InboxFilter, tz: ZoneInfo, now: datetime) -> list[sa.ColumnElement[bool]]:
    """The days it was received or closed in, and whether its deadline falls today."""
    conds = _between(Complaint.received_at, f.received_from, f.received_to, tz)
    conds += _between(Complaint.closed_at, f.closed_from, f.closed_to, tz)
    if f.due_today:
        today = now.astimezone(tz).date()
        conds += [Complaint.next_due_at.is_not(None), *_between(Complaint.next_due_at, today, today, tz)]
    return conds


def _handler_condition(actor: StaffMember, handler: str) -> sa.ColumnElement[bool]:
    if handler == "me":
        return Complaint.handler_id == actor.id
    if handler == NONE:
        return Complaint.handler_id.is_(None)
    handler_id = parse_id(handler)
    return Complaint.handler_id == handler_id if handler_id is not None else sa.true()


def tab_condition(tab: str) -> sa.ColumnElement[bool] | None:
    if tab == "open":
        return Complaint.state.in_([s.value for s in OPEN_STATES])
    if tab in {s.value for s in State}:
        return Complaint.state == tab
    return None


# The conditions on other tables are uncorrelated IN subqueries: evaluated once and hashed, not once a row, also
# inside the FILTER clauses of services.reports.counting.


def _current_decision(where: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    decided = sa.select(Decision.complaint_id, Decision.cycle).where(where)
    return sa.tuple_(Complaint.id, Complaint.cycle).in_(decided)


def awaits_approval() -> sa.ColumnElement[bool]:
    """The current cycle's decision is recorded and waits for a manager's approval."""
    return sa.and_(
        Complaint.state.in_([State.INVESTIGATING.value, State.ACTION.value]),
        _current_decision(Decision.approved_by_id.is_(None)),
    )


def customer_awaits_reply() -> sa.ColumnElement[bool]:
    """Open, and the customer's latest message came after the staff's latest message or step."""
    customer = sa.case((ComplaintEvent.kind == "customer_message", ComplaintEvent.id))
    staff = sa.case(
        (
            sa.and_(
                ComplaintEvent.actor_kind == "staff",
                ComplaintEvent.kind.in_(("message", "transition", "decision")),
            ),
            ComplaintEvent.id,
        )
    )
    opened = aliased(Complaint)
    waiting = (
        sa.select(ComplaintEvent.complaint_id)
        .join(opened, opened.id == ComplaintEvent.complaint_id)
        .where(opened.state.in_([s.value for s in OPEN_STATES]))
        .group_by(ComplaintEvent.complaint_id)
        .having(sa.func.max(customer) > sa.func.coalesce(sa.func.max(staff), 0))
    )
    return sa.and_(Complaint.state.in_([s.value for s in OPEN_STATES]), Complaint.id.in_(waiting))


def accepted_by_customer() -> sa.ColumnElement[bool]:
    """Closed, and not by the organization's time for a reaction running out: the customer accepted."""
    auto = sa.select(ComplaintEvent.complaint_id).where(
        ComplaintEvent.kind == "transition",
        ComplaintEvent.actor_kind == "system",
        ComplaintEvent.data["auto"].as_boolean().is_(True),
    )
    return sa.and_(Complaint.state == State.CLOSED.value, Complaint.id.not_in(auto))


def days_before(column: Any, days: int) -> sa.ColumnElement[Any]:
    """The moment `days` days before a timestamp column, computed by the database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column - sa.func.make_interval(0, 0, 0, days)
    return sa.func.datetime(column, f"-{days} days")


def complained_before(days: int) -> sa.ColumnElement[bool]:
    """The same complainant — the same phone, e-mail or national id — had another complaint received in the
    `days` days before this one (services.complaints.repeats keeps when)."""
    return sa.and_(
        Complaint.previous_received_at.is_not(None),
        Complaint.previous_received_at >= days_before(Complaint.received_at, days),
    )


def late_for(deadline: str, now: datetime) -> sa.ColumnElement[bool]:
    """The complaint missed `deadline` (of its current cycle): met after it fell due, or not met and past due.
    A withdrawn complaint misses nothing it had not missed when it was withdrawn."""
    due = getattr(Complaint, f"{deadline}_due_at")
    met = getattr(Complaint, _MET_AT[deadline])
    return sa.and_(
        due.is_not(None),
        sa.or_(
            met > due,
            sa.and_(met.is_(None), due < sa.func.coalesce(Complaint.withdrawn_at, now)),
        ),
    )


def with_action(f: InboxFilter, tz: ZoneInfo) -> sa.ColumnElement[bool]:
    """The complaint has a corrective action in the filter's state, of its owner and of its unit. On time: done on
    or before its due day (a day of the organization's time zone); late: done after it."""
    wheres: list[sa.ColumnElement[bool]] = []
    if f.action in {a.value for a in ActionStatus}:
        wheres.append(CorrectiveAction.status == f.action)
    elif f.action in ("on_time", "late"):
        done_by = CorrectiveAction.done_at
        wheres += [done_by.is_not(None), CorrectiveAction.due_on.is_not(None)]
        local_done = local_date(done_by, tz)
        wheres.append(
            local_done <= CorrectiveAction.due_on if f.action == "on_time" else local_done > CorrectiveAction.due_on
        )
    if f.action_owner is not None:
        wheres.append(CorrectiveAction.owner_id == f.action_owner)
    if f.action_unit is not None:
        wheres.append(CorrectiveAction.unit_id == f.action_unit)
    return Complaint.id.in_(sa.select(CorrectiveAction.complaint_id).where(*wheres))


def local_date(column: Any, tz: ZoneInfo) -> sa.ColumnElement[Any]:
    """The local day of a timestamp column in `tz`, computed by the database (on SQLite with the zone's present
    offset: Iran and Kazakhstan keep no summer time)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.date(sa.func.timezone(tz.key, column))
    offset = datetime.now(tz).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    return sa.func.date(column, f"{minutes:+d} minutes")


def action_overdue(today: date) -> sa.ColumnElement[bool]:
    """A corrective action of the complaint is not done by its due day."""
    overdue = sa.select(CorrectiveAction.complaint_id).where(
        CorrectiveAction.due_on < today,
        CorrectiveAction.status.in_([ActionStatus.PLANNED.value, ActionStatus.IN_PROGRESS.value]),
    )
    return Complaint.id.in_(overdue)


def on_time_for(deadline: str) -> sa.ColumnElement[bool]:
    """The complaint met `deadline` (of its current cycle) by the time it fell due."""
    due = getattr(Complaint, f"{deadline}_due_at")
    met = getattr(Complaint, _MET_AT[deadline])
    return sa.and_(due.is_not(None), met.is_not(None), met <= due)


# The yes-or-no filters that need nothing but themselves.
_FLAG_CONDITIONS: dict[str, sa.ColumnElement[bool]] = {
    "escalated": Complaint.escalation_level > 0,
    "safety": Complaint.safety.is_(True),
    "waiting": Complaint.state.in_([s.value for s in WAITING_STATES]),
    "replied": customer_awaits_reply(),
    "reopened": Complaint.reopen_count > 0,
    "approval": awaits_approval(),
    "accepted": accepted_by_customer(),
}
