"""Reports by e-mail: owners, admins and managers subscribe to the management-review pack or a report, weekly or
monthly (the organization's week, and its Jalali month when it keeps Jalali months); a periodic job writes each
past period's notice with the PDF attached to the outbox, once, in the subscriber's language, and the outbox
sends and retries it as any other."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.calendar.operations import uses_jalali
from services.files.storage import Storage
from services.notifications.outbox import notify_account
from services.records.models import FREQUENCIES, SUBSCRIBABLE, ReportSubscription
from services.reports.periods import Period, preset_period, week_start
from tenants.context import tenant_scope
from tenants.db import db, utcnow
from tenants.errors import NotFound, Refused
from tenants.models import StaffMember, Tenant, active_tenants
from tenants.roles import Permission, can, require

log = logging.getLogger(__name__)

# (file name, PDF, subject, body) of `what` for `period`, in the member's language: made by the web layer, which
# has the templates (the app puts it in its extensions under this key).
RENDERER_KEY = "dadras.report_mail_renderer"
Renderer = Callable[[Tenant, StaffMember, str, Period], tuple[str, bytes, str, str]]


def subscribe(actor: StaffMember, what: str, frequency: str) -> ReportSubscription:
    """Subscribe `actor` to `what` every `frequency`; the same subscription twice is one."""
    require(actor, Permission.MANAGE_REVIEWS)
    if what not in SUBSCRIBABLE:
        raise Refused(_l("Choose a report from the list."), field="what")
    if frequency not in FREQUENCIES:
        raise Refused(_l("Choose weekly or monthly."), field="frequency")
    existing = db.session.scalar(
        sa.select(ReportSubscription).where(
            ReportSubscription.staff_member_id == actor.id,
            ReportSubscription.what == what,
            ReportSubscription.frequency == frequency,
        )
    )
    if existing is not None:
        return existing
    found = ReportSubscription(staff_member_id=actor.id, what=what, frequency=frequency)
    db.session.add(found)
    db.session.flush()
    return found


def unsubscribe(actor: StaffMember, subscription_id: int) -> None:
    """End one of `actor`'s own subscriptions."""
    found = db.session.get(ReportSubscription, subscription_id)
    if found is None or found.staff_member_id != actor.id:
        raise NotFound(_l("There is no such subscription."))
    db.session.delete(found)
    db.session.flush()


def subscriptions_of(actor: StaffMember) -> list[ReportSubscription]:
    return list(
        db.session.scalars(
            sa.select(ReportSubscription)
            .where(ReportSubscription.staff_member_id == actor.id)
            .order_by(ReportSubscription.id)
        )
    )


def last_period(tenant: Tenant, frequency: str, today: date) -> Period:
    """The last whole week (from the organization's first weekday) or month (of its calendar) before `today`."""
    jalali = uses_jalali(tenant)
    if frequency == "monthly":
        return preset_period("last_month", today, jalali)
    first_weekday = week_start(tenant.country)
    this_week = today - timedelta(days=(today.weekday() - first_weekday) % 7)
    first = this_week - timedelta(days=7)
    return Period(first, first + timedelta(days=6), "range", jalali)


def send_due(tenant: Tenant, render: Renderer, storage: Storage, now: datetime) -> int:
    """The notices of every subscription whose next period has ended, each with its file; how many."""
    today = now.astimezone(ZoneInfo(tenant.timezone)).date()
    sent = 0
    for subscription, member in db.session.execute(
        sa.select(ReportSubscription, StaffMember)
        .join(StaffMember, StaffMember.id == ReportSubscription.staff_member_id)
        .where(StaffMember.is_active.is_(True))
        .order_by(ReportSubscription.id)
    ).all():
        period = last_period(tenant, subscription.frequency, today)
        if subscription.last_period_first == period.first or not can(member.role, Permission.MANAGE_REVIEWS):
            continue
        filename, pdf, subject, body = render(tenant, member, subscription.what, period)
        key = storage.put(pdf)
        notice = notify_account(
            "scheduled_report",
            member.email,
            member.locale or tenant.default_locale,
            subject,
            body,
            key=f"{subscription.id}:{period.first.isoformat()}",
        )
        if notice is None:  # written before (a run that failed after the outbox took it): not again
            storage.delete(key)
        else:
            notice.data = {"attachments": [{"key": key, "filename": filename, "content_type": "application/pdf"}]}
            sent += 1
        subscription.last_period_first = period.first
    return sent


def send_all_due(render: Renderer, storage: Storage, now: datetime | None = None) -> int:
    """Every active organization's due reports, each organization committed on its own."""
    now = now or utcnow()
    total = 0
    for tenant in active_tenants():
        with tenant_scope(tenant.id):
            try:
                total += send_due(db.session.get(Tenant, tenant.id), render, storage, now)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("scheduled reports failed", extra={"tenant_id": tenant.id})
    return total
