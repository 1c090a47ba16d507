"""Changing the tenant's categories, units and root causes (owners and admins)."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.catalog.models import Category, RootCause, Unit
from services.i18n import number
from tenants.db import db
from tenants.errors import NotFound, Refused
from tenants.models import LOCALES, StaffMember
from tenants.roles import Permission, Role, require

NAME_LENGTH = 200
Catalog = type[Category] | type[Unit] | type[RootCause]


def clean_names(names: dict[str, str | None]) -> dict[str, str]:
    """A name in each language given; at least one, none overlong."""
    cleaned = {lang: (names.get(lang) or "").strip() for lang in LOCALES}
    cleaned = {lang: value for lang, value in cleaned.items() if value}
    if not cleaned:
        raise Refused(_l("Give a name in at least one language."), field="names")
    if any(len(value) > NAME_LENGTH for value in cleaned.values()):
        raise Refused(_l("A name can have at most %(n)s characters.", n=number(NAME_LENGTH)), field="names")
    return cleaned


def _next_position(model: Catalog, **where: object) -> int:
    query = sa.select(sa.func.coalesce(sa.func.max(model.position), -1))
    for column, value in where.items():
        query = (
            query.where(getattr(model, column) == value)
            if value is not None
            else query.where(getattr(model, column).is_(None))
        )
    return int(db.session.scalar(query)) + 1


def _get(model: Catalog, row_id: int):
    row = db.session.get(model, row_id)
    if row is None:
        raise NotFound(_l("There is no such entry."))
    return row


def add_category(actor: StaffMember, names: dict[str, str | None], parent_id: int | None) -> Category:
    """A top category, or a child of a top category (the tree is two levels deep)."""
    require(actor, Permission.MANAGE_SETTINGS)
    if parent_id is not None:
        parent = _get(Category, parent_id)
        if parent.parent_id is not None:
            raise Refused(_l("Categories go two levels deep: choose a top category."), field="parent_id")
    category = Category(
        key=f"c-{secrets.token_hex(4)}",
        names=clean_names(names),
        parent_id=parent_id,
        position=_next_position(Category, parent_id=parent_id),
    )
    db.session.add(category)
    db.session.flush()
    return category


def add_unit(actor: StaffMember, names: dict[str, str | None], head_id: int | None) -> Unit:
    """A unit (department) with its head."""
    require(actor, Permission.MANAGE_SETTINGS)
    unit = Unit(key=f"u-{secrets.token_hex(4)}", names=clean_names(names), position=_next_position(Unit))
    unit.head_id = _head(head_id)
    db.session.add(unit)
    db.session.flush()
    return unit


def add_root_cause(actor: StaffMember, names: dict[str, str | None]) -> RootCause:
    """A root cause for corrective actions."""
    require(actor, Permission.MANAGE_SETTINGS)
    cause = RootCause(key=f"r-{secrets.token_hex(4)}", names=clean_names(names), position=_next_position(RootCause))
    db.session.add(cause)
    db.session.flush()
    return cause


def _head(head_id: int | None) -> int | None:
    if head_id is None:
        return None
    head = db.session.get(StaffMember, head_id)
    if head is None or not head.is_active:
        raise Refused(_l("Choose an active staff member as the head."), field="head_id")
    return head.id


def rename(actor: StaffMember, model: Catalog, row_id: int, names: dict[str, str | None]) -> None:
    """New names for a category, unit or root cause."""
    require(actor, Permission.MANAGE_SETTINGS)
    _get(model, row_id).names = clean_names(names)


def set_unit_head(actor: StaffMember, unit_id: int, head_id: int | None) -> None:
    """Who heads the unit."""
    require(actor, Permission.MANAGE_SETTINGS)
    _get(Unit, unit_id).head_id = _head(head_id)


def set_active(actor: StaffMember, model: Catalog, row_id: int, active: bool) -> None:
    """Retire an entry (complaints keep it) or bring it back."""
    require(actor, Permission.MANAGE_SETTINGS)
    _get(model, row_id).is_active = active


def set_member_unit(actor: StaffMember, member_id: int, unit_id: int | None) -> None:
    """Which unit a staff member works in; a unit member sees that unit's complaints."""
    require(actor, Permission.MANAGE_STAFF)
    member = db.session.get(StaffMember, member_id)
    if member is None:
        raise NotFound(_l("There is no such staff member."))
    if unit_id is not None:
        _get(Unit, unit_id)
    member.unit_id = unit_id


def unit_members(role: Role | None = None) -> list[StaffMember]:
    """Active staff, for the unit and head pickers."""
    query = sa.select(StaffMember).where(StaffMember.is_active.is_(True)).order_by(StaffMember.name)
    if role is not None:
        query = query.where(StaffMember.role == role.value)
    return list(db.session.scalars(query))
