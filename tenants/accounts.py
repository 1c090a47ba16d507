"""Staff accounts: passwords, login, invitations, password reset, roles and deactivation."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

from tenants import throttle
from tenants.context import require_tenant_id
from tenants.db import db, utcnow
from tenants.errors import Conflict, Forbidden, Gone, NotFound, Refused, TooMany
from tenants.models import StaffInvitation, StaffMember, Tenant
from tenants.passwords import password_problem
from tenants.roles import Permission, Role, require
from tenants.sessions import end_sessions, record_event
from tenants.text import normalize_email, number
from tenants.tokens import TokenExpired, TokenInvalid, make_token, read_token

log = logging.getLogger(__name__)
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a miss takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    """An argon2 hash of `password`."""
    return _hasher.hash(password)


def _check_password(password: str, email: str, name: str = "") -> None:
    tenant = db.session.get(Tenant, require_tenant_id())
    problem = password_problem(password, email, name, tenant.name if tenant else "", tenant.slug if tenant else "")
    if problem:
        raise Refused(problem, field="password")


def find_staff_by_email(email: str) -> StaffMember | None:
    """The tenant's staff member with this e-mail, active or not."""
    return db.session.scalar(sa.select(StaffMember).where(StaffMember.email == normalize_email(email)))


def create_staff(email: str, name: str, password: str, role: Role) -> StaffMember:
    """Add a staff member to the tenant in scope (sign-up's owner, an accepted invitation, the demo)."""
    email = normalize_email(email)
    _check_password(password, email, name)
    if find_staff_by_email(email) is not None:
        raise Conflict(_l("This e-mail address is already on the staff."), field="email")
    member = StaffMember(email=email, name=name, password_hash=hash_password(password), role=role.value)
    db.session.add(member)
    db.session.flush()
    return member


def create_signed_on_staff(email: str, name: str, role: Role) -> StaffMember:
    """A staff member who signs in through the organization's identity provider: no password anyone knows (a
    reset link can give them one, where passwords are allowed)."""
    email = normalize_email(email)
    if find_staff_by_email(email) is not None:
        raise Conflict(_l("This e-mail address is already on the staff."), field="email")
    member = StaffMember(
        email=email,
        name=(name or email.split("@")[0])[:120],
        password_hash=hash_password(secrets.token_urlsafe(32)),
        role=role.value,
    )
    db.session.add(member)
    db.session.flush()
    return member


def open_invitation_for(email: str) -> StaffInvitation | None:
    """The open invitation of this address, if any."""
    return db.session.scalar(
        sa.select(StaffInvitation).where(
            StaffInvitation.email == normalize_email(email),
            StaffInvitation.accepted_at.is_(None),
            StaffInvitation.revoked_at.is_(None),
            StaffInvitation.expires_at > utcnow(),
        )
    )


def login_delay(failures: int) -> int:
    """Seconds between attempts after `failures` recent failures: none at first, then 1, 2, 4 … up to the cap."""
    free = current_app.config["LOGIN_SLOWDOWN_AFTER"]
    if failures < free:
        return 0
    return int(min(2 ** min(failures - free, 30), current_app.config["LOGIN_SLOWDOWN_MAX_SECONDS"]))


def authenticate(email: str, password: str, ip: str) -> StaffMember:
    """The active staff member with this e-mail and password; failures space the next attempts out.

    An account is never locked: after a few failures of the account or from the address, the next attempt is
    taken only 1, 2, 4 … seconds after the last one (up to a cap); one that comes sooner is answered at once
    with how long to wait, and the owner still gets in. Nothing sleeps, so failed log-ins never hold a web
    worker. An address's attempts have a ceiling, counted as they arrive in one step with the check, so
    parallel attempts cannot slip past it. A wrong e-mail and a wrong password give the same answer and take
    the same time.
    """
    tenant_id = str(require_tenant_id())
    email = normalize_email(email)
    if not throttle.hit("login_ip", ip):
        raise TooMany(_l("Too many failed attempts. Wait a few minutes and try again."))
    account = throttle.count("login_account", tenant_id, email)
    address = throttle.count("login_ip_failed", ip)
    waits = (
        (login_delay(account), ("account", tenant_id, email)),
        (login_delay(address), ("address", ip)),
    )
    wait = max((seconds for seconds, key in waits if throttle.held("login_wait", seconds, *key)), default=0)
    if wait:
        raise TooMany(_l("After several wrong passwords, wait %(n)s seconds before you try again.", n=number(wait)))
    member = find_staff_by_email(email)
    ok = False
    try:
        ok = _hasher.verify(member.password_hash if member else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or member is None:
        # What was typed is kept only if it has the shape of an address: a password typed into the wrong box
        # stays out of the log.
        typed = email if re.fullmatch(r"[^@\s]+@[^@\s]+", email) else ""
        record_event("login_failed", member, email=typed, detail="password", survives_refusal=True)
        throttle.record("login_account", tenant_id, email)
        throttle.record("login_ip_failed", ip)
        # The next attempt of this account, and from this address, is taken only after its wait.
        throttle.hold("login_wait", login_delay(account + 1), "account", tenant_id, email)
        throttle.hold("login_wait", login_delay(address + 1), "address", ip)
        raise Refused(_l("The e-mail address or the password is wrong."))
    throttle.reset("login_account", tenant_id, email)
    if not member.is_active:
        record_event("login_failed", member, detail="deactivated", survives_refusal=True)
        raise Refused(_l("This account has been deactivated. Ask an administrator of this organization."))
    if _hasher.check_needs_rehash(member.password_hash):
        member.password_hash = hash_password(password)
    member.last_login_at = utcnow()
    db.session.flush()
    return member


def check_own_password(member: StaffMember, password: str) -> None:
    """The logged-in staff member's password typed again (before a change of their sign-in methods). Every try
    counts against the person's limit of second-factor tries before the password is looked at, so that past
    the limit not even the right one passes: someone with a copied cookie learns nothing by guessing."""
    tenant_id = str(require_tenant_id())
    if not throttle.hit("second_factor", tenant_id, str(member.id)):
        record_event("login_failed", member, detail="password again, too many", survives_refusal=True)
        raise TooMany(_l("Too many failed attempts. Wait a few minutes and try again."))
    try:
        ok = _hasher.verify(member.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        record_event("login_failed", member, detail="password again", survives_refusal=True)
        raise Refused(_l("The password is wrong."), field="password")


def set_locale(member: StaffMember, locale: str) -> None:
    """Remember the staff member's language."""
    member.locale = locale
    db.session.flush()


# Invitations -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: StaffInvitation
    token: str


def _active_owners() -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(StaffMember)
        .where(StaffMember.role == Role.OWNER.value, StaffMember.is_active.is_(True))
    )


def _check_role_grant(actor: StaffMember, role: Role) -> None:
    if role == Role.OWNER and actor.role != Role.OWNER.value:
        raise Forbidden()  # only an owner may make an owner


def invite_staff(actor: StaffMember, email: str, role: Role) -> IssuedInvitation:
    """Invite `email` to the tenant's staff as `role`; the caller e-mails the token's link after commit."""
    require(actor, Permission.MANAGE_STAFF)
    _check_role_grant(actor, role)
    email = normalize_email(email)
    existing = find_staff_by_email(email)
    if existing is not None:
        raise Conflict(_l("This e-mail address is already on the staff."), field="email")
    # Each invitation is an e-mail from the platform's address to anyone: an organization sends only so many a day.
    if not throttle.hit("invitations_tenant", str(require_tenant_id())):
        raise TooMany(_l("Your organization has sent as many invitations as it may today. Try again tomorrow."))
    now = utcnow()
    # A new invitation replaces any open one for the same address.
    for old in db.session.scalars(
        sa.select(StaffInvitation).where(
            StaffInvitation.email == email,
            StaffInvitation.accepted_at.is_(None),
            StaffInvitation.revoked_at.is_(None),
        )
    ):
        _check_role_grant(actor, Role(old.role))
        old.revoked_at = now
    ttl = current_app.config["INVITATION_TTL_SECONDS"]
    invitation = StaffInvitation(
        email=email,
        role=role.value,
        nonce=secrets.token_hex(16),
        invited_by_id=actor.id,
        expires_at=now + timedelta(seconds=ttl),
    )
    db.session.add(invitation)
    db.session.flush()
    token = make_token("invite", {"t": invitation.tenant_id, "i": invitation.id, "n": invitation.nonce})
    return IssuedInvitation(invitation, token)


def open_invitation(token: str) -> StaffInvitation:
    """The invitation a token stands for, if it can still be accepted; raises Refused."""
    tenant_id = require_tenant_id()
    try:
        payload = read_token("invite", token, current_app.config["INVITATION_TTL_SECONDS"])
    except TokenExpired as exc:
        raise Gone(_l("This invitation has expired. Ask for a new one.")) from exc
    except TokenInvalid as exc:
        raise NotFound(_l("This invitation link is not valid.")) from exc
    invitation = db.session.get(StaffInvitation, payload.get("i")) if payload.get("t") == tenant_id else None
    if invitation is None or not secrets.compare_digest(invitation.nonce, str(payload.get("n", ""))):
        raise NotFound(_l("This invitation link is not valid."))
    if invitation.accepted_at is not None:
        raise Gone(_l("This invitation has already been used. Log in instead."))
    if invitation.revoked_at is not None:
        raise Gone(_l("This invitation was replaced or withdrawn. Ask for a new one."))
    if invitation.expires_at <= utcnow():
        raise Gone(_l("This invitation has expired. Ask for a new one."))
    return invitation


def accept_invitation(token: str, name: str, password: str) -> StaffMember:
    """Create the invited staff member; the invitation is used up."""
    invitation = open_invitation(token)
    member = create_staff(invitation.email, name, password, Role(invitation.role))
    invitation.accepted_at = utcnow()
    db.session.flush()
    return member


def revoke_invitation(actor: StaffMember, invitation_id: int) -> None:
    """Withdraw an open invitation."""
    require(actor, Permission.MANAGE_STAFF)
    invitation = db.session.get(StaffInvitation, invitation_id)
    if invitation is None or invitation.accepted_at is not None:
        raise NotFound(_l("No such open invitation."))
    _check_role_grant(actor, Role(invitation.role))
    invitation.revoked_at = utcnow()
    db.session.flush()


# Password reset ----------------------------------------------------------------------------------


def request_password_reset(email: str) -> tuple[StaffMember, str] | None:
    """A reset token for the active member with this e-mail, or None (the caller says the same either way)."""
    member = find_staff_by_email(email)
    if member is None or not member.is_active:
        return None
    token = make_token("reset", {"t": member.tenant_id, "m": member.id, "v": member.session_version})
    return member, token


def open_password_reset(token: str) -> StaffMember:
    """The staff member a reset token stands for, if it can still be used; raises Refused."""
    tenant_id = require_tenant_id()
    try:
        payload = read_token("reset", token, current_app.config["PASSWORD_RESET_TTL_SECONDS"])
    except TokenExpired as exc:
        raise Gone(_l("This reset link has expired. Ask for a new one.")) from exc
    except TokenInvalid as exc:
        raise NotFound(_l("This reset link is not valid.")) from exc
    member = db.session.get(StaffMember, payload.get("m")) if payload.get("t") == tenant_id else None
    if member is None or not member.is_active:
        raise NotFound(_l("This reset link is not valid."))
    if member.session_version != payload.get("v"):
        raise Gone(_l("This reset link has already been used. Ask for a new one."))
    return member


def reset_password(token: str, password: str) -> StaffMember:
    """Set a new password from a reset token; the token and every older session stop working."""
    member = open_password_reset(token)
    _check_password(password, member.email, member.name)
    member.password_hash = hash_password(password)
    member.session_version += 1
    end_sessions(member.id, "password_reset")
    record_event("password_reset", member)
    db.session.flush()
    return member


# Staff management --------------------------------------------------------------------------------


def list_staff() -> list[StaffMember]:
    """The tenant's staff, active first, then by name."""
    return list(
        db.session.scalars(
            sa.select(StaffMember).order_by(StaffMember.is_active.desc(), StaffMember.name, StaffMember.id)
        )
    )


def list_open_invitations() -> list[StaffInvitation]:
    """Invitations neither accepted, withdrawn nor expired, newest first."""
    return list(
        db.session.scalars(
            sa.select(StaffInvitation)
            .where(
                StaffInvitation.accepted_at.is_(None),
                StaffInvitation.revoked_at.is_(None),
                StaffInvitation.expires_at > utcnow(),
            )
            .order_by(StaffInvitation.created_at.desc(), StaffInvitation.id.desc())
        )
    )


def _get_member(member_id: int) -> StaffMember:
    member = db.session.get(StaffMember, member_id)
    if member is None:
        raise NotFound(_l("No such staff member."))
    return member


def _guard_owner_change(actor: StaffMember, member: StaffMember) -> None:
    if member.role == Role.OWNER.value and actor.role != Role.OWNER.value:
        raise Forbidden()  # only an owner may change an owner
    if member.role == Role.OWNER.value and member.is_active and _active_owners() <= 1:
        raise Conflict(_l("The organization needs at least one active owner."))


def change_role(actor: StaffMember, member_id: int, role: Role) -> StaffMember:
    """Give a staff member another role."""
    require(actor, Permission.MANAGE_STAFF)
    member = _get_member(member_id)
    if member.role == role.value:
        return member
    _check_role_grant(actor, role)
    _guard_owner_change(actor, member)
    member.role = role.value
    # What the member's open sessions were allowed is no longer theirs: they log in again.
    end_sessions(member.id, "role_changed")
    record_event("role_changed", member, actor=actor, detail=role.value)
    db.session.flush()
    return member


def deactivate_staff(actor: StaffMember, member_id: int) -> StaffMember:
    """Stop a staff member from logging in; their history stays."""
    require(actor, Permission.MANAGE_STAFF)
    member = _get_member(member_id)
    if member.id == actor.id:
        raise Conflict(_l("You cannot deactivate yourself."))
    if not member.is_active:
        return member
    _guard_owner_change(actor, member)
    member.is_active = False
    member.deactivated_at = utcnow()
    member.session_version += 1
    end_sessions(member.id, "deactivated")
    record_event("deactivated", member, actor=actor)
    db.session.flush()
    return member


def reactivate_staff(actor: StaffMember, member_id: int) -> StaffMember:
    """Let a deactivated staff member log in again."""
    require(actor, Permission.MANAGE_STAFF)
    member = _get_member(member_id)
    if member.role == Role.OWNER.value and actor.role != Role.OWNER.value:
        raise Forbidden()  # only an owner may change an owner
    member.is_active = True
    member.deactivated_at = None
    record_event("reactivated", member, actor=actor)
    db.session.flush()
    return member


def count_active_staff() -> int:
    """How many active staff members the tenant has."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(StaffMember).where(StaffMember.is_active.is_(True)))


# A new e-mail address ----------------------------------------------------------------------------------------

# A link to confirm a new address works this long.
EMAIL_CHANGE_SECONDS = 86400


def ask_email_change(member: StaffMember, new_email: str) -> str:
    """A signed token for moving `member` to `new_email`, to be e-mailed to that address (the change happens
    when its link is opened: the person proves the new mailbox)."""
    email = normalize_email(new_email)
    if email == member.email:
        raise Refused(_l("This is already your address."), field="email")
    if find_staff_by_email(email) is not None:
        raise Conflict(_l("This e-mail address is already on the staff."), field="email")
    record_event("email_change_asked", member, detail=email)
    return make_token("email", {"t": member.tenant_id, "m": member.id, "e": email, "o": member.email})


def change_email(token: str) -> tuple[StaffMember, str]:
    """Move the staff member to the address the token was made for; (member, the old address)."""
    tenant_id = require_tenant_id()
    try:
        payload = read_token("email", token, EMAIL_CHANGE_SECONDS)
    except TokenExpired as exc:
        raise Gone(_l("This link has expired. Ask for the change again on your security page.")) from exc
    except TokenInvalid as exc:
        raise NotFound(_l("This link is not valid.")) from exc
    member = db.session.get(StaffMember, payload.get("m")) if payload.get("t") == tenant_id else None
    if member is None or not member.is_active:
        raise NotFound(_l("This link is not valid."))
    if member.email != payload.get("o"):
        raise Gone(_l("This link has already been used, or the address changed since. Ask again if you need to."))
    email = normalize_email(str(payload.get("e", "")))
    if find_staff_by_email(email) is not None:
        raise Conflict(_l("This e-mail address is already on the staff."))
    old = member.email
    member.email = email
    record_event("email_changed", member, detail=f"{old} → {email}"[:300])
    db.session.flush()
    return member, old
