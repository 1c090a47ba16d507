"""Sending one notice: claim it, send it on its channel, record what happened; retries with backoff.

A claim is a committed lease ("sending" until next_attempt_at) under a token of the batch, taken before
anything leaves, so two workers never send the same notice at once and a worker that dies mid-send leaves a
notice the relay offers again once the lease runs out. A batch renews its lease while it sends (a slow mail
server), skips a notice whose claim another worker took, and records a result only where its token still
holds. A retry carries the same reference as the first attempt (the e-mail's Message-ID), so what a channel can
recognize as a repeat it drops.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from services.files.storage import storage_from_config
from services.gateways.base import DeliveryError, Outgoing, Reason, Undeliverable
from services.mail import kept_connections
from services.notifications.models import Notice, NoticeStatus
from services.notifications.senders import sender_for
from tenants.context import platform_scope
from tenants.db import db, utcnow
from tenants.models import Tenant

log = logging.getLogger(__name__)

_DUE = (Notice.status.in_((NoticeStatus.PENDING, NoticeStatus.SENDING)),)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: NOTICE_RETRY_SECONDS, then four times longer each time."""
    base = current_app.config["NOTICE_RETRY_SECONDS"]
    return timedelta(seconds=min(base * 4 ** max(attempts - 1, 0), 6 * 3600))


def claim(notice_ids: list[int], now: datetime | None = None) -> tuple[str, list[Notice]]:
    """Take the notices that are due (pending, or sending with the lease run out) for one attempt each, in one
    committed statement, under a new claim token; the others (sent, taken by another worker, not due yet) are
    left alone. Returns the token and the notices it holds."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    lease = timedelta(seconds=current_app.config["NOTICE_LEASE_SECONDS"])
    taken = list(
        db.session.scalars(
            sa.update(Notice)
            .where(Notice.id.in_(notice_ids), *_DUE, Notice.next_attempt_at <= now)
            .values(
                status=NoticeStatus.SENDING,
                attempts=Notice.attempts + 1,
                next_attempt_at=now + lease,
                claim_token=token,
            )
            .returning(Notice.id)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    if not taken:
        return token, []
    notices = db.session.scalars(
        sa.select(Notice).where(Notice.id.in_(taken)).order_by(Notice.id).execution_options(populate_existing=True)
    )
    return token, list(notices)


class Lease:
    """A batch's hold on its claimed notices. Once a third of the lease has passed since it was last renewed,
    the next look renews it for every notice still unsent, in one statement; a notice whose claim another worker
    took meanwhile (the lease ran out during a long send) is no longer held, and is neither sent nor recorded."""

    def __init__(self, token: str, tenant_id: int, notice_ids: list[int], since: float) -> None:
        self.token = token
        self.tenant_id = tenant_id
        self.held = set(notice_ids)
        self.renewed = since  # time.monotonic() before the claim: the lease ran from then
        self.seconds = float(current_app.config["NOTICE_LEASE_SECONDS"])

    def holds(self, notice_id: int) -> bool:
        """Whether the batch still holds the notice, with at least two thirds of a lease ahead of it."""
        if notice_id in self.held and time.monotonic() - self.renewed >= self.seconds / 3:
            self.renew()
        return notice_id in self.held

    def renew(self) -> None:
        started = time.monotonic()
        kept = set(
            db.session.scalars(
                sa.update(Notice)
                .where(
                    Notice.id.in_(self.held), Notice.claim_token == self.token, Notice.status == NoticeStatus.SENDING
                )
                .values(next_attempt_at=utcnow() + timedelta(seconds=self.seconds))
                .returning(Notice.id)
                .execution_options(synchronize_session=False)
            )
        )
        db.session.commit()
        if lost := self.held - kept:
            log.warning(
                "%d notice(s) taken over by another worker, left to it tenant_id=%s: %s",
                len(lost),
                self.tenant_id,
                sorted(lost),
            )
        self.held, self.renewed = kept, started

    def record(self, notice: Notice, values: dict) -> bool:
        """Write the attempt's result where the claim still holds (committed); False when it was taken over."""
        written = db.session.execute(
            sa.update(Notice)
            .where(Notice.id == notice.id, Notice.claim_token == self.token)
            .values(**values, claim_token=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        self.held.discard(notice.id)
        if not written:
            log.warning(
                "notice %s taken over by another worker while it was sent, its result not recorded tenant_id=%s",
                notice.id,
                self.tenant_id,
            )
            return False
        for name, value in values.items():
            set_committed_value(notice, name, value)
        return True


def attached_files(notice: Notice) -> tuple[tuple[str, str, bytes], ...]:
    """The files a notice carries (kept in the upload store under `data["attachments"]`), read for sending."""
    found = []
    for item in (notice.data or {}).get("attachments") or ():
        store = storage_from_config(current_app.config["UPLOAD_STORAGE"])
        try:
            with store.open(item["key"]) as handle:
                found.append((item["filename"], item["content_type"], handle.read()))
        except (FileNotFoundError, KeyError, ValueError) as exc:
            raise Undeliverable(f"an attached file is missing: {exc}", Reason.OTHER) from exc
    return tuple(found)


def deliver(notice_id: int) -> str:
    """One attempt at one notice of the tenant in scope; returns its status afterwards ("skipped" if not due)."""
    return next(iter(deliver_batch([notice_id]).keys()))


def _attempt(notice: Notice, organization: str, senders: dict, lease: Lease) -> str:
    """Send one claimed notice, if still held, and record what happened where the claim still holds (committed:
    a sent notice is never sent again). "skipped": taken over before it was sent; "lost": attempted, but taken
    over meanwhile (one send outlasted two thirds of the lease), so the result is the other worker's to record.

    `senders` keeps each channel's sender for the batch, so the tenant's accounts are read once, not per notice.
    """
    if not lease.holds(notice.id):
        return "skipped"
    if notice.channel not in senders:
        senders[notice.channel] = sender_for(notice.channel)
    send = senders[notice.channel]
    try:
        if send is None:
            raise Undeliverable(f"no way to send on {notice.channel!r} is set up", Reason.NO_WAY)
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
                attachments=attached_files(notice),
            )
        )
    except DeliveryError as exc:
        values = _failed(notice, exc)
    else:
        values = {
            "status": NoticeStatus.SENT,
            "sent_at": utcnow(),
            "provider_id": (provider_id or "")[:120] or None,
            "last_error": None,
            "reason": None,
            **_forget_secret(notice),
        }
    return values["status"] if lease.record(notice, values) else "lost"


def deliver_batch(notice_ids: list[int]) -> dict[str, int]:
    """Notices of the tenant in scope: claimed together, then sent one by one over kept connections, each
    recorded as it goes. Returns how many ended in each status ("skipped": not due, or another's; "lost":
    attempted, but taken over meanwhile)."""
    since = time.monotonic()
    token, notices = claim(notice_ids)
    outcomes: dict[str, int] = {}
    if len(notices) < len(set(notice_ids)):
        outcomes["skipped"] = len(set(notice_ids)) - len(notices)
    if not notices:
        return outcomes
    lease = Lease(token, notices[0].tenant_id, [n.id for n in notices], since)
    tenant = db.session.get(Tenant, notices[0].tenant_id)
    organization = tenant.name if tenant else ""
    session = db.session()
    # Each notice is committed as it is recorded; no need to read the batch back after every commit.
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        senders: dict = {}
        with kept_connections():
            for notice in notices:
                status = _attempt(notice, organization, senders, lease)
                outcomes[status] = outcomes.get(status, 0) + 1
    finally:
        session.expire_on_commit = expire
    return outcomes


def _failed(notice: Notice, exc: DeliveryError) -> dict:
    """The values that record a failed attempt: the channel's own words for operators (and the log), its reason in
    the organization's words."""
    error = str(exc)[:2000] or type(exc).__name__
    values: dict = {"last_error": error, "reason": exc.reason}
    if exc.permanent or notice.attempts >= current_app.config["NOTICE_MAX_ATTEMPTS"]:
        values["status"] = NoticeStatus.FAILED
        log.warning("notice %s failed for good (%s) tenant_id=%s: %s", notice.id, exc.reason, notice.tenant_id, error)
    else:
        values["status"] = NoticeStatus.PENDING
        values["next_attempt_at"] = utcnow() + backoff(notice.attempts)
        log.info("notice %s not sent (%s) tenant_id=%s: %s", notice.id, exc.reason, notice.tenant_id, error)
    return values


def _forget_secret(notice: Notice) -> dict:
    """A one-time code or a link's token has no business staying in the outbox once sent: the values without it."""
    data = notice.data or {}
    secret = data.get("code") if notice.event == "verification_code" else data.get("secret")
    if not secret:
        return {}
    return {
        "body": notice.body.replace(secret, "••••••"),
        "subject": notice.subject.replace(secret, "••••••"),
        "data": {k: v for k, v in data.items() if k not in ("code", "secret")},
    }


_DUE_NOTICES = sa.text("SELECT tenant_id, notice_id FROM due_notices(:due_by, :most)")


def awaited_ids(notice_ids: list[int]) -> set[int]:
    """Which of these notices of the tenant in scope someone is waiting for (Notice.awaited)."""
    return set(db.session.scalars(sa.select(Notice.id).where(Notice.id.in_(notice_ids), Notice.awaited)))


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


def not_told(complaint_id: int) -> list[Notice]:
    """The complaint's notices to its customer that could not go (failed for good, or no way to reach them),
    oldest first: what the customer was not told."""
    return list(
        db.session.scalars(
            sa.select(Notice)
            .where(
                Notice.complaint_id == complaint_id,
                Notice.audience == "customer",
                Notice.status == NoticeStatus.FAILED,
            )
            .order_by(Notice.id)
        )
    )


def receipt_sent(complaint_id: int) -> bool:
    """Whether the complaint's acknowledgement went, or may still go, to its customer on some way (False: the
    tracking code shown on the receipt page is the customer's only receipt)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                Notice.complaint_id == complaint_id,
                Notice.audience == "customer",
                Notice.event == "registered",
                Notice.status != NoticeStatus.FAILED,
            )
        )
        or 0
    ) > 0


def count_failed() -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Notice.status == NoticeStatus.FAILED)) or 0


def retry_failed(notice_id: int) -> Notice:
    """Another round of attempts at a failed notice, dispatched once the change commits."""
    from flask_babel import lazy_gettext as _l

    from services.notifications.outbox import dispatch_after_commit
    from tenants.errors import NotAllowed, NotFound

    notice = db.session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(_l("There is no such notice."))
    if notice.status != NoticeStatus.FAILED:
        raise NotAllowed(_l("Only a failed notice can be tried again."))
    notice.status = NoticeStatus.PENDING
    notice.attempts = 0
    notice.next_attempt_at = utcnow()
    notice.last_error = None
    notice.reason = None
    dispatch_after_commit(notice)
    return notice
