"""Sending one notice: claim it, send it on its channel, record what happened; retries with backoff.

A claim is a committed lease ("sending" until next_attempt_at), taken before anything leaves, so two workers
never send the same notice at once and a worker that dies mid-send leaves a notice the relay offers again once
the lease runs out. A retry carries the same reference as the first attempt (the e-mail's Message-ID), so what
a channel can recognize as a repeat it drops.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from services.channels.base import DeliveryError, Outgoing, Undeliverable
from services.mail import kept_connections
from services.notifications.channels import sender_for
from services.notifications.models import Notice, NoticeStatus
from tenants.context import platform_scope
from tenants.db import db, utcnow
from tenants.models import Tenant

log = logging.getLogger(__name__)

_DUE = (Notice.status.in_((NoticeStatus.PENDING, NoticeStatus.SENDING)),)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: NOTICE_RETRY_SECONDS, then four times longer each time."""
    base = current_app.config["NOTICE_RETRY_SECONDS"]
    return timedelta(seconds=min(base * 4 ** max(attempts - 1, 0), 6 * 3600))


def claim(notice_ids: list[int], now: datetime | None = None) -> list[Notice]:
    """Take the notices that are due (pending, or sending with the lease run out) for one attempt each, in one
    committed statement; the others (sent, taken by another worker, not due yet) are left alone."""
    now = now or utcnow()
    lease = timedelta(seconds=current_app.config["NOTICE_LEASE_SECONDS"])
    taken = list(
        db.session.scalars(
            sa.update(Notice)
            .where(Notice.id.in_(notice_ids), *_DUE, Notice.next_attempt_at <= now)
            .values(status=NoticeStatus.SENDING, attempts=Notice.attempts + 1, next_attempt_at=now + lease)
            .returning(Notice.id)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    if not taken:
        return []
    return list(
        db.session.scalars(
            sa.select(Notice).where(Notice.id.in_(taken)).order_by(Notice.id).execution_options(populate_existing=True)
        )
    )


def deliver(notice_id: int) -> str:
    """One attempt at one notice of the tenant in scope; returns its status afterwards ("skipped" if not due)."""
    return next(iter(deliver_batch([notice_id]).keys()))


def _attempt(notice: Notice, organization: str, senders: dict) -> str:
    """Send one claimed notice and record what happened (committed: a sent notice is never sent again).

    `senders` keeps each channel's sender for the batch, so the tenant's accounts are read once, not per notice.
    """
    if notice.channel not in senders:
        senders[notice.channel] = sender_for(notice.channel)
    send = senders[notice.channel]
    try:
        if send is None:
            raise Undeliverable(f"no way to send on {notice.channel!r} is set up")
        provider_id = send(
            Outgoing(
                tenant_id=notice.tenant_id,
                notice_id=notice.id,
                channel=notice.channel,
                recipient=notice.recipient,
                locale=notice.locale,
                subject=notice.subject,
                body=notice.body,
                organization=organization,
            )
        )
    except DeliveryError as exc:
        _failed(notice, exc)
    else:
        notice.status = NoticeStatus.SENT
        notice.sent_at = utcnow()
        notice.provider_id = (provider_id or "")[:120] or None
        notice.last_error = None
        _forget_secret(notice)
    db.session.commit()
    return notice.status


def deliver_batch(notice_ids: list[int]) -> dict[str, int]:
    """Notices of the tenant in scope: claimed together, then sent one by one over kept connections, each
    recorded as it goes. Returns how many ended in each status ("skipped": not due, or another's)."""
    notices = claim(notice_ids)
    outcomes: dict[str, int] = {}
    if len(notices) < len(set(notice_ids)):
        outcomes["skipped"] = len(set(notice_ids)) - len(notices)
    if not notices:
        return outcomes
    tenant = db.session.get(Tenant, notices[0].tenant_id)
    organization = tenant.name if tenant else ""
    session = db.session()
    # Each notice is committed as it is recorded; no need to read the batch back after every commit.
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        senders: dict = {}
        with kept_connections():
            for notice in notices:
                status = _attempt(notice, organization, senders)
                outcomes[status] = outcomes.get(status, 0) + 1
    finally:
        session.expire_on_commit = expire
    return outcomes


def _failed(notice: Notice, exc: DeliveryError) -> None:
    notice.last_error = str(exc)[:2000] or type(exc).__name__
    if exc.permanent or notice.attempts >= current_app.config["NOTICE_MAX_ATTEMPTS"]:
        notice.status = NoticeStatus.FAILED
        log.warning("notice %s failed for good: %s", notice.id, notice.last_error)
    else:
        notice.status = NoticeStatus.PENDING
        notice.next_attempt_at = utcnow() + backoff(notice.attempts)


def _forget_secret(notice: Notice) -> None:
    """A one-time code or a link's token has no business staying in the outbox once sent."""
    data = notice.data or {}
    secret = data.get("code") if notice.event == "verification_code" else data.get("secret")
    if secret:
        notice.body = notice.body.replace(secret, "••••••")
        notice.subject = notice.subject.replace(secret, "••••••")
        notice.data = {k: v for k, v in data.items() if k not in ("code", "secret")}


_DUE_NOTICES = sa.text("SELECT tenant_id, notice_id FROM due_notices(:due_by, :most)")


def due_notices(now: datetime | None = None, most: int = 5000) -> list[tuple[int, int]]:
    """(tenant id, notice id) of the notices due for an attempt, across tenants, oldest first.

    On PostgreSQL the application role asks due_notices(), which answers ids and nothing of their content.
    """
    now = now or utcnow()
    with platform_scope():
        if db.session.get_bind().dialect.name == "postgresql":
            rows = db.session.execute(_DUE_NOTICES, {"due_by": now, "most": most}).all()
        else:
            rows = db.session.execute(
                sa.select(Notice.tenant_id, Notice.id)
                .where(*_DUE, Notice.next_attempt_at <= now)
                .order_by(Notice.next_attempt_at)
                .limit(most)
            ).all()
    return [(tenant_id, notice_id) for tenant_id, notice_id in rows]


# What staff see and do: settings → deliveries

STATUSES = (NoticeStatus.PENDING, NoticeStatus.SENDING, NoticeStatus.SENT, NoticeStatus.FAILED)
LISTED = 100


def recent(status: str | None = None, channel: str | None = None, event: str | None = None) -> list[Notice]:
    """The tenant's latest notices, newest first, filtered."""
    query = sa.select(Notice).order_by(Notice.id.desc()).limit(LISTED)
    if status:
        query = query.where(Notice.status == status)
    if channel:
        query = query.where(Notice.channel == channel)
    if event:
        query = query.where(Notice.event == event)
    return list(db.session.scalars(query))


def count_failed() -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Notice.status == NoticeStatus.FAILED)) or 0


def retry_failed(notice_id: int) -> Notice:
    """Another round of attempts at a failed notice, dispatched once the change commits."""
    from flask_babel import lazy_gettext as _l

    from services.errors import NotAllowed, NotFound
    from services.notifications.outbox import dispatch_after_commit

    notice = db.session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(_l("There is no such notice."))
    if notice.status != NoticeStatus.FAILED:
        raise NotAllowed(_l("Only a failed notice can be tried again."))
    notice.status = NoticeStatus.PENDING
    notice.attempts = 0
    notice.next_attempt_at = utcnow()
    notice.last_error = None
    dispatch_after_commit(notice)
    return notice
