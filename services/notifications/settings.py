"""The tenant's notice rules (which events are told at all) and its own wording of each notice."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from services.i18n import format_moment, number
from services.notifications.defaults import EMAIL_CHANNELS, EVENTS, default_wording
from services.notifications.models import NoticeSwitch, NoticeTemplate
from services.notifications.templates import check_template, render
from services.tracking import shown_code
from tenants.db import db, utcnow
from tenants.errors import NotFound, Refused
from tenants.models import LOCALES, StaffMember, Tenant
from tenants.roles import Permission, require

CUSTOMER_EVENTS = (
    "registered",
    "staff_message",
    "responded",
    "closing_soon",
    "reopened",
    "closed",
    "rating_reminder",
    "verification_code",
)
STAFF_EVENTS = (
    "new_complaint",
    "assigned",
    "assigned_unit",
    "decision_pending",
    "customer_replied",
    "unassigned_reply",
    "customer_accepted",
    "customer_rejected",
    "customer_withdrew",
    "deadline_near",
    "deadline_passed",
    "escalated",
)
# Told whatever the settings: without them the customer cannot prove who they are, or staff cannot log in.
ALWAYS = frozenset({"verification_code"})
CHANNELS = ("email", "sms")
MAX_SUBJECT = 200
MAX_BODY = 4000


def is_enabled(event: str) -> bool:
    """Whether the tenant in scope tells `event` (on unless switched off)."""
    if event in ALWAYS or event not in EVENTS:
        return True
    switched_off = db.session.scalar(
        sa.select(NoticeSwitch.id).where(NoticeSwitch.event == event, NoticeSwitch.enabled.is_(False))
    )
    return switched_off is None


def switched_off() -> set[str]:
    return set(db.session.scalars(sa.select(NoticeSwitch.event).where(NoticeSwitch.enabled.is_(False))))


# Who else a staff notice may go to, beside the person it concerns.
COPIES = ("unit_head", "managers", "group")
# A customer notice may go, beside the way the customer prefers, to every other way they gave.
CUSTOMER_COPIES = ("every_channel",)


def copies() -> dict[str, set[str]]:
    """{event: who else hears of it} for the staff events that have any."""
    rows = db.session.execute(sa.select(NoticeSwitch.event, NoticeSwitch.copies))
    return {event: set(chosen or ()) for event, chosen in rows if chosen}


def copies_of(event: str) -> set[str]:
    chosen = db.session.scalar(sa.select(NoticeSwitch.copies).where(NoticeSwitch.event == event))
    return set(chosen or ())


def set_rules(actor: StaffMember, enabled: set[str], copied: dict[str, set[str]] | None = None) -> None:
    """Tell exactly the events in `enabled` (the ones that are always told stay on); for staff events, also to
    those `copied` names; for customer events, on every way the customer gave when `copied` says so."""
    require(actor, Permission.MANAGE_SETTINGS)
    copied = copied or {}
    rows = {row.event: row for row in db.session.scalars(sa.select(NoticeSwitch))}
    for event in (*CUSTOMER_EVENTS, *STAFF_EVENTS):
        on = event in enabled or event in ALWAYS
        allowed = COPIES if event in STAFF_EVENTS else () if event in ALWAYS else CUSTOMER_COPIES
        others = sorted(c for c in copied.get(event, ()) if c in allowed)
        row = rows.get(event)
        if row is None:
            if not on or others:
                db.session.add(NoticeSwitch(event=event, enabled=on, copies=others))
        else:
            row.enabled, row.copies = on, others


def _check_key(event: str, channel: str, locale: str) -> None:
    if event not in EVENTS or channel not in CHANNELS or locale not in LOCALES:
        raise NotFound(_l("There is no such notice."))


def wording(event: str, channel: str, locale: str) -> tuple[str, str, bool]:
    """(subject, body, the tenant's own?) as the editor shows them."""
    _check_key(event, channel, locale)
    own = db.session.scalar(
        sa.select(NoticeTemplate).where(
            NoticeTemplate.event == event, NoticeTemplate.channel == channel, NoticeTemplate.locale == locale
        )
    )
    if own is not None:
        return own.subject, own.body, True
    subject, body = default_wording(event, channel, locale)
    return subject, body, False


def _checked(channel: str, subject: str, body: str) -> tuple[str, str]:
    subject = " ".join((subject or "").split()) if channel in EMAIL_CHANNELS else ""
    body = (body or "").strip()
    if channel in EMAIL_CHANNELS and not subject:
        raise Refused(_l("Write the subject."), field="subject")
    if not body:
        raise Refused(_l("Write the text."), field="body")
    if len(subject) > MAX_SUBJECT:
        raise Refused(_l("At most %(n)s characters.", n=number(MAX_SUBJECT)), field="subject")
    if len(body) > MAX_BODY:
        raise Refused(_l("At most %(n)s characters.", n=number(MAX_BODY)), field="body")
    for field, text in (("subject", subject), ("body", body)):
        try:
            check_template(text)
        except Refused as exc:
            raise Refused(exc.message, field=field) from exc
    return subject, body


def save_wording(actor: StaffMember, event: str, channel: str, locale: str, *, subject: str, body: str) -> None:
    """The tenant's own wording of one notice on one channel in one language."""
    require(actor, Permission.MANAGE_SETTINGS)
    _check_key(event, channel, locale)
    subject, body = _checked(channel, subject, body)
    own = db.session.scalar(
        sa.select(NoticeTemplate).where(
            NoticeTemplate.event == event, NoticeTemplate.channel == channel, NoticeTemplate.locale == locale
        )
    )
    if own is None:
        own = NoticeTemplate(event=event, channel=channel, locale=locale)
        db.session.add(own)
    own.subject, own.body, own.updated_at = subject, body, utcnow()


def reset_wording(actor: StaffMember, event: str, channel: str, locale: str) -> None:
    """Back to the default wording."""
    require(actor, Permission.MANAGE_SETTINGS)
    _check_key(event, channel, locale)
    db.session.execute(
        sa.delete(NoticeTemplate).where(
            NoticeTemplate.event == event, NoticeTemplate.channel == channel, NoticeTemplate.locale == locale
        )
    )


def preview(tenant: Tenant, channel: str, locale: str, subject: str, body: str) -> tuple[str, str]:
    """The wording filled with an example complaint, as its reader would get it; refused like a save."""
    subject, body = _checked(channel, subject, body)
    with force_locale(locale):
        due = format_moment(utcnow() + timedelta(days=3), locale, tenant.timezone)
        values = {
            "code": shown_code("1234-5678-90128", locale),
            "name": str(_l("Sara Ahmadi")),
            "organization": tenant.name,
            "subject": str(_l("Waited two hours")),
            "state": str(_l("Being looked into")),
            "link": f"https://example.com/{tenant.slug}/track/1234567890128",
            "due": due,
            "message": str(_l("We have spoken to the clinic and will call you tomorrow.")),
            "one_time_code": "482913",
        }
        return render(subject, body, values)
