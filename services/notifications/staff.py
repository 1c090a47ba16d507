"""Who on the staff hears of a complaint: its handler; with none, its unit's people; with no unit, the complaints
officers; with none of them, the managers. Nobody hears of what they did themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from services.catalog.models import Unit
from services.notifications.outbox import notify_staff
from tenants.db import db
from tenants.models import StaffMember
from tenants.roles import Role

if TYPE_CHECKING:
    from services.complaints.models import Complaint

MANAGERS = (Role.OWNER, Role.ADMIN, Role.MANAGER)
# A customer's event on a complaint nobody handles yet is its own notice to the unit or the officers (the tenant
# may tell a handler of every message and not the whole desk); the others keep their name.
UNASSIGNED = {"customer_replied": "unassigned_reply"}


def _active(query: sa.Select) -> list[StaffMember]:
    return list(db.session.scalars(query.where(StaffMember.is_active.is_(True)).order_by(StaffMember.id)))


def unit_people(unit_id: int) -> list[StaffMember]:
    """The unit's active members and its head."""
    head_id = db.session.scalar(sa.select(Unit.head_id).where(Unit.id == unit_id))
    return _active(sa.select(StaffMember).where(sa.or_(StaffMember.unit_id == unit_id, StaffMember.id == head_id)))


def managers() -> list[StaffMember]:
    """The active owners, administrators and managers."""
    return _active(sa.select(StaffMember).where(StaffMember.role.in_(MANAGERS)))


def desk(complaint: Complaint) -> list[StaffMember]:
    """Who looks after a complaint nobody handles: its unit's people; with no unit (or nobody in it), the
    complaints officers; with none, the managers. Never the person it is about."""
    people = unit_people(complaint.unit_id) if complaint.unit_id else []
    if not people:
        people = _active(sa.select(StaffMember).where(StaffMember.role == Role.AGENT)) or managers()
    return [m for m in people if m.id != complaint.about_staff_id]


def tell_desk(
    complaint: Complaint, event: str, *, default_locale: str, key: str | None = None, actor: StaffMember | None = None
) -> None:
    """`event` to the complaint's desk, but not to `actor`, who caused it."""
    for member in desk(complaint):
        if actor is None or member.id != actor.id:
            notify_staff(member, complaint, event, key=key, default_locale=default_locale, actor=actor)


def tell_handler(complaint: Complaint, event: str, *, default_locale: str, key: str | None = None) -> None:
    """A customer's `event` to the complaint's handler; with no (active) handler, to its desk."""
    handler = db.session.get(StaffMember, complaint.handler_id) if complaint.handler_id else None
    if handler is not None and handler.is_active:
        notify_staff(handler, complaint, event, key=key, default_locale=default_locale)
    else:
        tell_desk(complaint, UNASSIGNED.get(event, event), key=key, default_locale=default_locale)
