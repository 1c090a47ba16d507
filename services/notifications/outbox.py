"""Writing notices into the outbox, in the transaction of the change that causes them.

Delivery (rendering, sending, retrying) is the workers'; until they run, a notice waits as "pending".
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.complaints.models import Complaint, ContactChannel
from services.notifications.models import Notice
from tenants.db import db
from tenants.models import StaffMember


def customer_address(complaint: Complaint) -> tuple[str, str] | None:
    """(channel, recipient) for reaching the complainant: the preferred way when possible, else what is on file."""
    preferred = complaint.preferred_contact
    if preferred == ContactChannel.EMAIL and complaint.email:
        return "email", complaint.email
    if preferred in (ContactChannel.SMS, ContactChannel.PHONE, ContactChannel.MESSENGER) and complaint.phone:
        return "sms", complaint.phone
    if complaint.phone:
        return "sms", complaint.phone
    if complaint.email:
        return "email", complaint.email
    return None


def _add(notice: Notice) -> Notice | None:
    """Add unless a notice with the same idempotency key exists (the same event, told once)."""
    exists = db.session.scalar(sa.select(Notice.id).where(Notice.idempotency_key == notice.idempotency_key))
    if exists is not None:
        return None
    db.session.add(notice)
    return notice


def notify_customer(
    complaint: Complaint,
    event: str,
    *,
    key: str | None = None,
    data: dict[str, Any] | None = None,
    address: tuple[str, str] | None = None,
) -> Notice | None:
    """A notice to the complainant about `event`, in their language, on their channel (none without a contact).

    `key` distinguishes notices of the same event on the same complaint (a message's id, a code's id).
    """
    address = address or customer_address(complaint)
    if address is None:
        return None
    channel, recipient = address
    return _add(
        Notice(
            complaint_id=complaint.id,
            event=event,
            audience="customer",
            channel=channel,
            recipient=recipient,
            locale=complaint.preferred_locale,
            data=data or {},
            idempotency_key=f"{event}:{complaint.id}:{complaint.cycle}:{key or ''}"[:80],
        )
    )


def notify_staff(
    member: StaffMember, complaint: Complaint, event: str, *, key: str | None = None, default_locale: str
) -> Notice | None:
    """A notice to a staff member by e-mail, in their language."""
    if not member.is_active:
        return None
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
        )
    )
