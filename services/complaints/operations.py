"""Registering a complaint and changing its file: edits, assignment, notes, messages and files."""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.calendar.deadlines import compute_due_dates, load_calendar
from services.catalog.models import Category, Unit
from services.complaints.access import get_complaint, may_handle, visible_to
from services.complaints.lifecycle import Action, check, set_next_due
from services.complaints.log import changes, record
from services.complaints.models import (
    Attachment,
    Channel,
    Complaint,
    ComplaintEvent,
    CorrectiveAction,
    Decision,
    Kind,
    Priority,
    State,
    TrackingCode,
)
from services.complaints.search import build_search_text
from services.complaints.stale import check_version, touch
from services.contacts import PreferredContact, check_email, check_national_id, normalize_phone
from services.files.checking import CheckedFile, check_total
from services.files.storage import Storage
from services.notifications.outbox import notify_customer, notify_staff
from services.notifications.staff import tell_desk, unit_people
from services.tracking import new_code
from tenants.db import db, utcnow
from tenants.errors import Duplicate, Forbidden, NotFound, Refused
from tenants.models import LOCALES, StaffMember, Tenant
from tenants.roles import Role

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 15 * 1024 * 1024
MAX_COMPLAINT_BYTES = 60 * 1024 * 1024
# A clock a few minutes ahead of ours is not a complaint from the future.
_CLOCK_SKEW = timedelta(minutes=5)
# A complaint that arrived longer ago than this is a mistyped date.
_OLDEST_ARRIVAL = timedelta(days=366)
_CODE_ATTEMPTS = 5
# The same note or message sent again within this time is the same submission.
_REPEAT_WINDOW = timedelta(minutes=2)


@dataclass
class ComplaintInput:
    """The registration record (the seed's form F-06-02-01), as typed; validated by `register_complaint`."""

    channel: str
    complainant_name: str
    subject: str
    description: str
    received_at: datetime | None = None
    kind: str = Kind.COMPLAINT.value
    phone: str | None = None
    email: str | None = None
    national_id: str | None = None
    preferred_contact: str | None = None
    preferred_locale: str | None = None
    representative_name: str | None = None
    representative_relation: str | None = None
    remedy_sought: str | None = None
    category_id: int | None = None
    priority: str = Priority.NORMAL.value
    safety: bool = False
    about_staff_id: int | None = None
    # A random key the form carries, so that sending it twice registers one complaint.
    submission_key: str | None = None
    # The messenger chat a complaint came in from ("telegram:12345"): where its notices go back.
    messenger_id: str | None = None


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


def _clean(tenant: Tenant, data: ComplaintInput, current: Complaint | None = None) -> dict[str, Any]:
    """The record's fields checked and normalized; raises Refused naming the first field at fault."""
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    for name, allowed, message in (
        ("kind", set(Kind), _l("Choose a kind from the list.")),
        ("channel", set(Channel), _l("Choose a channel from the list.")),
        ("priority", set(Priority), _l("Choose a priority from the list.")),
    ):
        if values[name] not in allowed:
            raise Refused(message, field=name)
    if values["preferred_contact"] and values["preferred_contact"] not in set(PreferredContact):
        raise Refused(_l("Choose a contact channel from the list."), field="preferred_contact")
    if values["preferred_locale"] not in LOCALES:
        values["preferred_locale"] = tenant.default_locale
    for name in ("complainant_name", "subject", "description"):
        if not (values[name] or "").strip():
            raise Refused(_l("This field is required."), field=name)
    _clean_contact(tenant, values)
    _check_refs(values, current)
    return values


def _clean_contact(tenant: Tenant, values: dict[str, Any]) -> None:
    """The contact details checked (a ContactError names the field at fault), and the preferred way reachable."""
    values["phone"] = normalize_phone(values["phone"], tenant.country) if values["phone"] else None
    national_id = values["national_id"]
    values["national_id"] = check_national_id(national_id, tenant.country) if national_id else None
    values["email"] = check_email(values["email"]) if values["email"] else None
    by_phone = (PreferredContact.PHONE, PreferredContact.SMS, PreferredContact.WHATSAPP)
    if values["preferred_contact"] in by_phone and not values["phone"]:
        raise Refused(_l("Give a phone number to be reached by phone, SMS or WhatsApp."), field="phone")
    if values["preferred_contact"] == PreferredContact.EMAIL and not values["email"]:
        raise Refused(_l("Give an e-mail address to be reached by e-mail."), field="email")


def _check_refs(values: dict[str, Any], current: Complaint | None) -> None:
    """The category must be in use, unless an edit keeps the one the complaint already has."""
    kept = current is not None and values["category_id"] == current.category_id
    if values["category_id"] is not None and not kept:
        found = db.session.scalar(
            sa.select(Category.id).where(Category.id == values["category_id"], Category.is_active.is_(True))
        )
        if found is None:
            raise Refused(_l("Choose a category from the list."), field="category_id")
    if values["about_staff_id"] is not None and db.session.get(StaffMember, values["about_staff_id"]) is None:
        raise Refused(_l("Choose a staff member from the list."), field="about_staff_id")


def register_complaint(actor: StaffMember | None, tenant: Tenant, data: ComplaintInput) -> Complaint:
    """Register a complaint with a new tracking code and its due dates; the log's first entry.

    `actor` is the staff member filing it, or None when it comes from the portal or a channel.
    """
    if actor is not None:
        may_handle(actor)
    values = _clean(tenant, data)
    if actor is not None and actor.role == Role.UNIT_MEMBER:
        # A unit member sees only their unit's complaints, so what they register is their unit's.
        if actor.unit_id is None:
            raise Forbidden(_l("You belong to no unit yet; ask an administrator to add you to one."))
        values["unit_id"] = actor.unit_id
    _refuse_resubmission(values["submission_key"])
    now = utcnow()
    received_at = values.pop("received_at") or now
    if received_at > now + _CLOCK_SKEW:
        raise Refused(_l("The arrival time cannot be in the future."), field="received_at")
    if received_at < now - _OLDEST_ARRIVAL:
        raise Refused(_l("The arrival date cannot be more than a year ago."), field="received_at")
    complaint = Complaint(
        **values,
        state=State.RECEIVED.value,
        received_at=received_at,
        registered_at=now,
        registered_by_id=actor.id if actor else None,
        updated_by_id=actor.id if actor else None,
        updated_at=now,
        code=_reserve_code(tenant),
    )
    due = compute_due_dates(load_calendar(tenant), received_at, complaint.priority, complaint.category_id)
    complaint.acknowledge_due_at, complaint.respond_due_at = due.acknowledge, due.respond
    complaint.resolve_due_at, complaint.legal_due_at = due.resolve, due.legal
    complaint.deadline_policy = {"cycle_1": due.policy}
    set_next_due(complaint)
    complaint.search_text = build_search_text(complaint)
    db.session.add(complaint)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        # The same form, sent twice at the same moment: the other request registered it.
        _refuse_resubmission(values["submission_key"])
        raise
    record(
        complaint,
        "registered",
        actor,
        data={"channel": complaint.channel, "received_at": received_at.isoformat()},
        customer_visible=True,
        actor_kind=None if actor else "customer",
    )
    # The receipt, acknowledged in writing (the seed's first step): the code and the tracking link.
    notify_customer(complaint, "registered")
    # Nobody handles it yet: its unit's people, or the complaints officers, hear that it has come.
    tell_desk(complaint, "new_complaint", default_locale=tenant.default_locale, actor=actor)
    return complaint


def _refuse_resubmission(key: str | None) -> None:
    if not key:
        return
    existing = db.session.scalar(sa.select(Complaint.id).where(Complaint.submission_key == key))
    if existing is not None:
        raise Duplicate(_l("This complaint was already registered; here it is."), existing_id=existing)


def _reserve_code(tenant: Tenant) -> str:
    """A fresh tracking code, registered platform-wide; a collision (one in 10^12) draws again."""
    for _ in range(_CODE_ATTEMPTS):
        code = new_code()
        try:
            with db.session.begin_nested():
                db.session.add(TrackingCode(code=code, tenant_id=tenant.id))
                db.session.flush()
        except sa.exc.IntegrityError:
            log.warning("tracking code collision tenant_id=%s", tenant.id)
            continue
        return code
    raise RuntimeError("no free tracking code after several attempts")


def edit_complaint(actor: StaffMember, tenant: Tenant, complaint_id: int, data: ComplaintInput, version: int) -> bool:
    """Correct the registration record; returns whether anything changed. Due dates follow priority and category."""
    complaint = get_complaint(actor, complaint_id)
    check(complaint, actor, Action.EDIT)
    check_version(complaint, version)
    values = _clean(tenant, data, complaint)
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
    for key in diff:
        setattr(complaint, key, values[key])
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
