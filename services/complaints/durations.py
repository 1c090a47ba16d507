"""How long a complaint's steps took: working hours on the organization's calendar (the same arithmetic its
deadlines are computed with) from the start of the current cycle to acknowledging, answering and resolving."""

from __future__ import annotations

from datetime import datetime

from services.calendar.deadlines import load_calendar
from services.complaints.models import Complaint
from tenants.db import db, utcnow
from tenants.models import Tenant


def cycle_start(complaint: Complaint) -> datetime:
    """When the complaint's current cycle began: its arrival, or the reopening that began the cycle."""
    started = (complaint.deadline_policy or {}).get(f"cycle_{complaint.cycle}", {}).get("start")
    return datetime.fromisoformat(started) if complaint.cycle > 1 and started else complaint.received_at


def worked_hours(complaint: Complaint, start: datetime, end: datetime) -> float:
    """Working hours from `start` to `end` on the organization's calendar, the one its deadlines count on."""
    tenant = db.session.get(Tenant, complaint.tenant_id)
    return max(load_calendar(tenant).between(start, end).total_seconds() / 3600, 0.0)


def resolved(complaint: Complaint) -> None:
    """Closed now: when, and after how many working hours of its cycle."""
    complaint.closed_at = utcnow()
    complaint.resolve_hours = worked_hours(complaint, cycle_start(complaint), complaint.closed_at)
