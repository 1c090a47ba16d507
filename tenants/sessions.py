"""Staff sessions kept on the server, and the security log they write to.

The browser's cookie carries a random key; the table keeps its SHA-256, so neither a database copy nor a log
gives anyone a session. A session is refused once ended — at log-out, by its owner or an administrator, when the
staff member is deactivated, changes role, resets their password or has their factors reset — or once it has been
idle or open longer than the organization allows. The key changes at log-in and whenever the session gains
privilege (its second factor passed), so a key seen before either is worth nothing after.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import g, has_app_context

from tenants.db import db, utcnow
from tenants.models import StaffMember, Tenant
from tenants.security import SecurityEvent, StaffSession
from tenants.text import normalize_text

# A session's last request is written at most this often: a page's many requests cost one write.
TOUCH_SECONDS = 60
# A log-in waiting for its second factor waits this long at most.
FACTOR_WAIT = timedelta(minutes=10)
_KEPT = "dadras.security_kept"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def client() -> tuple[str, str]:
    """(address, browser) of the request being served, as the web layer put it in `g` (empty in a job)."""
    return g.get("dadras_client", ("", "")) if has_app_context() else ("", "")


def record_event(
    kind: str,
    member: StaffMember | None = None,
    *,
    actor: StaffMember | None = None,
    email: str = "",
    detail: str = "",
    survives_refusal: bool = False,
) -> SecurityEvent:
    """Write a line of the security log. `survives_refusal`: the line is kept even when the request answers
    with an error (a failed log-in is one) and rolls the rest back."""
    ip, agent = client()
    event = SecurityEvent(
        kind=kind,
        staff_member_id=member.id if member is not None else None,
        actor_id=actor.id if actor is not None and actor is not member else None,
        # What a stranger typed or a provider said is kept as text: no control character (PostgreSQL refuses NUL
        # in text, and the line would be lost with the refusal it records), no bidirectional override.
        email=_plain(email or (member.email if member is not None else ""))[:254],
        ip=_plain(ip)[:45],
        user_agent=_plain(agent)[:300],
        detail=_plain(detail)[:300],
        at=utcnow(),
    )
    db.session.add(event)
    if survives_refusal and has_app_context():
        g.setdefault(_KEPT, []).append(event)
    return event


def _plain(text: str) -> str:
    return normalize_text(text) or ""


def take_kept_events() -> list[SecurityEvent]:
    """The log lines that must outlive a refused request, made anew (the originals were rolled back)."""
    kept = g.pop(_KEPT, []) if has_app_context() else []
    columns = [c.key for c in sa.inspect(SecurityEvent).column_attrs if c.key != "id"]
    return [SecurityEvent(**{key: getattr(event, key) for key in columns}) for event in kept]


def open_session(
    member: StaffMember, *, method: str = "password", factor_required: bool = False
) -> tuple[StaffSession, str]:
    """A new session of `member`, and the key to put in the cookie."""
    key = secrets.token_urlsafe(32)
    ip, agent = client()
    now = utcnow()
    row = StaffSession(
        key_hash=_digest(key),
        staff_member_id=member.id,
        created_at=now,
        last_seen_at=now,
        ip=ip[:45],
        user_agent=agent[:300],
        method=method,
        factor_required=factor_required,
        # The password was just typed: changing the factors soon after does not ask it again.
        confirmed_at=None if factor_required else now,
    )
    db.session.add(row)
    db.session.flush()
    return row, key


def _expired(row: StaffSession, tenant: Tenant, now: datetime) -> str | None:
    if row.factor_required and row.second_factor_at is None and now - row.created_at > FACTOR_WAIT:
        return "factor_wait"
    if now - row.last_seen_at > timedelta(minutes=tenant.session_idle_minutes):
        return "idle"
    if now - row.created_at > timedelta(hours=tenant.session_max_hours):
        return "expired"
    return None


def find_session(key: str, tenant: Tenant) -> tuple[StaffSession, StaffMember] | None:
    """The open session with this key and its active staff member, its last request noted; None (and the session
    ended, if it outlived the organization's limits) otherwise."""
    if not key or len(key) > 100:
        return None
    found = db.session.execute(
        sa.select(StaffSession, StaffMember)
        .join(StaffMember, StaffMember.id == StaffSession.staff_member_id)
        .where(StaffSession.key_hash == _digest(key), StaffSession.ended_at.is_(None))
    ).first()
    if found is None:
        return None
    row, member = found
    now = utcnow()
    reason = _expired(row, tenant, now)
    if reason is not None:
        row.ended_at, row.end_reason = now, reason
        return None
    if not member.is_active:
        return None
    if (now - row.last_seen_at).total_seconds() >= TOUCH_SECONDS:
        row.last_seen_at = now
    return row, member


def rotate(row: StaffSession) -> str:
    """Give the session a new key (after it gained privilege); the old key no longer finds it."""
    key = secrets.token_urlsafe(32)
    row.key_hash = _digest(key)
    db.session.flush()
    return key


def pass_second_factor(row: StaffSession, how: str) -> str:
    """The session's second factor passed (`how`: "totp", "passkey", "recovery", "sso"); its new key."""
    now = utcnow()
    row.second_factor_at, row.second_factor = now, how
    row.confirmed_at = now
    return rotate(row)


def end_session(row: StaffSession, reason: str) -> None:
    if row.ended_at is None:
        row.ended_at, row.end_reason = utcnow(), reason
        db.session.flush()


def end_sessions(
    member_id: int | None,
    reason: str,
    *,
    keep: StaffSession | None = None,
    method: str | None = None,
    but_role: str | None = None,
) -> int:
    """End every open session of a staff member (of everyone in the organization: None), but `keep` and those
    of people of `but_role`, or only those signed in by `method`; how many were ended."""
    query = sa.update(StaffSession).where(StaffSession.ended_at.is_(None))
    if member_id is not None:
        query = query.where(StaffSession.staff_member_id == member_id)
    if but_role is not None:
        spared = sa.select(StaffMember.id).where(StaffMember.role == but_role)
        query = query.where(StaffSession.staff_member_id.not_in(spared))
    if method is not None:
        query = query.where(StaffSession.method == method)
    if keep is not None:
        query = query.where(StaffSession.id != keep.id)
    result = db.session.execute(
        query.values(ended_at=utcnow(), end_reason=reason).execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def open_sessions(tenant: Tenant, member_id: int | None = None) -> list[StaffSession]:
    """Open sessions (within the organization's limits), of one staff member or of everyone, the most recently
    used first."""
    now = utcnow()
    query = sa.select(StaffSession).where(
        StaffSession.ended_at.is_(None),
        StaffSession.last_seen_at > now - timedelta(minutes=tenant.session_idle_minutes),
        StaffSession.created_at > now - timedelta(hours=tenant.session_max_hours),
    )
    if member_id is not None:
        query = query.where(StaffSession.staff_member_id == member_id)
    return list(db.session.scalars(query.order_by(StaffSession.last_seen_at.desc(), StaffSession.id.desc())))


def get_session(session_id: int) -> StaffSession | None:
    return db.session.get(StaffSession, session_id)


# Ended sessions (and those long since abandoned) are kept this long for the security page, then deleted; the
# security log keeps what happened in them.
KEEP_ENDED = timedelta(days=90)


def prune_sessions(now: datetime | None = None) -> int:
    """Delete the tenant's sessions ended, or unused, longer ago than KEEP_ENDED; how many."""
    cutoff = (now or utcnow()) - KEEP_ENDED
    result = db.session.execute(
        sa.delete(StaffSession).where(sa.or_(StaffSession.ended_at < cutoff, StaffSession.last_seen_at < cutoff))
    )
    return result.rowcount or 0


# The security log keeps each line this long (the sign-ins of two years cover any audit period an organization
# reviews), then deletes it: it holds addresses and browsers, which are personal data.
KEEP_LOG = timedelta(days=730)


def prune_security_log(now: datetime | None = None) -> int:
    """Delete the tenant's security log lines older than KEEP_LOG; how many."""
    cutoff = (now or utcnow()) - KEEP_LOG
    return db.session.execute(sa.delete(SecurityEvent).where(SecurityEvent.at < cutoff)).rowcount or 0
