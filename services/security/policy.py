"""The organization's two-factor policy and session limits, and who must set up a second factor by when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from services.security.factors import has_factor
from services.security.sso import enabled_provider
from tenants.db import db, utcnow
from tenants.errors import Refused
from tenants.models import StaffMember, Tenant
from tenants.roles import Permission, Role, require
from tenants.sessions import record_event

POLICIES = ("off", "admins", "all")
_ADMINS = (Role.OWNER.value, Role.ADMIN.value)


def policy_applies(tenant: Tenant, member: StaffMember) -> bool:
    """Whether the policy asks this staff member for a second factor."""
    return tenant.two_factor_policy == "all" or (tenant.two_factor_policy == "admins" and member.role in _ADMINS)


@dataclass(frozen=True)
class Enrolment:
    """What the policy asks of one staff member now: nothing, set up by `until`, or set up before anything else."""

    required: bool
    until: datetime | None
    blocked: bool


NOT_ASKED = Enrolment(False, None, False)


def enrolment(tenant: Tenant, member: StaffMember, *, factor_passed: bool = False) -> Enrolment:
    """Whether `member` must still set up a second factor, and whether their grace period is over."""
    if not policy_applies(tenant, member) or factor_passed or has_factor(member):
        return NOT_ASKED
    since = max(tenant.two_factor_since or member.created_at, member.created_at)
    until = since + timedelta(days=tenant.two_factor_grace_days)
    return Enrolment(True, until, utcnow() >= until)


def owner_fallback(member: StaffMember, asked: Enrolment) -> Enrolment:
    """Where the organization signs in only through its provider, an owner's password is the way back in only
    with a second factor: without one, nothing opens but the page that sets one up."""
    if member.role != Role.OWNER.value:
        return asked  # decided without a query: this runs before every page of every staff member
    provider = enabled_provider()
    if provider is None or not provider.sso_only or has_factor(member):
        return asked
    return Enrolment(True, None, True)


@dataclass(frozen=True)
class SecuritySettings:
    two_factor_policy: str
    two_factor_grace_days: int
    session_idle_hours: int
    session_max_days: int


def settings_of(tenant: Tenant) -> SecuritySettings:
    return SecuritySettings(
        tenant.two_factor_policy,
        tenant.two_factor_grace_days,
        max(1, tenant.session_idle_minutes // 60),
        max(1, tenant.session_max_hours // 24),
    )


def save_settings(actor: StaffMember, tenant: Tenant, wanted: SecuritySettings) -> None:
    """Keep the organization's policy and limits; a policy made stricter starts its grace period now."""
    require(actor, Permission.MANAGE_SECURITY)
    if wanted.two_factor_policy not in POLICIES:
        raise Refused(_l("Choose a policy from the list."), field="two_factor_policy")
    if not 0 <= wanted.two_factor_grace_days <= 90:
        raise Refused(_l("The grace period is from 0 to 90 days."), field="two_factor_grace_days")
    if not 1 <= wanted.session_idle_hours <= 72:
        raise Refused(_l("A session may stay idle from 1 to 72 hours."), field="session_idle_hours")
    if not 1 <= wanted.session_max_days <= 90:
        raise Refused(_l("A session may last from 1 to 90 days."), field="session_max_days")
    if wanted.session_idle_hours > wanted.session_max_days * 24:
        raise Refused(_l("The idle limit cannot be longer than a session may last."), field="session_idle_hours")
    stricter = POLICIES.index(wanted.two_factor_policy) > POLICIES.index(tenant.two_factor_policy)
    changed = (
        wanted.two_factor_policy != tenant.two_factor_policy
        or wanted.two_factor_grace_days != tenant.two_factor_grace_days
    )
    if stricter:
        tenant.two_factor_since = utcnow()
    tenant.two_factor_policy = wanted.two_factor_policy
    tenant.two_factor_grace_days = wanted.two_factor_grace_days
    tenant.session_idle_minutes = wanted.session_idle_hours * 60
    tenant.session_max_hours = wanted.session_max_days * 24
    if changed:
        record_event(
            "policy_changed",
            actor,
            detail=f"{wanted.two_factor_policy}, {wanted.two_factor_grace_days}",
        )
    db.session.flush()
