"""Corrective actions (the seed's procedure P-02): root cause, action, owner, due date, verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.catalog.models import RootCause, Unit
from services.complaints.access import get_complaint
from services.complaints.lifecycle import Action, check
from services.complaints.log import changes, record
from services.complaints.models import ActionStatus, CorrectiveAction
from services.complaints.stale import touch
from tenants.db import db, utcnow
from tenants.errors import NotAllowed, NotFound, Refused, StaleEdit
from tenants.models import StaffMember

S = ActionStatus
# Where an action may go from each status; verified ineffective reopens it.
NEXT_STATUS: dict[ActionStatus, frozenset[ActionStatus]] = {
    S.PLANNED: frozenset({S.IN_PROGRESS, S.DONE, S.DEFERRED}),
    S.IN_PROGRESS: frozenset({S.DONE, S.DEFERRED}),
    S.DONE: frozenset({S.VERIFIED_EFFECTIVE, S.VERIFIED_INEFFECTIVE, S.IN_PROGRESS}),
    S.VERIFIED_INEFFECTIVE: frozenset({S.IN_PROGRESS, S.DONE, S.DEFERRED}),
    S.DEFERRED: frozenset({S.PLANNED, S.IN_PROGRESS}),
    S.VERIFIED_EFFECTIVE: frozenset(),
}


@dataclass
class ActionInput:
    description: str
    root_cause_id: int | None = None
    root_cause_text: str | None = None
    owner_id: int | None = None
    unit_id: int | None = None
    due_on: date | None = None


EDITABLE = ("description", "root_cause_id", "root_cause_text", "owner_id", "unit_id", "due_on")


def _check_refs(data: ActionInput, current: CorrectiveAction | None = None) -> None:
    """The action's fields checked; an edit may keep an owner or a root cause that has since been retired."""
    if not data.description.strip():
        raise Refused(_l("Describe the action."), field="description")
    if data.root_cause_id is None and not (data.root_cause_text or "").strip():
        raise Refused(_l("Choose a root cause or describe it."), field="root_cause_id")
    if data.root_cause_id is not None and db.session.get(RootCause, data.root_cause_id) is None:
        raise Refused(_l("Choose a root cause from the list."), field="root_cause_id")
    if data.unit_id is not None and db.session.get(Unit, data.unit_id) is None:
        raise Refused(_l("Choose a unit from the list."), field="unit_id")
    if data.owner_id is not None and not (current is not None and current.owner_id == data.owner_id):
        owner = db.session.get(StaffMember, data.owner_id)
        if owner is None or not owner.is_active:
            raise Refused(_l("Choose an active staff member as the owner."), field="owner_id")


def add_action(actor: StaffMember, complaint_id: int, data: ActionInput) -> CorrectiveAction:
    """Plan a corrective action on the complaint."""
    complaint = get_complaint(actor, complaint_id)
    check(complaint, actor, Action.ADD_ACTION)
    _check_refs(data)
    action = CorrectiveAction(
        complaint_id=complaint.id,
        description=data.description,
        root_cause_id=data.root_cause_id,
        root_cause_text=data.root_cause_text or None,
        owner_id=data.owner_id,
        unit_id=data.unit_id,
        due_on=data.due_on,
        created_by_id=actor.id,
        status=S.PLANNED.value,
    )
    db.session.add(action)
    db.session.flush()
    touch(complaint, actor)
    record(
        complaint,
        "action_added",
        actor,
        data={"description": data.description, "due_on": data.due_on.isoformat() if data.due_on else None},
        action_id=action.id,
    )
    return action


def get_action(actor: StaffMember, complaint_id: int, action_id: int) -> CorrectiveAction:
    """A corrective action of a complaint `actor` may see."""
    complaint = get_complaint(actor, complaint_id)
    action = db.session.scalar(
        sa.select(CorrectiveAction).where(
            CorrectiveAction.id == action_id, CorrectiveAction.complaint_id == complaint.id
        )
    )
    if action is None:
        raise NotFound(_l("There is no such corrective action."))
    return action


def _check_action_version(action: CorrectiveAction, version: int) -> None:
    if version != action.version:
        changed_by = db.session.get(StaffMember, action.updated_by_id) if action.updated_by_id else None
        raise StaleEdit(
            _l("Someone else changed this action after you opened it. Reload the page and try again."),
            changed_by=changed_by.name if changed_by else None,
            changed_at=action.updated_at,
        )


def edit_action(actor: StaffMember, complaint_id: int, action_id: int, data: ActionInput, version: int) -> bool:
    """Correct an action's plan: description, root cause, owner, unit, due date. Returns whether anything changed.

    An action verified effective is finished and stays as it was verified.
    """
    complaint = get_complaint(actor, complaint_id)
    check(complaint, actor, Action.UPDATE_ACTION)
    action = get_action(actor, complaint_id, action_id)
    _check_action_version(action, version)
    if action.status == S.VERIFIED_EFFECTIVE:
        raise NotAllowed(_l("An action verified effective is finished and cannot be changed."))
    _check_refs(data, action)
    after = {
        "description": data.description,
        "root_cause_id": data.root_cause_id,
        "root_cause_text": (data.root_cause_text or "").strip() or None,
        "owner_id": data.owner_id,
        "unit_id": data.unit_id,
        "due_on": data.due_on,
    }
    diff = changes({k: getattr(action, k) for k in EDITABLE}, after)
    if not diff:
        return False
    for key in diff:
        setattr(action, key, after[key])
    action.updated_at = utcnow()
    action.updated_by_id = actor.id
    touch(complaint, actor)
    plain = {k: [v.isoformat() if isinstance(v, date) else v for v in pair] for k, pair in diff.items()}
    record(complaint, "action_edited", actor, data=plain, action_id=action.id)
    return True


def update_action_status(
    actor: StaffMember, complaint_id: int, action_id: int, *, status: str, note: str | None, version: int
) -> CorrectiveAction:
    """Move an action on: in progress, done, verified (with a note), deferred (with a reason)."""
    complaint = get_complaint(actor, complaint_id)
    check(complaint, actor, Action.UPDATE_ACTION)
    action = get_action(actor, complaint_id, action_id)
    _check_action_version(action, version)
    try:
        to = ActionStatus(status)
    except ValueError:
        raise Refused(_l("Choose a status from the list."), field="status") from None
    current = ActionStatus(action.status)
    if to not in NEXT_STATUS[current]:
        raise NotAllowed(_l("The action cannot move to this status from its present one."))
    note = (note or "").strip() or None
    if to == S.DEFERRED and not note:
        raise Refused(_l("Write why the action is deferred."), field="note")
    if to in (S.VERIFIED_EFFECTIVE, S.VERIFIED_INEFFECTIVE) and not note:
        raise Refused(_l("Write how the effectiveness was verified."), field="note")
    before = {"status": action.status}
    action.status = to.value
    if to == S.DEFERRED:
        action.deferred_reason = note
    if to in (S.VERIFIED_EFFECTIVE, S.VERIFIED_INEFFECTIVE):
        action.verification_note = note
    # Done when last marked done (work taken up again is not done); verified without being marked done: then.
    if to == S.DONE or (to in (S.VERIFIED_EFFECTIVE, S.VERIFIED_INEFFECTIVE) and action.done_at is None):
        action.done_at = utcnow()
    elif to in (S.IN_PROGRESS, S.PLANNED):
        action.done_at = None
    action.updated_at = utcnow()
    action.updated_by_id = actor.id
    touch(complaint, actor)
    record(
        complaint, "action_updated", actor, data=changes(before, {"status": to.value}), body=note, action_id=action.id
    )
    return action
