"""Exports: the complaints a filter lists, read in keyset batches of plain columns (never whole rows kept), with
the personal data masked for those who may not take it away; and the record of every export made."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

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
    """Every complaint `f` lists, newest first, in batches of BATCH read by keyset."""
    handler = aliased(StaffMember)
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
            Category.names,
            Unit.names,
            handler.name,
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
        .outerjoin(Category, Category.id == Complaint.category_id)
        .outerjoin(Unit, Unit.id == Complaint.unit_id)
        .outerjoin(handler, handler.id == Complaint.handler_id)
        .where(*where(actor, f, tz, now))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
    )
    personal = may_export_personal_data(actor)
    after: tuple[datetime, int] | None = None
    while True:
        batch = (
            query if after is None else query.where(sa.tuple_(Complaint.received_at, Complaint.id) < sa.tuple_(*after))
        )
        rows = db.session.execute(batch.limit(BATCH)).all()
        for row in rows:
            item = ExportRow(*row)
            if not personal:
                item = ExportRow(
                    **{
                        **item.__dict__,
                        "phone": mask(item.phone),
                        "email": mask(item.email),
                        "national_id": mask(item.national_id),
                    }
                )
            yield item
        if len(rows) < BATCH:
            return
        after = (rows[-1].received_at, rows[-1].id)


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
