"""What follows an answer on its own: a customer who never reacts is told, then the complaint closes; a closed
complaint not rated is reminded once. Run hourly by the scheduler, per tenant, with the tenant's settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from services.complaints import lifecycle
from services.complaints.models import Complaint, SatisfactionRating, State
from services.notifications.outbox import notify_customer
from services.portal.models import PortalSettings
from services.portal.settings import current
from tenants.context import tenant_scope
from tenants.db import db, utcnow
from tenants.models import Tenant, active_tenants

log = logging.getLogger(__name__)
# A reminder to rate goes only to complaints closed within this window after the reminder's day, so an
# organization that turns reminders on does not remind years of old complaints.
REMINDER_WINDOW = timedelta(days=7)


@dataclass
class FollowUps:
    warned: int = 0
    closed: int = 0
    reminded: int = 0


def closes_at(complaint: Complaint, auto_close_days: int) -> datetime | None:
    """When an answered complaint closes by itself if the customer does not react (None: it never does)."""
    if not auto_close_days or complaint.state != State.RESPONDED.value or complaint.responded_at is None:
        return None
    return complaint.responded_at + timedelta(days=auto_close_days)


def follow_up(tenant: Tenant, now: datetime | None = None) -> FollowUps:
    """The tenant's answered and closed complaints that are due a word or a step now."""
    now = now or utcnow()
    settings: PortalSettings = current(tenant)
    done = FollowUps()
    if settings.auto_close_days:
        closing = timedelta(days=settings.auto_close_days)
        warning = closing - timedelta(days=settings.auto_close_notice_days)
        answered = db.session.scalars(
            sa.select(Complaint)
            .where(Complaint.state == State.RESPONDED.value, Complaint.responded_at <= now - warning)
            .order_by(Complaint.id)
        )
        for complaint in answered:
            if complaint.responded_at <= now - closing:
                lifecycle.auto_close(complaint, settings.auto_close_days)
                done.closed += 1
            elif settings.auto_close_notice_days and notify_customer(
                complaint,
                "closing_soon",
                key=complaint.responded_at.isoformat(),
                data={"closes_at": closes_at(complaint, settings.auto_close_days).isoformat()},
                awaited=False,
            ):
                done.warned += 1
    if settings.rating_reminder_days:
        after = timedelta(days=settings.rating_reminder_days)
        rated = sa.select(SatisfactionRating.complaint_id)
        unrated = db.session.scalars(
            sa.select(Complaint)
            .where(
                Complaint.state == State.CLOSED.value,
                Complaint.closed_at <= now - after,
                Complaint.closed_at > now - after - REMINDER_WINDOW,
                Complaint.id.not_in(rated),
            )
            .order_by(Complaint.id)
        )
        for complaint in unrated:
            if notify_customer(complaint, "rating_reminder", key=complaint.closed_at.isoformat(), awaited=False):
                done.reminded += 1
    return done


def follow_up_all(now: datetime | None = None) -> FollowUps:
    """Every active tenant's follow-ups, each committed on its own."""
    now = now or utcnow()
    tenants = active_tenants()
    total = FollowUps()
    for tenant in tenants:
        with tenant_scope(tenant.id):
            try:
                done = follow_up(tenant, now)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("follow-ups failed", extra={"tenant_id": tenant.id})
                continue
        total.warned += done.warned
        total.closed += done.closed
        total.reminded += done.reminded
    return total
