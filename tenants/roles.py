"""Staff roles and what each may do. Services check these; templates only hide what would be refused."""

from __future__ import annotations

from enum import StrEnum

from tenants.errors import Forbidden


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MANAGER = "manager"
    AGENT = "agent"
    UNIT_MEMBER = "unit_member"


class Permission(StrEnum):
    MANAGE_STAFF = "manage_staff"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_ALL_COMPLAINTS = "view_all_complaints"
    HANDLE_COMPLAINTS = "handle_complaints"
    VIEW_REPORTS = "view_reports"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset({Permission.VIEW_ALL_COMPLAINTS, Permission.HANDLE_COMPLAINTS, Permission.VIEW_REPORTS}),
    Role.AGENT: frozenset({Permission.VIEW_ALL_COMPLAINTS, Permission.HANDLE_COMPLAINTS}),
    Role.UNIT_MEMBER: frozenset({Permission.HANDLE_COMPLAINTS}),
}


def can(role: str | Role, permission: Permission) -> bool:
    """Whether `role` holds `permission`."""
    try:
        return permission in GRANTS[Role(role)]
    except ValueError:
        return False


def require(actor: object, permission: Permission) -> None:
    """Raise Forbidden unless the active staff member `actor` holds `permission`."""
    if actor is None or not getattr(actor, "is_active", False) or not can(actor.role, permission):
        raise Forbidden()
