"""Changing a complaint's file after registration (services.complaints.registration): edits, assignment, notes,
messages and files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.calendar.deadlines import compute_due_dates, load_calendar
from services.catalog.models import Unit
from services.complaints.access import get_complaint, visible_to
from services.complaints.lifecycle import Action, check, set_next_due
from services.complaints.log import changes, record
from services.complaints.models import (
    Attachment,
    Complaint,
    ComplaintEvent,
    CorrectiveAction,
    Decision,
    Kind,
)
from services.complaints.registration import ComplaintInput, clean_record
from services.complaints.repeats import CONTACTS, contacts_of, relink
from services.complaints.search import build_search_text
from services.complaints.stale import check_version, touch
from services.files.checking import CheckedFile, check_total
from services.files.storage import Storage
from services.notifications.outbox import notify_customer, notify_staff
from services.notifications.staff import unit_people
from tenants.db import db, utcnow
from tenants.errors import NotFound, Refused
from tenants.models import StaffMember, Tenant
from tenants.roles import Role

MAX_FILE_BYTES = 15 * 1024 * 1024
MAX_COMPLAINT_BYTES = 60 * 1024 * 1024
# The same note or message sent again within this time is the same submission.
_REPEAT_WINDOW = timedelta(minutes=2)


EDITABLE = (
    "kind",
    "channel",
    "complainant_name",
    "phone",
    "email",
    "national_id",
    "preferred_contact",
    "preferred_locale",
    "representative_name",
    "representative_relation",
    "subject",
    "description",
    "remedy_sought",
    "category_id",
    "priority",
    "safety",
    "about_staff_id",
)


def edit_complaint(actor: StaffMember, tenant: Tenant, complaint_id: int, data: ComplaintInput, version: int) -> bool:
    """Correct the registration record; returns whether anything changed. Due dates follow priority and category."""
    complaint = get_complaint(actor, complaint_id)
    check(complaint, actor, Action.EDIT)
    check_version(complaint, version)
    values = clean_record(tenant, data, complaint)
    values.pop("received_at")
    values.pop("submission_key")
    values.pop("messenger_id")
    before = {k: getattr(complaint, k) for k in EDITABLE}
    diff = changes(before, values)
    if not diff:
        return False
    if "kind" in diff and values["kind"] != Kind.COMPLAINT and _has_decision_or_action(complaint):
        # A suggestion needs no decision: turning a decided complaint into one would skip its gates.
        raise Refused(_l("A complaint with a decision or corrective actions stays a complaint."), field="kind")
    if (
        "about_staff_id" in diff
        and values["about_staff_id"] is not None
        and (values["about_staff_id"] == complaint.handler_id)
    ):
        raise Refused(_l("The handler cannot be the person the complaint is about."), field="about_staff_id")
    earlier_contacts = contacts_of(complaint)
    for key in diff:
        setattr(complaint, key, values[key])
    if any(name in diff for name in CONTACTS):
        # Whose complaint came before whose may change for both the old contacts' complaints and the new ones'.
        relink(earlier_contacts, contacts_of(complaint))
    if "priority" in diff or "category_id" in diff:
        recompute_due_dates(tenant, complaint)
    complaint.search_text = build_search_text(complaint)
    touch(complaint, actor)
    record(complaint, "edited", actor, data={k: [_plain(a), _plain(b)] for k, (a, b) in diff.items()})
    return True


def _has_decision_or_action(complaint: Complaint) -> bool:
    return any(
        db.session.scalar(sa.select(model.id).where(model.complaint_id == complaint.id).limit(1)) is not None
        for model in (Decision, CorrectiveAction)
    )


def recompute_due_dates(tenant: Tenant, complaint: Complaint) -> None:
    """Due dates after a change of priority or category, counted from where the current cycle began.

    The first cycle counts every stage from the arrival; a reopened one only respond and resolve (and the
    legal time) from its reopening, as `reopen` did.
    """
    key = f"cycle_{complaint.cycle}"
    policy = dict(complaint.deadline_policy or {})
    started = (policy.get(key) or {}).get("start")
    calendar = load_calendar(tenant)
    if complaint.cycle == 1 or not started:
        due = compute_due_dates(calendar, complaint.received_at, complaint.priority, complaint.category_id)
        complaint.acknowledge_due_at = due.acknowledge
    else:
        start = datetime.fromisoformat(started)
        due = compute_due_dates(
            calendar, start, complaint.priority, complaint.category_id, stages=("respond", "resolve")
        )
        due.policy["start"] = started
    complaint.respond_due_at, complaint.resolve_due_at, complaint.legal_due_at = due.respond, due.resolve, due.legal
    policy[key] = due.policy
    complaint.deadline_policy = policy
    set_next_due(complaint)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _check_assignee(complaint: Complaint, unit_id: int | None, handler_id: int | None) -> StaffMember | None:
    if unit_id is not None and db.session.scalar(sa.select(Unit.id).where(Unit.id == unit_id)) is None:
        raise Refused(_l("Choose a unit from the list."), field="unit_id")
    handler = None
    if handler_id is not None:
        handler = db.session.get(StaffMember, handler_id)
        if handler is None or not handler.is_active:
            raise Refused(_l("Choose an active staff member as the handler."), field="handler_id")
        if handler.id == complaint.about_staff_id:
            raise Refused(_l("The handler cannot be the person the complaint is about."), field="handler_id")
        if handler.role == Role.UNIT_MEMBER and handler.unit_id != unit_id:
            raise Refused(_l("This handler does not work in the chosen unit."), field="handler_id")
    return handler


def assign(actor: StaffMember, complaint_id: int, unit_id: int | None, handler_id: int | None, version: int) -> None:
    """Assign the complaint to a unit and a handler (never the person it is about)."""
    complaint = get_complaint(actor, complaint_id)
    check(complaint, actor, Action.ASSIGN)
    check_version(complaint, version)
    _apply_assignment(actor, complaint, unit_id, handler_id)


def _apply_assignment(actor: StaffMember, complaint: Complaint, unit_id: int | None, handler_id: int | None) -> bool:
    _check_assignee(complaint, unit_id, handler_id)
    diff = changes(
        {"unit_id": complaint.unit_id, "handler_id": complaint.handler_id},
        {"unit_id": unit_id, "handler_id": handler_id},
    )
    if not diff:
        return False
    complaint.unit_id, complaint.handler_id = unit_id, handler_id
    touch(complaint, actor)
    event = record(complaint, "assigned", actor, data=diff)
    tenant = db.session.get(Tenant, complaint.tenant_id)
    if "handler_id" in diff and handler_id is not None and handler_id != actor.id:
        handler = db.session.get(StaffMember, handler_id)
        db.session.flush()
        notify_staff(
            handler, complaint, "assigned", key=str(event.id), default_locale=tenant.default_locale, actor=actor
        )
    elif "unit_id" in diff and unit_id is not None and handler_id is None:
        # To the unit with nobody named yet: its people and its head are told.
        db.session.flush()
        for member in unit_people(unit_id):
            if member.id not in (actor.id, complaint.about_staff_id):
                notify_staff(
                    member,
                    complaint,
                    "assigned_unit",
                    key=str(event.id),
                    default_locale=tenant.default_locale,
                    actor=actor,
                )
    return True


@dataclass
class BulkResult:
    assigned: int
    refused: list[tuple[str, str]]


def bulk_assign(
    actor: StaffMember, complaint_ids: list[int], unit_id: int | None, handler_id: int | None
) -> BulkResult:
    """Assign several complaints at once; those that cannot take this assignee are listed, not changed."""
    ids = sorted(set(complaint_ids))[:200]
    rows = db.session.scalars(sa.select(Complaint).where(Complaint.id.in_(ids), visible_to(actor))).all()
    result = BulkResult(0, [])
    for complaint in rows:
        try:
            check(complaint, actor, Action.ASSIGN)
            if _apply_assignment(actor, complaint, unit_id, handler_id):
                result.assigned += 1
        except Refused as exc:
            result.refused.append((complaint.code, str(exc.message)))
    return result


def add_note(actor: StaffMember, complaint_id: int, body: str) -> None:
    """An internal note, for the staff only."""
    complaint = get_complaint(actor, complaint_id)
    check(complaint, actor, Action.NOTE)
    if not body.strip():
        raise Refused(_l("Write the note."), field="body")
    if not _is_repeat(complaint, actor, "note", body):
        record(complaint, "note", actor, body=body)


def message_customer(actor: StaffMember, complaint_id: int, body: str) -> None:
    """A message to the customer: a log entry the customer sees (the notifications deliver it)."""
    complaint = get_complaint(actor, complaint_id)
    check(complaint, actor, Action.MESSAGE)
    if not body.strip():
        raise Refused(_l("Write the message."), field="body")
    if not _is_repeat(complaint, actor, "message", body):
        event = record(complaint, "message", actor, body=body, customer_visible=True)
        db.session.flush()
        notify_customer(complaint, "staff_message", key=str(event.id), data={"message": body.strip()})


def repeated_entry(complaint: Complaint, actor: StaffMember | None, kind: str, body: str) -> ComplaintEvent | None:
    """This person's (or, for None, the customer's) last entry of `kind` here if it is this very text from a
    moment ago: a double submit, to be answered with the entry already made."""
    query = sa.select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == kind)
    if actor is not None:
        query = query.where(ComplaintEvent.actor_id == actor.id)
    last = db.session.scalar(query.order_by(ComplaintEvent.id.desc()).limit(1))
    if last is not None and last.body == body and utcnow() - last.at < _REPEAT_WINDOW:
        return last
    return None


def _is_repeat(complaint: Complaint, actor: StaffMember, kind: str, body: str) -> bool:
    return repeated_entry(complaint, actor, kind, body) is not None


def attach_file(
    actor: StaffMember | None,
    complaint: Complaint,
    upload: CheckedFile,
    storage: Storage,
    *,
    action_id: int | None = None,
    customer_visible: bool = False,
    actor_kind: str | None = None,
) -> Attachment:
    """Keep a checked file on the complaint (or one of its corrective actions) within the size limits.

    The bytes are stored before the row; if the transaction rolls back, the stored file is orphaned,
    never the row.
    """
    if actor is not None:
        # Evidence of a corrective action may come after closing, as its verification may.
        check(complaint, actor, Action.UPDATE_ACTION if action_id is not None else Action.ATTACH)
    used = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Attachment.size), 0)).where(Attachment.complaint_id == complaint.id)
    )
    check_total(int(used or 0), upload.size, max_total=MAX_COMPLAINT_BYTES)
    if action_id is not None:
        owner = db.session.scalar(
            sa.select(CorrectiveAction.id).where(
                CorrectiveAction.id == action_id, CorrectiveAction.complaint_id == complaint.id
            )
        )
        if owner is None:
            raise NotFound(_l("There is no such corrective action."))
    attachment = Attachment(
        complaint_id=complaint.id,
        action_id=action_id,
        storage_key=storage.put(upload.data),
        filename=upload.filename,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        customer_visible=customer_visible,
        uploaded_by_id=actor.id if actor else None,
    )
    db.session.add(attachment)
    db.session.flush()
    record(
        complaint,
        "file",
        actor,
        data={"filename": upload.filename, "size": upload.size},
        customer_visible=customer_visible,
        attachment_id=attachment.id,
        action_id=action_id,
        actor_kind=actor_kind,
    )
    return attachment


def get_attachment(actor: StaffMember, complaint_id: int, attachment_id: int) -> Attachment:
    """A file of a complaint `actor` may see."""
    complaint = get_complaint(actor, complaint_id)
    attachment = db.session.scalar(
        sa.select(Attachment).where(Attachment.id == attachment_id, Attachment.complaint_id == complaint.id)
    )
    if attachment is None:
        raise NotFound(_l("There is no such file."))
    return attachment
