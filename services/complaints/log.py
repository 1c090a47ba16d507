"""The follow-up log (the seed's form F-06-02-02): one append-only entry per step, message or change."""

from __future__ import annotations

from typing import Any

from services.complaints.models import Complaint, ComplaintEvent
from tenants.db import db, utcnow
from tenants.models import StaffMember


def record(
    complaint: Complaint,
    kind: str,
    actor: StaffMember | None,
    *,
    data: dict[str, Any] | None = None,
    body: str | None = None,
    customer_visible: bool = False,
    actor_kind: str | None = None,
    attachment_id: int | None = None,
    action_id: int | None = None,
) -> ComplaintEvent:
    """Append one entry. Nothing updates or deletes an entry; on PostgreSQL the app role cannot."""
    event = ComplaintEvent(
        complaint_id=complaint.id,
        at=utcnow(),
        actor_kind=actor_kind or ("staff" if actor is not None else "system"),
        actor_id=actor.id if actor is not None else None,
        kind=kind,
        data=data or {},
        body=body,
        customer_visible=customer_visible,
        attachment_id=attachment_id,
        action_id=action_id,
    )
    db.session.add(event)
    return event


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{"field": [before, after]} for the fields that differ."""
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}
