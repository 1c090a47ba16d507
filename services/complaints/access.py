"""Who sees which complaints: everyone with the right to see all, a unit member only their unit's."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.complaints.models import Complaint
from tenants.db import db
from tenants.errors import NotFound
from tenants.models import StaffMember
from tenants.roles import Forbidden, Permission, Role, can, require


def visible_to(actor: StaffMember) -> sa.ColumnElement[bool]:
    """The condition on Complaint rows that `actor` may see (nothing, for an inactive member)."""
    if not actor.is_active:
        return sa.false()
    if can(actor.role, Permission.VIEW_ALL_COMPLAINTS):
        scope: sa.ColumnElement[bool] = sa.true()
    elif can(actor.role, Permission.HANDLE_COMPLAINTS) and actor.unit_id is not None:
        scope = Complaint.unit_id == actor.unit_id
    else:
        return sa.false()
    if is_impartial_exempt(actor):
        return scope
    return sa.and_(scope, sa.or_(Complaint.about_staff_id.is_(None), Complaint.about_staff_id != actor.id))


def is_impartial_exempt(actor: StaffMember) -> bool:
    """Whether `actor` sees complaints about themselves: only the owner, whom nobody above can take over from.

    Anyone else neither sees nor handles a complaint about them (ISO 10002's objectivity).
    """
    return actor.role == Role.OWNER


def is_about(complaint: Complaint, actor: StaffMember) -> bool:
    """Whether the complaint is about `actor`, who must then keep out of it."""
    return (
        complaint.about_staff_id is not None and complaint.about_staff_id == actor.id and not is_impartial_exempt(actor)
    )


def may_handle(actor: StaffMember) -> None:
    """Raise Forbidden unless `actor` handles complaints at all."""
    require(actor, Permission.HANDLE_COMPLAINTS)


def get_complaint(
    actor: StaffMember, complaint_id: int, *, for_update: bool = False, reading: bool = False
) -> Complaint:
    """The complaint, if `actor` may see it (and handle it, unless only `reading`: an auditor reads what they
    may not handle); NotFound otherwise (never a hint that it exists)."""
    if not reading:
        try:
            may_handle(actor)
        except Forbidden:
            raise NotFound(_l("There is no such complaint.")) from None
    query = sa.select(Complaint).where(Complaint.id == complaint_id, visible_to(actor))
    if for_update:
        query = query.with_for_update()
    complaint = db.session.scalar(query)
    if complaint is None:
        raise NotFound(_l("There is no such complaint."))
    return complaint
