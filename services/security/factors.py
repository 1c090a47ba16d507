"""Second factors: an authenticator app (TOTP, RFC 6238) and recovery codes; passkeys are in passkeys.py.

The app's secret is sealed at rest like the gateway credentials. A code is taken once: the time step it matched
is kept, and only a later one is accepted; one step of clock drift either way is allowed. Tries are
counted per staff member, and past the limit the next are refused for a while (429), whichever factor they
try; a right code clears the count. Recovery codes are shown once, kept as SHA-256 (each is 50 random bits),
and each works once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time

import pyotp
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.gateways.secrets import seal, unseal
from tenants import throttle
from tenants.db import db, utcnow
from tenants.errors import Conflict, Forbidden, NotFound, Refused, TooMany
from tenants.models import StaffMember, Tenant
from tenants.roles import Permission, Role, require
from tenants.security import RecoveryCode, StaffFactor
from tenants.sessions import end_sessions, record_event
from tenants.text import latin_digits

RECOVERY_CODES = 10
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper and typed again


def has_factor(member: StaffMember) -> bool:
    """Whether the staff member has a second factor in use (an app set up, or a passkey)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(StaffFactor)
            .where(StaffFactor.staff_member_id == member.id, StaffFactor.confirmed_at.is_not(None))
        )
        > 0
    )


def members_with_factors() -> set[int]:
    """The ids of the staff members who have a second factor in use."""
    return set(
        db.session.scalars(
            sa.select(StaffFactor.staff_member_id).where(StaffFactor.confirmed_at.is_not(None)).distinct()
        )
    )


def factors_of(member: StaffMember) -> list[StaffFactor]:
    """The staff member's factors in use, oldest first."""
    return list(
        db.session.scalars(
            sa.select(StaffFactor)
            .where(StaffFactor.staff_member_id == member.id, StaffFactor.confirmed_at.is_not(None))
            .order_by(StaffFactor.created_at, StaffFactor.id)
        )
    )


def check_attempts(member: StaffMember) -> None:
    """Count a try of a second factor; TooMany past the limit."""
    # Every try is counted as it arrives, in one step with the check, so parallel tries cannot slip past the
    # ceiling; a right code clears the count.
    if not throttle.hit("second_factor", str(member.tenant_id), str(member.id)):
        raise TooMany(_l("Too many wrong codes. Wait a few minutes and try again."))


def wrong_attempt(member: StaffMember, what: str) -> Refused:
    """The refusal of a wrong code or passkey, written to the security log."""
    record_event("second_factor_failed", member, detail=what, survives_refusal=True)
    if what == "passkey":
        return Refused(_l("This passkey could not be checked. Try again, or use another way to log in."))
    if what == "recovery":
        return Refused(_l("This recovery code is not right, or it has been used."), field="recovery_code")
    return Refused(_l("This code is not right. Check the time on your phone and try the newest code."), field="code")


def _digits(code: str) -> str:
    """The code with Latin digits and no spaces, or "" when it is anything but six to ten such digits (digits of
    other scripts than Latin, Persian and Arabic-Indic included)."""
    plain = re.sub(r"\s+", "", latin_digits(code or ""))
    return plain if re.fullmatch(r"[0-9]{6,10}", plain) else ""


# The authenticator app ------------------------------------------------------------------------------------------


def start_totp(member: StaffMember, tenant: Tenant) -> tuple[StaffFactor, str, str]:
    """A new authenticator app being set up (replacing one set up halfway before): the factor, its secret as
    text and the otpauth:// address its QR code shows."""
    db.session.execute(
        sa.delete(StaffFactor).where(
            StaffFactor.staff_member_id == member.id, StaffFactor.kind == "totp", StaffFactor.confirmed_at.is_(None)
        )
    )
    secret = pyotp.random_base32()
    factor = StaffFactor(staff_member_id=member.id, kind="totp", secret_sealed=seal(secret))
    db.session.add(factor)
    db.session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=member.email, issuer_name=f"Dadras {tenant.name}")
    return factor, secret, uri


def pending_totp(member: StaffMember) -> tuple[StaffFactor, str] | None:
    """The authenticator app being set up, and its secret."""
    factor = db.session.scalar(
        sa.select(StaffFactor).where(
            StaffFactor.staff_member_id == member.id, StaffFactor.kind == "totp", StaffFactor.confirmed_at.is_(None)
        )
    )
    secret = unseal(factor.secret_sealed or "") if factor is not None else None
    return (factor, secret) if factor is not None and secret else None


def _matched_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step `code` is right for (now, one before or one after), if later than `after`."""
    totp = pyotp.TOTP(secret)
    step = int(time.time() // totp.interval)
    for offset in (0, -1, 1):
        candidate = step + offset
        if (after is None or candidate > after) and secrets.compare_digest(
            totp.generate_otp(candidate), code.rjust(totp.digits, "0")[-totp.digits :]
        ):
            return candidate
    return None


def confirm_totp(member: StaffMember, code: str, name: str = "") -> StaffFactor:
    """The first code from the app being set up: right, and the app is in use."""
    check_attempts(member)
    pending = pending_totp(member)
    if pending is None:
        raise NotFound(_l("Start setting up the authenticator app again."))
    factor, secret = pending
    step = _matched_step(secret, _digits(code), None) if _digits(code) else None
    if step is None:
        raise wrong_attempt(member, "totp")
    throttle.reset("second_factor", str(member.tenant_id), str(member.id))
    factor.last_step = step
    factor.confirmed_at = utcnow()
    factor.name = (name or "").strip()[:60]
    record_event("factor_added", member, detail="totp")
    db.session.flush()
    return factor


def verify_totp(member: StaffMember, code: str) -> StaffFactor:
    """The code from one of the staff member's apps, not used before; raises Refused (429 past the limit)."""
    check_attempts(member)
    code = _digits(code)
    if code:
        for factor in factors_of(member):
            secret = unseal(factor.secret_sealed or "") if factor.kind == "totp" else None
            step = _matched_step(secret, code, factor.last_step) if secret else None
            if step is not None:
                # Taken once: only a later step is accepted next, whoever sends it.
                updated = db.session.execute(
                    sa.update(StaffFactor)
                    .where(
                        StaffFactor.id == factor.id,
                        sa.or_(StaffFactor.last_step.is_(None), StaffFactor.last_step < step),
                    )
                    .values(last_step=step, last_used_at=utcnow())
                    .execution_options(synchronize_session="fetch")
                )
                if updated.rowcount:
                    throttle.reset("second_factor", str(member.tenant_id), str(member.id))
                    return factor
    raise wrong_attempt(member, "totp")


def remove_factor(member: StaffMember, factor_id: int) -> None:
    """Take one of the staff member's own factors out of use."""
    factor = db.session.get(StaffFactor, factor_id)
    if factor is None or factor.staff_member_id != member.id:
        raise NotFound(_l("No such sign-in method."))
    db.session.delete(factor)
    record_event("factor_removed", member, detail=factor.kind)
    if not has_factor(member):
        # Without a factor, recovery codes would be a way in of their own.
        db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.staff_member_id == member.id))
    db.session.flush()


# Recovery codes -------------------------------------------------------------------------------------------------


def _code_hash(member: StaffMember, code: str) -> str:
    plain = re.sub(r"[^a-z0-9]", "", latin_digits(code or "").lower())
    return hashlib.sha256(f"{member.tenant_id}:{member.id}:{plain}".encode()).hexdigest()


def make_recovery_codes(member: StaffMember) -> list[str]:
    """Ten new recovery codes (the old ones stop working), to show once."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.staff_member_id == member.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        plain = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
        codes.append(f"{plain[:5]}-{plain[5:]}")
        db.session.add(RecoveryCode(staff_member_id=member.id, code_hash=_code_hash(member, plain)))
    record_event("recovery_codes_made", member)
    db.session.flush()
    return codes


def recovery_codes_left(member: StaffMember) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.staff_member_id == member.id, RecoveryCode.used_at.is_(None))
    )


def use_recovery_code(member: StaffMember, code: str) -> None:
    """Spend one recovery code; raises Refused when it is not one of the member's unused ones."""
    check_attempts(member)
    used = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.staff_member_id == member.id,
            RecoveryCode.code_hash == _code_hash(member, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if not used.rowcount:
        raise wrong_attempt(member, "recovery")
    throttle.reset("second_factor", str(member.tenant_id), str(member.id))
    record_event("recovery_code_used", member, detail=str(recovery_codes_left(member)))


def reset_factors(actor: StaffMember, member_id: int) -> StaffMember:
    """An administrator takes away every factor of someone who lost theirs (an owner's only another owner may);
    their sessions end."""
    require(actor, Permission.MANAGE_STAFF)
    member = db.session.get(StaffMember, member_id)
    if member is None:
        raise NotFound(_l("No such staff member."))
    if member.role == Role.OWNER.value and actor.role != Role.OWNER.value:
        raise Forbidden()
    if member.id == actor.id:
        raise Conflict(_l("Change your own sign-in methods on your security page."))
    db.session.execute(sa.delete(StaffFactor).where(StaffFactor.staff_member_id == member.id))
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.staff_member_id == member.id))
    end_sessions(member.id, "factors_reset")
    record_event("factors_reset", member, actor=actor)
    db.session.flush()
    return member
