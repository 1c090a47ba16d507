"""Exports: the complaints a filter lists, streamed from one query in batches of plain columns (no row is kept),
with the personal data masked for those who may not take it away; and the record of every export made."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from services.catalog.models import Category, Unit
from services.complaints.filters import InboxFilter
from services.complaints.models import Complaint
from services.reports.counting import count_each, where
from services.reports.models import ExportRecord
from tenants.db import db
from tenants.models import StaffMember
from tenants.roles import Role

BATCH = 2000
# Who may take phone numbers, e-mail addresses and national ids away in bulk: not a unit member, who sees them
# one complaint at a time.
PERSONAL_DATA_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER, Role.AGENT})


def may_export_personal_data(actor: StaffMember) -> bool:
    return Role(actor.role) in PERSONAL_DATA_ROLES


def mask(value: str | None) -> str | None:
    """All but the last two characters hidden ("•••••••45")."""
    if not value:
        return value
    return "•" * max(len(value) - 2, 1) + value[-2:]


@dataclass(frozen=True)
class ExportRow:
    id: int
    code: str
    received_at: datetime
    kind: str
    state: str
    channel: str
    priority: str
    safety: bool
    category: dict[str, str] | None
    unit: dict[str, str] | None
    handler: str | None
    complainant: str
    phone: str | None
    email: str | None
    national_id: str | None
    subject: str
    next_due_at: datetime | None
    closed_at: datetime | None
    escalation_level: int
    reopen_count: int


def complaint_rows(actor: StaffMember, f: InboxFilter, tz: ZoneInfo, now: datetime) -> Iterator[ExportRow]:
    """Every complaint `f` lists, newest first: one query streamed in batches of BATCH rows (a server-side cursor
    on PostgreSQL), plain columns only, the few names of categories, units and staff looked up once."""
    query = (
        sa.select(
            Complaint.id,
            Complaint.code,
            Complaint.received_at,
            Complaint.kind,
            Complaint.state,
            Complaint.channel,
            Complaint.priority,
            Complaint.safety,
            Complaint.category_id,
            Complaint.unit_id,
            Complaint.handler_id,
            Complaint.complainant_name,
            Complaint.phone,
            Complaint.email,
            Complaint.national_id,
            Complaint.subject,
            Complaint.next_due_at,
            Complaint.closed_at,
            Complaint.escalation_level,
            Complaint.reopen_count,
        )
        .where(*where(actor, f, tz, now))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .execution_options(yield_per=BATCH)
    )
    categories = dict(db.session.execute(sa.select(Category.id, Category.names)).all())
    units = dict(db.session.execute(sa.select(Unit.id, Unit.names)).all())
    staff = dict(db.session.execute(sa.select(StaffMember.id, StaffMember.name)).all())
    hide = mask if not may_export_personal_data(actor) else None
    for row in db.session.execute(query):
        (ident, code, received, kind, state, channel, priority, safety, category_id, unit_id, handler_id) = row[:11]
        complainant, phone, email, national_id, subject, due, closed, level, reopened = row[11:]
        if hide is not None:
            phone, email, national_id = hide(phone), hide(email), hide(national_id)
        yield ExportRow(
            ident,
            code,
            received,
            kind,
            state,
            channel,
            priority,
            safety,
            categories.get(category_id),
            units.get(unit_id),
            staff.get(handler_id),
            complainant,
            phone,
            email,
            national_id,
            subject,
            due,
            closed,
            level,
            reopened,
        )


def count_rows(actor: StaffMember, f: InboxFilter, tz: ZoneInfo, now: datetime) -> int:
    return count_each(actor, {"rows": f}, tz, now)["rows"]


def record_export(
    actor: StaffMember, what: str, file_format: str, filters: dict[str, Any], rows: int, *, personal: bool
) -> None:
    """Keep the export on record; the caller commits before the first byte goes out."""
    db.session.add(
        ExportRecord(
            staff_member_id=actor.id,
            what=what[:80],
            format=file_format,
            filters={k: str(v)[:200] for k, v in list(filters.items())[:40]},
            rows=rows,
            personal_data=personal,
        )
    )
