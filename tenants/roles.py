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
    # Reads every complaint and report, handles none; draws and scores audit samples (ISO 10002 8.5).
    AUDITOR = "auditor"


class Permission(StrEnum):
    MANAGE_STAFF = "manage_staff"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_ALL_COMPLAINTS = "view_all_complaints"
    HANDLE_COMPLAINTS = "handle_complaints"
    VIEW_REPORTS = "view_reports"
    # A complainant's data exported or erased on their request, a legal hold set or lifted: owners and admins.
    MANAGE_PERSONAL_DATA = "manage_personal_data"
    # Management reviews recorded and their decisions kept up (ISO 10002 8.6).
    MANAGE_REVIEWS = "manage_reviews"
    # Audit samples drawn and scored, findings opened as corrective actions (ISO 10002 8.5).
    AUDIT_COMPLAINTS = "audit_complaints"
    # The organization's sign-in rules (two-factor policy, session limits, single sign-on), every staff
    # member's sessions, and the security log: owners and admins.
    MANAGE_SECURITY = "manage_security"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset(
        {
            Permission.VIEW_ALL_COMPLAINTS,
            Permission.HANDLE_COMPLAINTS,
            Permission.VIEW_REPORTS,
            Permission.MANAGE_REVIEWS,
        }
    ),
    Role.AGENT: frozenset({Permission.VIEW_ALL_COMPLAINTS, Permission.HANDLE_COMPLAINTS}),
    Role.UNIT_MEMBER: frozenset({Permission.HANDLE_COMPLAINTS}),
    Role.AUDITOR: frozenset({Permission.VIEW_ALL_COMPLAINTS, Permission.VIEW_REPORTS, Permission.AUDIT_COMPLAINTS}),
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
