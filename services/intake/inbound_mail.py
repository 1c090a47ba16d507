"""Complaints by e-mail: what arrives in the organization's mailbox becomes a complaint on channel "email", or,
when it answers one of its complaints, the customer's message on it.

A mail answers a complaint when it replies to one of its notices (In-Reply-To or References name the notice's
Message-ID) or carries its tracking code in the subject, and comes from the address the complaint has on
file, not found forged by the receiving server (its Authentication-Results): knowing a code is not being the
complainant. A mail answering a closed complaint is kept in its log for the staff to read. Anything else is a
new complaint, acknowledged like every other. Answering machines (RFC 3834), bounces, mailing lists, our own
notices coming back, and a sender writing faster than a person does are recorded and left alone. Each mail
is taken once: its Message-ID is kept, and a second poll that reads it again (overlapping, or after the
folder was renumbered) finds it taken.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app

from services.complaints.log import record
from services.complaints.models import OPEN_STATES, Complaint, IntakeChannel, State
from services.complaints.operations import MAX_FILE_BYTES, attach_file
from services.complaints.registration import ComplaintInput, register_complaint
from services.connections.queries import connection
from services.contacts import ContactError, PreferredContact, check_email
from services.files.checking import FileRejected, check_upload
from services.files.storage import storage_from_config
from services.gateways import mailbox
from services.gateways.secrets import unseal
from services.intake.models import InboundMail
from services.intake.reading import (
    OUR_REFERENCE,
    body_text,
    guess_locale,
    header,
    ignored_because,
    message_key,
    our_addresses,
    raw_key,
    sender_of,
    without_quote,
)
from services.notifications.models import Notice
from services.portal.operations import MAX_MESSAGE, customer_file, customer_message
from services.tracking import CodeError, parse_code
from tenants.db import db, utcnow
from tenants.models import Tenant

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 20000
MAX_SUBJECT = 200
# The error kept when the sealed login cannot be opened (the settings page says it in the reader's language).
UNREADABLE = "unreadable-login"
# More new complaints than this from one address within the hour is a machine answering our
# acknowledgements (one that does not say so), not a person: the rest are left alone.
SENDER_HOURLY = 5
_CODE_IN_TEXT = re.compile(r"\d(?:[ \-\u2010-\u2015\u2212.]?\d){12}")


@dataclass
class Polled:
    read: int = 0
    registered: int = 0
    messages: int = 0
    ignored: int = 0
    error: str = ""
    outcomes: list[str] = field(default_factory=list)


# Which complaint a mail answers


def _by_reference(message: EmailMessage, tenant: Tenant) -> Complaint | None:
    references = f"{header(message, 'In-Reply-To')} {header(message, 'References')}"
    for match in OUR_REFERENCE.finditer(references):
        if int(match.group(1)) != tenant.id:
            continue
        complaint_id = db.session.scalar(sa.select(Notice.complaint_id).where(Notice.id == int(match.group(2))))
        if complaint_id is not None:
            return db.session.get(Complaint, complaint_id)
    return None


def _by_code(subject: str) -> Complaint | None:
    for match in _CODE_IN_TEXT.finditer(subject):
        try:
            code = parse_code(match.group(0))
        except CodeError:
            continue
        found = db.session.scalar(sa.select(Complaint).where(Complaint.code == code))
        if found is not None:
            return found
    return None


def answered_complaint(message: EmailMessage, tenant: Tenant, sender: str) -> Complaint | None:
    """The complaint this mail answers, when it comes from the address that complaint has on file."""
    complaint = _by_reference(message, tenant) or _by_code(header(message, "Subject"))
    if complaint is None or (complaint.email or "").lower() != sender.lower():
        return None
    # Where the receiving server found the sender forged (SPF, DKIM and DMARC, RFC 8601), the mail is not
    # taken as the complainant's.
    verdicts = " ".join(str(v) for v in message.get_all("Authentication-Results", []) or []).lower()
    if "dmarc=fail" in verdicts or ("spf=fail" in verdicts and "dkim=pass" not in verdicts):
        return None
    return complaint


# Taking a mail


def _attachments(message: EmailMessage, complaint: Complaint, tenant: Tenant | None = None) -> int:
    """Keep the mail's files under the attachment rules; a refused one is noted in the log, not kept. With
    `tenant`, each is the customer's addition to an open complaint, and its handler is told."""
    storage = storage_from_config(current_app.config["UPLOAD_STORAGE"])
    kept = 0
    for part in message.iter_attachments():
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            continue
        name = part.get_filename() or ""
        try:
            upload = check_upload(data, name, max_bytes=MAX_FILE_BYTES)
            if tenant is not None:
                customer_file(tenant, complaint, upload, storage)
            else:
                attach_file(None, complaint, upload, storage, customer_visible=True, actor_kind="customer")
        except FileRejected as exc:
            record(complaint, "file_refused", None, data={"filename": name[:200], "reason": exc.reason})
            continue
        kept += 1
    return kept


def _too_many_from(sender: str) -> bool:
    since = utcnow() - timedelta(hours=1)
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(InboundMail)
        .where(
            sa.func.lower(InboundMail.sender) == sender.lower(),
            InboundMail.outcome == "registered",
            InboundMail.received_at >= since,
        )
    )
    return (count or 0) >= SENDER_HOURLY


def take(tenant: Tenant, raw: bytes, ours: frozenset[str] = frozenset()) -> InboundMail | None:
    """Turn one mail into a complaint or a customer message; None when it was already taken."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    name, sender = sender_of(message)
    subject = header(message, "Subject")
    seen = InboundMail(
        message_key=message_key(message, raw), sender=sender[:254], subject=subject[:200], outcome="ignored"
    )
    try:
        with db.session.begin_nested():
            db.session.add(seen)
            db.session.flush()
    except sa.exc.IntegrityError:
        return None  # read before: by this poll's predecessor, or by one running beside it
    if not sender:
        seen.reason = "bad_sender"
        return seen
    seen.reason = ignored_because(message, sender, ours) or ""
    if not seen.reason:
        try:
            sender = seen.sender = check_email(sender)
        except ContactError:
            seen.reason = "bad_sender"
    if not seen.reason:
        _act(tenant, message, seen, name=name, sender=sender, subject=subject)
    return seen


def _act(tenant: Tenant, message: EmailMessage, seen: InboundMail, *, name: str, sender: str, subject: str) -> None:
    text = body_text(message)
    complaint = answered_complaint(message, tenant, sender)
    if complaint is not None and State(complaint.state) not in OPEN_STATES:
        # Closed or withdrawn: kept in its log for the staff to read, not a new complaint.
        record(complaint, "mail_after_close", None, body=without_quote(text)[:MAX_MESSAGE], actor_kind="customer")
        _attachments(message, complaint)
        seen.outcome, seen.complaint_id = "message", complaint.id
        return
    if complaint is not None:
        own = without_quote(text)[:MAX_MESSAGE]
        if own:
            customer_message(tenant, complaint, own)
        _attachments(message, complaint, tenant)
        seen.outcome, seen.complaint_id = "message", complaint.id
        return
    if _too_many_from(sender):
        seen.reason = "loop"
        return
    if not text and not subject and not any(True for _ in message.iter_attachments()):
        seen.reason = "empty"
        return
    description = text[:MAX_DESCRIPTION] or subject
    complaint = register_complaint(
        None,
        tenant,
        ComplaintInput(
            channel=IntakeChannel.EMAIL.value,
            complainant_name=(name or sender.split("@", 1)[0])[:200],
            subject=(subject or " ".join(description.split())[:80] or sender)[:MAX_SUBJECT],
            description=description or subject or sender,
            email=sender,
            preferred_contact=PreferredContact.EMAIL.value,
            preferred_locale=guess_locale(f"{subject}\n{text}", tenant.default_locale),
            received_at=_sent_at(message),
        ),
    )
    _attachments(message, complaint)
    seen.outcome, seen.complaint_id = "registered", complaint.id


def _sent_at(message: EmailMessage) -> datetime | None:
    """When the mail says it was sent, if that is a believable arrival time (else now)."""
    try:
        sent = message["Date"].datetime if message.get("Date") else None
    except Exception:
        return None
    if sent is None or sent.tzinfo is None:
        return None
    now = utcnow()
    return sent if now - timedelta(days=30) <= sent <= now else None


# Polling


def poll(tenant: Tenant) -> Polled:
    """Read what arrived in the organization's mailbox since the last poll, each mail in its own savepoint;
    where reading stopped, and any error, are kept on the connection."""
    row = connection("imap")
    done = Polled()
    if row is None:
        return done
    url = unseal(row.secret_encrypted)
    settings = dict(row.settings or {})
    if not url:
        done.error = UNREADABLE
    else:
        try:
            _read(tenant, url, settings, done)
        except mailbox.MailboxError as exc:
            done.error = exc.reason  # our words for it, shown in the tenant's language; never the server's
    if done.error:
        log.warning("mailbox not read: %s", done.error, extra={"tenant_id": tenant.id})
    settings.update(polled_at=utcnow().isoformat(), error=done.error)
    row.settings = settings
    return done


def _read(tenant: Tenant, url: str, settings: dict, done: Polled) -> None:
    ours = our_addresses(mailbox.parse_url(url).user)
    began = utcnow()
    with mailbox.opened(url) as box:
        validity = box.validity
        if settings.get("uidvalidity") == validity:
            uids = box.uids_after(int(settings.get("last_uid", 0)))
        else:
            # The folder was renumbered (moved, rebuilt): what arrived since the last read began is read again
            # (to the second before, as the server dates mail), and what was taken before is known by its
            # Message-ID; the folder's past stays its past.
            since = datetime.fromisoformat(settings.get("read_from") or began.isoformat())
            uids = box.uids_since(since.replace(microsecond=0) - timedelta(seconds=1))
            log.warning("mailbox renumbered; reading again since %s", since, extra={"tenant_id": tenant.id})
        settings["uidvalidity"], settings["read_from"] = validity, began.isoformat()
        for uid in uids[: int(current_app.config["MAIL_POLL_BATCH"])]:
            raw = box.fetch(uid)
            settings["last_uid"] = uid
            if raw is None:
                continue
            done.read += 1
            try:
                with db.session.begin_nested():
                    seen = take(tenant, raw, ours)
            except Exception:
                # Recorded as refused, so that one mail we cannot take never holds back the ones after it.
                log.exception("mail %s not taken", uid, extra={"tenant_id": tenant.id})
                seen = _refused(raw)
            if seen is None:
                continue
            done.outcomes.append(seen.outcome if seen.outcome != "ignored" else f"ignored:{seen.reason}")
            if seen.outcome == "registered":
                done.registered += 1
            elif seen.outcome == "message":
                done.messages += 1
            else:
                done.ignored += 1


def _refused(raw: bytes) -> InboundMail | None:
    """A mail that could not be taken, recorded by a digest of its bytes (its headers may be what is broken)."""
    seen = InboundMail(message_key=raw_key(raw), outcome="ignored", reason="refused")
    try:
        with db.session.begin_nested():
            db.session.add(seen)
            db.session.flush()
    except sa.exc.IntegrityError:
        return None
    return seen


def recent(limit: int = 10) -> list[InboundMail]:
    """The last mails read, for the settings page."""
    return list(db.session.scalars(sa.select(InboundMail).order_by(InboundMail.id.desc()).limit(limit)))
