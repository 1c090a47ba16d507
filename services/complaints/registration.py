"""Registering a complaint: the record as typed, checked, given a platform-wide tracking code and its due dates."""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.calendar.deadlines import compute_due_dates, load_calendar
from services.catalog.models import Category
from services.complaints.access import may_handle
from services.complaints.lifecycle import set_next_due
from services.complaints.log import record
from services.complaints.models import Complaint, IntakeChannel, Kind, Priority, State, TrackingCode
from services.complaints.repeats import contacts_of, relink
from services.complaints.search import build_search_text
from services.contacts import PreferredContact, check_email, check_national_id, normalize_phone
from services.notifications.outbox import notify_customer
from services.notifications.staff import tell_desk
from services.tracking import new_code
from tenants.db import db, utcnow
from tenants.errors import Duplicate, Forbidden, Refused
from tenants.models import LOCALES, StaffMember, Tenant
from tenants.roles import Role

log = logging.getLogger(__name__)

# A clock a few minutes ahead of ours is not a complaint from the future.
_CLOCK_SKEW = timedelta(minutes=5)
# A complaint that arrived longer ago than this is a mistyped date.
_OLDEST_ARRIVAL = timedelta(days=366)
_CODE_ATTEMPTS = 5


@dataclass
class ComplaintInput:
    """The registration record (the seed's form F-06-02-01), as typed; checked by `clean_record` when registered and
    when edited."""

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


def clean_record(tenant: Tenant, data: ComplaintInput, current: Complaint | None = None) -> dict[str, Any]:
    """The record's fields checked and normalized; raises Refused naming the first field at fault.

    `current` is the complaint an edit corrects, which may keep a category no longer in use.
    """
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    for name, allowed, message in (
        ("kind", set(Kind), _l("Choose a kind from the list.")),
        ("channel", set(IntakeChannel), _l("Choose a channel from the list.")),
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
    values = clean_record(tenant, data)
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
    relink(contacts_of(complaint))
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
