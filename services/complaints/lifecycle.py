"""The ISO 10002 lifecycle: which action is allowed from which state, to which roles, and the transitions.

received → acknowledged → investigating → (justified: action) → responded → closed; a rejection by the
customer reopens a responded complaint into investigating; withdrawn from any open state. The
escalation level is kept apart from the state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.calendar.deadlines import compute_due_dates, load_calendar
from services.complaints.access import is_about
from services.complaints.durations import cycle_start, resolved, worked_hours
from services.complaints.log import record
from services.complaints.models import (
    OPEN_STATES,
    Complaint,
    CorrectiveAction,
    Decision,
    Kind,
    State,
)
from services.complaints.stale import check_version, touch
from services.notifications.outbox import notify_customer, notify_staff
from tenants.db import db, utcnow
from tenants.errors import Forbidden, NotAllowed, Refused
from tenants.models import StaffMember, Tenant
from tenants.roles import Role


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    INVESTIGATE = "investigate"
    DECIDE = "decide"
    APPROVE = "approve"
    RESPOND = "respond"
    CLOSE = "close"
    REOPEN = "reopen"
    WITHDRAW = "withdraw"
    ESCALATE = "escalate"
    ASSIGN = "assign"
    EDIT = "edit"
    NOTE = "note"
    MESSAGE = "message"
    ADD_ACTION = "add_action"
    UPDATE_ACTION = "update_action"
    ATTACH = "attach"


EVERYONE = frozenset(Role)
STAFF = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER, Role.AGENT})
SENIOR = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER})
ALL_STATES = frozenset(State)
ACTIVE = frozenset({State.ACKNOWLEDGED, State.INVESTIGATING, State.ACTION})


@dataclass(frozen=True)
class Rule:
    states: frozenset[State]
    roles: frozenset[Role]
    kinds: frozenset[Kind] = frozenset(Kind)
    # Where the organization asks for a second person: never whoever made the cycle's decision.
    second_person: bool = False


RULES: dict[Action, Rule] = {
    Action.ACKNOWLEDGE: Rule(frozenset({State.RECEIVED}), EVERYONE),
    Action.INVESTIGATE: Rule(frozenset({State.ACKNOWLEDGED}), EVERYONE),
    Action.DECIDE: Rule(frozenset({State.INVESTIGATING, State.ACTION}), STAFF, frozenset({Kind.COMPLAINT})),
    Action.APPROVE: Rule(
        frozenset({State.INVESTIGATING, State.ACTION}), SENIOR, frozenset({Kind.COMPLAINT}), second_person=True
    ),
    Action.RESPOND: Rule(ACTIVE, STAFF),
    Action.CLOSE: Rule(frozenset({State.RESPONDED}), STAFF),
    Action.REOPEN: Rule(frozenset({State.RESPONDED}), STAFF),
    Action.WITHDRAW: Rule(OPEN_STATES, STAFF),
    Action.ESCALATE: Rule(OPEN_STATES, SENIOR),
    Action.ASSIGN: Rule(OPEN_STATES, STAFF),
    Action.EDIT: Rule(OPEN_STATES, STAFF),
    Action.NOTE: Rule(ALL_STATES, EVERYONE),
    Action.MESSAGE: Rule(OPEN_STATES, EVERYONE),
    Action.ADD_ACTION: Rule(frozenset({State.INVESTIGATING, State.ACTION}), EVERYONE, frozenset({Kind.COMPLAINT})),
    # Effectiveness is often verified long after the answer: actions stay editable once closed.
    Action.UPDATE_ACTION: Rule(ALL_STATES - {State.WITHDRAWN}, EVERYONE, frozenset({Kind.COMPLAINT})),
    Action.ATTACH: Rule(OPEN_STATES, EVERYONE),
}


def allowed(complaint: Complaint, actor: StaffMember, action: Action) -> bool:
    """Whether `actor` may take `action` on `complaint` now (gating rules aside)."""
    rule = RULES[action]
    return (
        actor.is_active
        and not is_about(complaint, actor)
        and Role(actor.role) in rule.roles
        and State(complaint.state) in rule.states
        and Kind(complaint.kind) in rule.kinds
        and not (rule.second_person and _own_decision(complaint, actor))
    )


def needs_second_person(complaint: Complaint) -> bool:
    """Whether the complaint's organization has every decision approved by someone other than its maker."""
    tenant = db.session.get(Tenant, complaint.tenant_id)
    return tenant is not None and tenant.second_approval


def _own_decision(complaint: Complaint, actor: StaffMember) -> bool:
    """Whether a second person must approve and `actor` made the cycle's decision."""
    if not needs_second_person(complaint):
        return False
    decision = current_decision(complaint)
    return decision is not None and decision.decided_by_id == actor.id


def check(complaint: Complaint, actor: StaffMember, action: Action) -> None:
    """Raise Forbidden (the role) or NotAllowed (the state or kind) unless `action` is allowed."""
    rule = RULES[action]
    if not actor.is_active or Role(actor.role) not in rule.roles:
        raise Forbidden(_l("Your role does not allow this."))
    if is_about(complaint, actor):
        raise Forbidden(_l("This complaint is about you; someone else handles it."))
    if Kind(complaint.kind) not in rule.kinds:
        raise NotAllowed(_l("Suggestions and compliments need no decision or corrective action."))
    if State(complaint.state) not in rule.states:
        raise NotAllowed(_l("This cannot be done while the complaint is in its present state."))
    if rule.second_person and _own_decision(complaint, actor):
        raise Forbidden(_l("You made this decision; your organization has every decision approved by someone else."))


def available(complaint: Complaint, actor: StaffMember) -> frozenset[Action]:
    """Every action `actor` may take on `complaint` now, for the page's buttons."""
    return frozenset(a for a in Action if allowed(complaint, actor, a))


def set_next_due(complaint: Complaint) -> None:
    """The deadline the complaint now works towards, for the inbox and the deadline sweep."""
    state = State(complaint.state)
    if state == State.RECEIVED:
        complaint.next_due_at = complaint.acknowledge_due_at
    elif state in ACTIVE:
        dues = [d for d in (complaint.respond_due_at, complaint.legal_due_at) if d is not None]
        complaint.next_due_at = min(dues) if dues else complaint.resolve_due_at
    elif state == State.RESPONDED:
        complaint.next_due_at = complaint.resolve_due_at
    else:
        complaint.next_due_at = None


def _move(
    complaint: Complaint, actor: StaffMember | None, action: Action, to: State, *, extra: dict | None = None, **log
) -> None:
    before = complaint.state
    complaint.state = to.value
    set_next_due(complaint)
    touch(complaint, actor)
    data = {"action": action.value, "state": [before, to.value], **(extra or {})}
    record(complaint, "transition", actor, data=data, **log)


def current_decision(complaint: Complaint) -> Decision | None:
    """The decision of the complaint's current cycle."""
    return db.session.scalar(
        sa.select(Decision).where(Decision.complaint_id == complaint.id, Decision.cycle == complaint.cycle)
    )


def acknowledge(actor: StaffMember, complaint: Complaint, version: int) -> None:
    """Receipt acknowledged to the customer (the notice itself is the notifications' job)."""
    check(complaint, actor, Action.ACKNOWLEDGE)
    check_version(complaint, version)
    complaint.acknowledged_at = utcnow()
    complaint.acknowledge_hours = worked_hours(complaint, complaint.received_at, complaint.acknowledged_at)
    _move(complaint, actor, Action.ACKNOWLEDGE, State.ACKNOWLEDGED, customer_visible=True)


def investigate(actor: StaffMember, complaint: Complaint, version: int) -> None:
    """Assessment and investigation begin."""
    check(complaint, actor, Action.INVESTIGATE)
    check_version(complaint, version)
    _move(complaint, actor, Action.INVESTIGATE, State.INVESTIGATING, customer_visible=True)


@dataclass(frozen=True)
class DecisionInput:
    justified: bool
    reasons: str
    legal_grounds: str | None = None
    remedy: str | None = None
    compensation_amount: int | None = None


def decide(actor: StaffMember, tenant: Tenant, complaint: Complaint, data: DecisionInput, version: int) -> Decision:
    """Record (or revise, until the response) the cycle's decision; justified moves the complaint to action.

    A manager's decision is approved at once, unless the organization asks for a second person; otherwise it
    waits, and those who may approve it are told.
    """
    check(complaint, actor, Action.DECIDE)
    check_version(complaint, version)
    if not data.reasons.strip():
        raise Refused(_l("Write the reasons for the decision."), field="reasons")
    decision = current_decision(complaint)
    before = _decision_fields(decision) if decision else {}
    if decision is None:
        decision = Decision(complaint_id=complaint.id, cycle=complaint.cycle)
        db.session.add(decision)
    decision.justified = data.justified
    decision.reasons = data.reasons
    decision.legal_grounds = data.legal_grounds or None
    decision.remedy = data.remedy or None
    decision.compensation_amount = data.compensation_amount
    decision.currency = tenant.currency if data.compensation_amount else None
    decision.decided_by_id = actor.id
    decision.decided_at = utcnow()
    approves = Role(actor.role) in RULES[Action.APPROVE].roles and not tenant.second_approval
    decision.approved_by_id = actor.id if approves else None
    decision.approved_at = utcnow() if approves else None
    db.session.flush()
    after = _decision_fields(decision)
    entry = record(complaint, "decision", actor, data={"before": before, "after": after})
    to = State.ACTION if data.justified else State.INVESTIGATING
    if complaint.state != to.value:
        _move(complaint, actor, Action.DECIDE, to)
    else:
        touch(complaint, actor)
    if decision.approved_by_id is None:
        db.session.flush()
        _tell_approvers(tenant, complaint, actor, str(entry.id))
    return decision


def approvers(complaint: Complaint) -> list[StaffMember]:
    """Everyone who may approve the cycle's decision now: the approving roles, active, not the person the
    complaint is about, nor (where a second person is asked for) whoever made it."""
    rule = RULES[Action.APPROVE]
    if State(complaint.state) not in rule.states or Kind(complaint.kind) not in rule.kinds:
        return []
    decision = current_decision(complaint)
    maker = decision.decided_by_id if decision is not None and needs_second_person(complaint) else None
    members = db.session.scalars(
        sa.select(StaffMember)
        .where(StaffMember.is_active.is_(True), StaffMember.role.in_([r.value for r in rule.roles]))
        .order_by(StaffMember.id)
    )
    return [m for m in members if not is_about(complaint, m) and m.id != maker]


def _tell_approvers(tenant: Tenant, complaint: Complaint, actor: StaffMember, key: str) -> None:
    for member in approvers(complaint):
        if member.id != actor.id:
            notify_staff(
                member, complaint, "decision_pending", key=key, default_locale=tenant.default_locale, actor=actor
            )


def _decision_fields(decision: Decision) -> dict[str, object]:
    return {
        "justified": decision.justified,
        "reasons": decision.reasons,
        "legal_grounds": decision.legal_grounds,
        "remedy": decision.remedy,
        "compensation_amount": decision.compensation_amount,
        "currency": decision.currency,
        "approved": decision.approved_by_id is not None,
        "approved_by": decision.approved_by_id,
    }


def approve(actor: StaffMember, complaint: Complaint, version: int) -> Decision:
    """A manager approves the cycle's decision (never their own, where the organization asks for a second person);
    the log says whose decision it was."""
    check(complaint, actor, Action.APPROVE)
    check_version(complaint, version)
    decision = current_decision(complaint)
    if decision is None:
        raise NotAllowed(_l("There is no decision to approve yet."))
    if decision.approved_by_id is not None:
        raise NotAllowed(_l("This decision is already approved."))
    decision.approved_by_id = actor.id
    decision.approved_at = utcnow()
    touch(complaint, actor)
    record(
        complaint,
        "decision_approved",
        actor,
        data={"decision": decision.id, "decided_by": decision.decided_by_id, "approved_by": actor.id},
    )
    return decision


def respond(actor: StaffMember, complaint: Complaint, message: str, version: int) -> None:
    """Communicate the decision and the result; the complaint then awaits the customer.

    A complaint needs an approved decision, and if justified at least one corrective action and every
    action done or deferred with a reason.
    """
    check(complaint, actor, Action.RESPOND)
    check_version(complaint, version)
    if not message.strip():
        raise Refused(_l("Write the answer the customer will receive."), field="message")
    if complaint.kind == Kind.COMPLAINT:
        decision = current_decision(complaint)
        if decision is None:
            raise Refused(_l("Record the decision before answering."))
        if decision.approved_by_id is None:
            raise Refused(_l("A manager must approve the decision before the answer goes out."))
        if decision.justified:
            actions = list(
                db.session.scalars(sa.select(CorrectiveAction).where(CorrectiveAction.complaint_id == complaint.id))
            )
            if not actions:
                raise Refused(
                    _l("A justified complaint needs at least one corrective action, done or deferred with a reason.")
                )
            if any(not a.is_settled for a in actions):
                raise Refused(_l("Every corrective action must be done, or deferred with a reason, before answering."))
    complaint.responded_at = utcnow()
    complaint.respond_hours = worked_hours(complaint, cycle_start(complaint), complaint.responded_at)
    _move(complaint, actor, Action.RESPOND, State.RESPONDED, body=message, customer_visible=True)
    notify_customer(complaint, "responded", data={"message": message.strip()})


def check_customer(complaint: Complaint, action: Action) -> None:
    """Raise NotAllowed unless the customer (on the portal) may take `action` now: the states of its rule."""
    if State(complaint.state) not in RULES[action].states:
        raise NotAllowed(_l("This cannot be done while the complaint is in its present state."))


def _check_step(complaint: Complaint, actor: StaffMember | None, action: Action, version: int | None) -> None:
    """A step taken by staff (`actor`) or by the customer on the portal (None), on the complaint as loaded."""
    if actor is not None:
        check(complaint, actor, action)
    else:
        check_customer(complaint, action)
    if version is not None:
        check_version(complaint, version)


def close(actor: StaffMember | None, complaint: Complaint, note: str | None, version: int | None) -> None:
    """Close: the customer accepted the answer (or, later, never reacted within the tenant's time).

    `actor` is None when the customer accepts on the portal.
    """
    _check_step(complaint, actor, Action.CLOSE, version)
    resolved(complaint)
    _move(
        complaint,
        actor,
        Action.CLOSE,
        State.CLOSED,
        body=note or None,
        customer_visible=True,
        actor_kind="customer" if actor is None else "staff",
    )
    notify_customer(complaint, "closed")


def auto_close(complaint: Complaint, days: int) -> None:
    """Close an answered complaint the customer did not react to within `days` (the tenant's setting)."""
    if State(complaint.state) != State.RESPONDED:
        raise NotAllowed(_l("This cannot be done while the complaint is in its present state."))
    resolved(complaint)
    _move(
        complaint,
        None,
        Action.CLOSE,
        State.CLOSED,
        extra={"auto": True, "days": days},
        customer_visible=True,
        actor_kind="system",
    )
    notify_customer(complaint, "closed", awaited=False)  # a periodic job's: nobody is at the portal for it


def reopen(
    actor: StaffMember | None, tenant: Tenant, complaint: Complaint, reason: str, version: int | None = None
) -> None:
    """The customer rejected the answer: back to investigation, a new cycle with new deadlines (the seed's 4-5).

    `actor` is None when the customer rejects on the portal.
    """
    _check_step(complaint, actor, Action.REOPEN, version)
    if not reason.strip():
        raise Refused(_l("Write why the customer rejected the answer."), field="reason")
    complaint.reopen_count += 1
    complaint.cycle += 1
    now = utcnow()
    due = compute_due_dates(
        load_calendar(tenant), now, complaint.priority, complaint.category_id, stages=("respond", "resolve")
    )
    complaint.respond_due_at, complaint.resolve_due_at = due.respond, due.resolve
    complaint.legal_due_at = due.legal
    complaint.responded_at = None
    complaint.respond_hours = None
    policy = dict(complaint.deadline_policy or {})
    policy[f"cycle_{complaint.cycle}"] = {**due.policy, "start": now.isoformat()}
    complaint.deadline_policy = policy
    _move(
        complaint,
        actor,
        Action.REOPEN,
        State.INVESTIGATING,
        body=reason,
        customer_visible=True,
        actor_kind="customer" if actor is None else "staff",
    )
    notify_customer(complaint, "reopened")


def withdraw(actor: StaffMember | None, complaint: Complaint, reason: str, version: int | None) -> None:
    """The customer withdrew the complaint: told to the staff, or done on the portal (`actor` None)."""
    _check_step(complaint, actor, Action.WITHDRAW, version)
    if not reason.strip():
        raise Refused(_l("Write why the complaint is withdrawn."), field="reason")
    complaint.withdrawn_at = utcnow()
    _move(
        complaint,
        actor,
        Action.WITHDRAW,
        State.WITHDRAWN,
        body=reason,
        customer_visible=True,
        actor_kind="customer" if actor is None else "staff",
    )


def escalate(actor: StaffMember, complaint: Complaint, reason: str, version: int) -> None:
    """Raise the escalation level (the state does not change)."""
    check(complaint, actor, Action.ESCALATE)
    check_version(complaint, version)
    if not reason.strip():
        raise Refused(_l("Write why the complaint is escalated."), field="reason")
    before = complaint.escalation_level
    complaint.escalation_level = before + 1
    touch(complaint, actor)
    record(complaint, "escalated", actor, data={"level": [before, before + 1]}, body=reason)
