"""Writing notices into the outbox, in the transaction of the change that causes them.

Each notice is rendered when written (the tenant's wording or the default, in the reader's language) and
handed to the dispatcher once the transaction commits: a worker's queue, or this process. Until a worker
has sent it, it waits as "pending", and the relay offers it again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _

from services.catalog.models import Unit
from services.connections.queries import has_connection, staff_group
from services.contacts import PreferredContact
from services.gateways.base import Reason
from services.gateways.bots import BOT_PROVIDERS
from services.i18n import format_moment
from services.labels import STATE_WORDS
from services.notifications.defaults import EMAIL_CHANNELS, default_wording
from services.notifications.links import link_token
from services.notifications.models import Notice, NoticeStatus, NoticeTemplate
from services.notifications.settings import copies_of, is_enabled
from services.notifications.templates import WordingError, render
from services.tracking import format_code, shown_code
from tenants.db import after_commit, db, utcnow
from tenants.models import StaffMember, Tenant
from tenants.roles import Role

if TYPE_CHECKING:
    from services.complaints.models import Complaint

log = logging.getLogger(__name__)

DISPATCH_KEY = "dadras.dispatch_notices"
# Channels a customer may be reached on without a gateway of the tenant's (e-mail goes through the platform's
# mail server); the others need the tenant's settings, or a development backend.
ALWAYS = frozenset({"email"})


def every_address(complaint: Complaint, channels: frozenset[str] | None = None) -> list[tuple[str, str]]:
    """Every (channel, recipient) the complainant can be reached on that this organization can use: their
    messenger chat, WhatsApp (only when they chose it), text messages, e-mail."""
    usable = channels if channels is not None else usable_channels()
    found = []
    if complaint.messenger_id:
        provider, _, chat = complaint.messenger_id.partition(":")
        if provider in usable and chat:
            found.append((provider, chat))
    if complaint.phone and complaint.preferred_contact == PreferredContact.WHATSAPP and "whatsapp" in usable:
        found.append(("whatsapp", complaint.phone))
    if complaint.phone and "sms" in usable:
        found.append(("sms", complaint.phone))
    if complaint.email and "email" in usable:
        found.append(("email", complaint.email))
    return found


def customer_address(complaint: Complaint, channels: frozenset[str] | None = None) -> tuple[str, str] | None:
    """(channel, recipient) for reaching the complainant: the preferred way when it can be used, else another."""
    found = dict(every_address(complaint, channels))
    messenger = complaint.messenger_id.partition(":")[0] if complaint.messenger_id else ""
    wanted = {
        PreferredContact.MESSENGER: (messenger, "sms", "email"),
        PreferredContact.WHATSAPP: ("whatsapp", "sms", "email"),
        PreferredContact.EMAIL: ("email", "sms"),
    }.get(complaint.preferred_contact, ("sms", "email"))
    return next(((channel, found[channel]) for channel in wanted if channel in found), None)


def unreachable_address(complaint: Complaint) -> tuple[str, str] | None:
    """The way the complainant asked to be reached when this organization has none it can use (a phone, and no
    text-message provider): a notice to it is recorded as having no way to go, so that staff see who was not told."""
    if complaint.messenger_id and complaint.preferred_contact == PreferredContact.MESSENGER:
        provider, _, chat = complaint.messenger_id.partition(":")
        if provider and chat:
            return provider, chat
    if complaint.phone:
        whatsapp = complaint.preferred_contact == PreferredContact.WHATSAPP
        return ("whatsapp" if whatsapp else "sms"), complaint.phone
    if complaint.messenger_id:
        provider, _, chat = complaint.messenger_id.partition(":")
        if provider and chat:
            return provider, chat
    return None


def usable_channels() -> frozenset[str]:
    """The channels this deployment can deliver on for the tenant in scope."""
    usable = set(ALWAYS)
    if has_app_context() and (current_app.config.get("SMS_BACKEND") or has_connection("sms")):
        usable.add("sms")
    if has_app_context():
        usable.update(provider for provider in BOT_PROVIDERS if has_connection(provider))
        usable.update(channel for channel in ("rubika", "whatsapp") if has_connection(channel))
    return frozenset(usable)


def _link(tenant: Tenant, complaint: Complaint | None, audience: str, token: str | None) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    if complaint is None:
        return f"{base}/{tenant.slug}/"
    if audience == "staff":
        return f"{base}/{tenant.slug}/console/complaints/{complaint.id}"
    if audience == "outside":  # someone outside the staff, told of an escalation: the public status only
        return f"{base}/{tenant.slug}/track/{complaint.code}"
    return f"{base}/{tenant.slug}/track/{complaint.code}?t={token}"


def _values(tenant: Tenant, complaint: Complaint | None, notice: Notice) -> dict[str, str]:
    data = notice.data or {}
    values = {
        "organization": tenant.name,
        "link": _link(
            tenant,
            complaint,
            notice.audience,
            link_token(complaint) if complaint and notice.audience == "customer" else None,
        ),
        "message": data.get("message", ""),
        "one_time_code": data.get("code", ""),
    }
    if complaint is not None:
        due = complaint.next_due_at
        values.update(
            code=shown_code(format_code(complaint.code), notice.locale),
            name=complaint.complainant_name,
            subject=complaint.subject,
            state=str(STATE_WORDS.get(complaint.state, ("",))[0]),
            due=format_moment(due, notice.locale, tenant.timezone) if due else "—",
        )
    return values


def _own_wording(event: str, channel: str, locale: str) -> tuple[str, str] | None:
    # The tenant words notices for e-mail and for short messages; every messenger takes the short wording.
    own = db.session.scalar(
        sa.select(NoticeTemplate).where(
            NoticeTemplate.event == event, NoticeTemplate.channel == channel, NoticeTemplate.locale == locale
        )
    )
    if own is None:
        return None
    return (own.subject if channel in EMAIL_CHANNELS else ""), own.body


def render_notice(notice: Notice, complaint: Complaint | None) -> None:
    """Fill the notice's subject and body in its reader's language."""
    tenant = db.session.get(Tenant, notice.tenant_id) if notice.tenant_id else None
    if tenant is None:
        from tenants.context import current_tenant_id

        tenant = db.session.get(Tenant, current_tenant_id())
    channel = notice.channel if notice.channel in EMAIL_CHANNELS else "sms"
    with force_locale(notice.locale):
        values = _values(tenant, complaint, notice)
        own = _own_wording(notice.event, channel, notice.locale)
        if own is not None:
            try:
                notice.subject, notice.body = render(*own, values)
                return
            except WordingError as exc:
                # Fails safe: a wording that does not fill (stored before the checks, or too costly for this
                # complaint) never stops the change that causes the notice; the default wording goes instead.
                log.warning(
                    "the organization's wording of %s on %s in %s does not fill (%s); the default is sent",
                    notice.event,
                    channel,
                    notice.locale,
                    exc.message,
                    extra={"tenant_id": notice.tenant_id},
                )
        notice.subject, notice.body = render(*default_wording(notice.event, channel, notice.locale), values)


def dispatch_after_commit(notice: Notice) -> None:
    """Hand the notice to this process's dispatcher once the transaction commits, with the others it wrote
    (one job per tenant and transaction); a rollback drops them all."""
    dispatch: Callable[[int, list[int]], None] | None = current_app.extensions.get(DISPATCH_KEY)
    if dispatch is None:
        return  # nothing delivers in this process (a tool, a migration): the relay will
    pending = [c for c in db.session.info.get("after_commit", []) if isinstance(c, _Release)]
    if pending:
        release = pending[0]
    else:
        release = _Release(dispatch)
        after_commit(release)
    release.waiting.setdefault((notice.tenant_id, notice.awaited), []).append(notice.id)


class _Release:
    """The after-commit callback that dispatches the transaction's notices, by tenant and whether awaited."""

    def __init__(self, dispatch: Callable[..., None]) -> None:
        self.dispatch = dispatch
        self.waiting: dict[tuple[int, bool], list[int]] = {}

    def __call__(self) -> None:
        for (tenant_id, first), ids in sorted(self.waiting.items(), key=lambda item: not item[0][1]):
            self.dispatch(tenant_id, ids, awaited=first)


def _add(notice: Notice, complaint: Complaint | None, *, rendered: bool = False) -> Notice | None:
    """Add unless the tenant does not tell this event, or a notice with the same idempotency key exists (the same
    event, told once)."""
    if notice.channel != "webhook" and not is_enabled(notice.event):
        return None
    exists = db.session.scalar(sa.select(Notice.id).where(Notice.idempotency_key == notice.idempotency_key))
    if exists is not None:
        return None
    db.session.add(notice)
    db.session.flush()  # the id and the tenant stamp
    if not rendered:
        render_notice(notice, complaint)
    if notice.status == NoticeStatus.PENDING:
        dispatch_after_commit(notice)
    return notice


# Never to the organization's systems: what proves a customer or opens an account.
_NOT_MIRRORED = frozenset({"verification_code", "invitation", "password_reset"})
# Staff notices that tell a customer's event to other people: the organization's systems hear of it under the
# event's own name, once, whoever on the staff was told.
_MIRRORED_AS = {"new_complaint": "registered", "unassigned_reply": "customer_replied"}


def _to_webhook(complaint: Complaint, event: str, key: str | None) -> None:
    """The event, once, to the organization's own systems when it has a webhook: signed JSON, sent by the outbox."""
    event = _MIRRORED_AS.get(event, event)
    if event in _NOT_MIRRORED or not has_connection("webhook"):
        return
    tenant = db.session.get(Tenant, complaint.tenant_id)
    payload = {
        "event": event,
        "occurred_at": utcnow().isoformat(),
        "organization": tenant.slug if tenant else None,
        "complaint": {
            "id": complaint.id,
            "code": complaint.code,
            "state": complaint.state,
            "kind": complaint.kind,
            "priority": complaint.priority,
            "channel": complaint.channel,
            "cycle": complaint.cycle,
            "escalation_level": complaint.escalation_level,
            "next_due_at": complaint.next_due_at.isoformat() if complaint.next_due_at else None,
        },
    }
    _add(
        Notice(
            complaint_id=complaint.id,
            event=event,
            audience="system",
            channel="webhook",
            recipient="webhook",
            locale="en",
            data={},
            subject=event,
            body=json.dumps(payload, ensure_ascii=False, sort_keys=True),
            idempotency_key=f"hook:{event}:{complaint.id}:{complaint.cycle}:{key or ''}"[:80],
        ),
        complaint,
        rendered=True,
    )


def notify_customer(
    complaint: Complaint,
    event: str,
    *,
    key: str | None = None,
    data: dict[str, Any] | None = None,
    address: tuple[str, str] | None = None,
    awaited: bool = True,
) -> Notice | None:
    """A notice to the complainant about `event`, in their language, on their channel (none without a contact).

    `key` distinguishes notices of the same event on the same complaint (a message's id, a code's id).
    `awaited=False` for what a periodic job writes (a reminder, a warning): it leaves after what customers are
    waiting for at that moment (Notice.awaited).
    """
    _to_webhook(complaint, event, key)
    chosen = address is not None  # a one-time code goes only where the customer asked for it
    address = address or customer_address(complaint) or unreachable_address(complaint)
    if address is None:
        return None  # no contact at all: nobody to tell
    notice = _to_customer(complaint, event, key, data, address, awaited=awaited)
    if not chosen and is_enabled(event) and "every_channel" in copies_of(event):
        # The tenant's rule: every other way the customer gave, too.
        for other in every_address(complaint):
            if other[0] != address[0]:
                _to_customer(complaint, event, key, data, other, suffix=f":{other[0]}", awaited=awaited)
    return notice


def _to_customer(
    complaint: Complaint,
    event: str,
    key: str | None,
    data: dict[str, Any] | None,
    address: tuple[str, str],
    *,
    suffix: str = "",
    awaited: bool = True,
) -> Notice | None:
    channel, recipient = address
    notice = Notice(
        complaint_id=complaint.id,
        event=event,
        audience="customer",
        channel=channel,
        recipient=recipient,
        locale=complaint.preferred_locale,
        data=data or {},
        idempotency_key=f"{event}:{complaint.id}:{complaint.cycle}{suffix}:{key or ''}"[:80],
        awaited=awaited,
    )
    if channel not in usable_channels():
        # Recorded, not dropped: staff see that the customer was not told, and can try again once it is set up.
        notice.status = NoticeStatus.FAILED
        notice.reason = Reason.NO_WAY
        notice.last_error = f"no way to send on {channel!r} is set up"
    return _add(notice, complaint)


def notify_staff(
    member: StaffMember,
    complaint: Complaint,
    event: str,
    *,
    key: str | None = None,
    default_locale: str,
    actor: StaffMember | None = None,
) -> Notice | None:
    """A notice to a staff member by e-mail, in their language; and, as the tenant's notice rules say, to the unit's
    head, the managers and the organization's group chat. `actor`, who caused the event, gets no copy."""
    _to_webhook(complaint, event, key)
    notice = _to_member(member, complaint, event, key, default_locale) if member.is_active else None
    wanted = copies_of(event) if is_enabled(event) else set()
    if not wanted:
        return notice
    others: dict[int, StaffMember] = {}
    if "unit_head" in wanted and complaint.unit_id:
        unit = db.session.get(Unit, complaint.unit_id)
        head = db.session.get(StaffMember, unit.head_id) if unit is not None and unit.head_id else None
        if head is not None:
            others[head.id] = head
    if "managers" in wanted:
        managers = db.session.scalars(
            sa.select(StaffMember).where(
                StaffMember.is_active.is_(True), StaffMember.role.in_((Role.OWNER, Role.ADMIN, Role.MANAGER))
            )
        )
        others.update((m.id, m) for m in managers)
    for other in others.values():
        if other.id not in (member.id, actor.id if actor else None, complaint.about_staff_id) and other.is_active:
            _as_copy(_to_member(other, complaint, event, key, default_locale), member)
    group = staff_group() if "group" in wanted else None
    if group:
        copy = _add(
            Notice(
                complaint_id=complaint.id,
                event=event,
                audience="staff",
                channel="eitaa",
                recipient=group,
                locale=default_locale,
                data={},
                idempotency_key=f"{event}:{complaint.id}:group:{key or ''}"[:80],
            ),
            complaint,
        )
        _as_copy(copy, member)
    return notice


def _as_copy(notice: Notice | None, member: StaffMember) -> None:
    """Say at the top of a copy whom the notice was for: its words ("assigned to you") speak to them."""
    if notice is None:
        return
    with force_locale(notice.locale):
        line = _("A copy for your information: this notice went to %(name)s.", name=member.name)
    notice.body = f"{line}\n\n{notice.body}"


def _to_member(
    member: StaffMember, complaint: Complaint, event: str, key: str | None, default_locale: str
) -> Notice | None:
    return _add(
        Notice(
            complaint_id=complaint.id,
            event=event,
            audience="staff",
            channel="email",
            recipient=member.email,
            locale=member.locale or default_locale,
            data={"member_id": member.id},
            idempotency_key=f"{event}:{complaint.id}:{member.id}:{key or ''}"[:80],
        ),
        complaint,
    )


def notify_account(
    event: str, recipient: str, locale: str, subject: str, body: str, *, key: str, secret: str | None = None
) -> Notice | None:
    """An e-mail about a staff account (an invitation, a password reset), worded by its page.

    `secret` (a link's token) is blanked out of the stored copy once the e-mail has left.
    """
    return _add(
        Notice(
            complaint_id=None,
            event=event,
            audience="staff",
            channel="email",
            recipient=recipient,
            locale=locale,
            subject=" ".join(subject.split()),
            body=body.strip(),
            data={"secret": secret} if secret else {},
            idempotency_key=f"{event}:{key}"[:80],
        ),
        None,
        rendered=True,
    )
