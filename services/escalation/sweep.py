"""The deadline and escalation sweep: every minute, each tenant's rules against the complaints they may concern.

Candidates come from indexes, not a scan: open complaints whose next deadline falls before the furthest
horizon any rule looks at ((tenant_id, next_due_at); a closed complaint has none), and, for rules about
silence, open complaints not updated since the shortest silence ((tenant_id, updated_at) over open states
only). Each rule is then checked in order; it fires at most once per complaint, deadline and cycle (a
reopened complaint starts a new cycle), and every firing is a follow-up-log entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import load_only

from services.catalog.models import Unit
from services.complaints.lifecycle import ACTIVE
from services.complaints.log import record
from services.complaints.models import OPEN_STATES, Complaint, Priority, State
from services.escalation.models import EscalationFiring, EscalationRule
from services.notifications.models import Notice
from services.notifications.outbox import dispatch_after_commit, notify_staff, render_notice
from services.notifications.staff import managers
from tenants.context import enter_tenant, leave_tenant
from tenants.db import db, utcnow
from tenants.models import StaffMember, Tenant, active_tenants

log = logging.getLogger(__name__)
_OPEN = tuple(s.value for s in OPEN_STATES)
_PRIORITY_ORDER = [p.value for p in Priority]
_JUDGED_BY = (
    Complaint.id,
    Complaint.tenant_id,
    Complaint.state,
    Complaint.priority,
    Complaint.category_id,
    Complaint.channel,
    Complaint.cycle,
    Complaint.next_due_at,
    Complaint.respond_due_at,
    Complaint.legal_due_at,
    Complaint.updated_at,
)
# What the rules look at, built once; a complaint a rule fires on is read in full.
_LIGHT = load_only(*_JUDGED_BY)


def watched_deadline(complaint: Complaint) -> str | None:
    """Which deadline `next_due_at` is: the stage the complaint works towards now."""
    if complaint.next_due_at is None:
        return None
    state = State(complaint.state)
    if state == State.RECEIVED:
        return "acknowledge"
    if state in ACTIVE:
        if complaint.legal_due_at is not None and complaint.next_due_at == complaint.legal_due_at:
            return "legal"
        return "respond" if complaint.respond_due_at is not None else "resolve"
    return "resolve"


def _matches(rule: EscalationRule, complaint: Complaint) -> bool:
    return (
        (not rule.states or complaint.state in rule.states)
        and (not rule.priorities or complaint.priority in rule.priorities)
        and (not rule.category_ids or complaint.category_id in rule.category_ids)
        and (not rule.channels or complaint.channel in rule.channels)
    )


def _due(rule: EscalationRule, complaint: Complaint, now: datetime) -> str | None:
    """The deadline (or "idle") on which `rule` fires for `complaint` now, if it does."""
    if complaint.state not in _OPEN or not _matches(rule, complaint):
        return None
    span = timedelta(minutes=rule.minutes)
    if rule.trigger == "idle":
        return "idle" if complaint.updated_at <= now - span else None
    stage = watched_deadline(complaint)
    if stage is None or rule.deadline not in ("any", stage):
        return None
    due = complaint.next_due_at
    if rule.trigger == "due_near":
        return stage if now < due <= now + span else None
    return stage if due <= now - span else None  # overdue by at least `minutes`


@dataclass
class Hit:
    complaint: Complaint
    deadline: str
    fired: bool  # already fired for this deadline in this cycle


def _candidates(rules: list[EscalationRule], now: datetime) -> list[Complaint]:
    return _candidates_and_firings(rules, now)[0]


def _candidates_and_firings(
    rules: list[EscalationRule], now: datetime
) -> tuple[list[Complaint], set[tuple[int, int, int, str]]]:
    """The complaints the rules may concern now, and the firings already made on them in their present cycle
    (read with them, in one query per kind of rule)."""
    horizons = [
        now + timedelta(minutes=r.minutes) if r.trigger == "due_near" else now - timedelta(minutes=r.minutes)
        for r in rules
        if r.trigger != "idle"
    ]
    silences = [now - timedelta(minutes=r.minutes) for r in rules if r.trigger == "idle"]
    queries = []
    if horizons:
        queries.append(Complaint.next_due_at <= max(horizons))
    if silences:
        queries.append(sa.and_(Complaint.state.in_(_OPEN), Complaint.updated_at <= max(silences)))
    found: dict[int, Complaint] = {}
    fired: set[tuple[int, int, int, str]] = set()
    for condition in queries:
        rows = db.session.execute(
            sa.select(Complaint, EscalationFiring.rule_id, EscalationFiring.deadline)
            .options(_LIGHT)
            .outerjoin(
                EscalationFiring,
                sa.and_(EscalationFiring.complaint_id == Complaint.id, EscalationFiring.cycle == Complaint.cycle),
            )
            .where(condition)
        )
        for complaint, rule_id, deadline in rows:
            found[complaint.id] = complaint
            if rule_id is not None:
                fired.add((rule_id, complaint.id, complaint.cycle, deadline))
    return sorted(found.values(), key=lambda c: c.id), fired


def _fired(rule_ids: list[int], complaint_ids: list[int]) -> set[tuple[int, int, int, str]]:
    if not rule_ids or not complaint_ids:
        return set()
    rows = db.session.execute(
        sa.select(
            EscalationFiring.rule_id, EscalationFiring.complaint_id, EscalationFiring.cycle, EscalationFiring.deadline
        ).where(EscalationFiring.rule_id.in_(rule_ids), EscalationFiring.complaint_id.in_(complaint_ids))
    )
    return {tuple(row) for row in rows}


def preview(rule: EscalationRule, now: datetime | None = None) -> list[Hit]:
    """The open complaints `rule` would hit now, and whether it already fired on each."""
    now = now or utcnow()
    candidates = _candidates([rule], now)
    fired = _fired([rule.id], [c.id for c in candidates]) if rule.id else set()
    hits = []
    for complaint in candidates:
        deadline = _due(rule, complaint, now)
        if deadline is not None:
            hits.append(Hit(complaint, deadline, (rule.id, complaint.id, complaint.cycle, deadline) in fired))
    return hits


def sweep_tenant(tenant: Tenant, now: datetime | None = None) -> int:
    """Fire the tenant's active rules, in their order, on whatever they concern now; returns the firings."""
    now = now or utcnow()
    rules = list(
        db.session.scalars(
            sa.select(EscalationRule)
            .where(EscalationRule.is_active.is_(True))
            .order_by(EscalationRule.position, EscalationRule.id)
        )
    )
    if not rules:
        return 0
    candidates, fired = _candidates_and_firings(rules, now)
    count = 0
    for complaint in candidates:
        for rule in rules:
            deadline = _due(rule, complaint, now)
            if deadline is None or (rule.id, complaint.id, complaint.cycle, deadline) in fired:
                continue
            _fire(tenant, rule, complaint, deadline, now)
            fired.add((rule.id, complaint.id, complaint.cycle, deadline))
            count += 1
    return count


def _event_for(rule: EscalationRule) -> str:
    if rule.raise_level or rule.reassign_unit_id or rule.reassign_handler_id:
        return "escalated"
    return {"due_near": "deadline_near", "overdue": "deadline_passed"}.get(rule.trigger, "escalated")


def _fire(tenant: Tenant, rule: EscalationRule, complaint: Complaint, deadline: str, now: datetime) -> None:
    complaint = db.session.scalars(
        sa.select(Complaint).where(Complaint.id == complaint.id).execution_options(populate_existing=True)
    ).one()
    db.session.add(
        EscalationFiring(rule_id=rule.id, complaint_id=complaint.id, cycle=complaint.cycle, deadline=deadline)
    )
    done: list[str] = []
    changed = False
    if rule.raise_priority and complaint.priority != _PRIORITY_ORDER[-1]:
        complaint.priority = _PRIORITY_ORDER[_PRIORITY_ORDER.index(complaint.priority) + 1]
        done.append(f"priority:{complaint.priority}")
        changed = True
    if rule.raise_level:
        complaint.escalation_level += 1
        done.append(f"level:{complaint.escalation_level}")
        changed = True
    if rule.reassign_unit_id and rule.reassign_unit_id != complaint.unit_id:
        complaint.unit_id = rule.reassign_unit_id
        done.append(f"unit:{rule.reassign_unit_id}")
        changed = True
    handler = db.session.get(StaffMember, rule.reassign_handler_id) if rule.reassign_handler_id else None
    if handler is not None and handler.is_active and handler.id not in (complaint.handler_id, complaint.about_staff_id):
        complaint.handler_id = handler.id
        done.append(f"handler:{handler.id}")
        changed = True
    if changed:
        complaint.updated_at = now
        complaint.updated_by_id = None
    told, stand_ins = _recipients(rule, complaint)
    data = {"rule": rule.id, "name": rule.name, "trigger": rule.trigger, "deadline": deadline, "done": done}
    if stand_ins:
        data["stand_ins"] = stand_ins
    event = record(complaint, "escalation", None, data=data)
    db.session.flush()
    key = f"r{rule.id}:{complaint.cycle}:{deadline}:{event.id}"
    kind = _event_for(rule)
    for member in told:
        notify_staff(member, complaint, kind, key=key, default_locale=tenant.default_locale)
    if rule.notify_email:
        _notify_outside(tenant, complaint, kind, rule.notify_email, key)


def _present(member_id: int | None, complaint: Complaint) -> StaffMember | None:
    """The staff member, if there is one who can be told of the complaint."""
    member = db.session.get(StaffMember, member_id) if member_id else None
    if member is None or not member.is_active or member.id == complaint.about_staff_id:
        return None
    return member


def _recipients(rule: EscalationRule, complaint: Complaint) -> tuple[list[StaffMember], dict[str, str]]:
    """Whom the rule tells, and for each of its people who is missing (no handler, no unit head), who stood in:
    the unit head, then the managers. A rule that means to tell someone always tells someone."""
    ids: set[int] = set(rule.notify_member_ids or [])
    stand_ins: dict[str, str] = {}
    unit = db.session.get(Unit, complaint.unit_id) if complaint.unit_id else None
    head = _present(unit.head_id if unit is not None else None, complaint)
    if rule.notify_handler:
        handler = _present(complaint.handler_id, complaint)
        if handler is not None:
            ids.add(handler.id)
        else:
            stand_ins["handler"] = "unit_head" if head is not None else "managers"
    if rule.notify_unit_head and head is None:
        stand_ins["unit_head"] = "managers"
    if head is not None and (rule.notify_unit_head or stand_ins.get("handler") == "unit_head"):
        ids.add(head.id)
    members = list(db.session.scalars(sa.select(StaffMember).where(StaffMember.id.in_(ids)))) if ids else []
    if "managers" in stand_ins.values():
        members += managers()
    if rule.notify_roles:
        members += list(
            db.session.scalars(
                sa.select(StaffMember).where(StaffMember.role.in_(rule.notify_roles), StaffMember.is_active.is_(True))
            )
        )
    unique = {m.id: m for m in members if m.is_active and m.id != complaint.about_staff_id}
    return [unique[i] for i in sorted(unique)], stand_ins


def _notify_outside(tenant: Tenant, complaint: Complaint, event: str, address: str, key: str) -> None:
    notice = Notice(
        complaint_id=complaint.id,
        event=event,
        audience="outside",
        channel="email",
        recipient=address,
        locale=tenant.default_locale,
        data={},
        idempotency_key=f"{event}:{complaint.id}:out:{key}"[:80],
    )
    db.session.add(notice)
    db.session.flush()
    render_notice(notice, complaint)
    dispatch_after_commit(notice)


def sweep_all(now: datetime | None = None) -> int:
    """Every active tenant's sweep, each in its own scope; returns the firings.

    One transaction reads them all (the tenant setting follows the scope); a tenant's firings are committed
    as soon as they are made, so a failure elsewhere loses none of them.
    """
    now = now or utcnow()
    tenants = active_tenants()
    total = 0
    first = None
    try:
        for tenant in tenants:
            # From one tenant straight to the next: one change of the database's tenant setting each, not two.
            entered = enter_tenant(tenant.id)
            first = first or entered
            try:
                fired = sweep_tenant(tenant, now)
                if fired:
                    db.session.commit()
                    total += fired
            except Exception:
                db.session.rollback()
                log.exception("escalation sweep failed", extra={"tenant_id": tenant.id})
    finally:
        if first is not None:
            leave_tenant(first)
    db.session.commit()
    return total
