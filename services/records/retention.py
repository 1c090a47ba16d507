"""Personal data kept as long as the organization says (ISO 10002 8.1): a closed complaint's complainant's data
removed after the retention time, or at once on the complainant's request; everything about one complainant
exported on their request; a legal hold that keeps a complaint as it is.

What is removed: the complainant's and representative's names, phone, e-mail, national ID and messenger chat,
their answers to the organization's own questions (but choices), the files they sent, the addresses and texts of
the notices sent to them, the senders of their mails — and every place these values were written into a text
(the description, messages in the log, the log's record of corrections, decisions, the rating's comment). What
stays: the complaint's kind, category, unit, dates, deadlines, state, decisions and actions, so every figure of
the reports is what it was (the same customer again is kept as a moment, services.complaints.repeats).
"""

from __future__ import annotations

import calendar
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.complaints.access import get_complaint
from services.complaints.log import record
from services.complaints.models import (
    Attachment,
    Complaint,
    ComplaintEvent,
    CorrectiveAction,
    Decision,
    SatisfactionRating,
    State,
)
from services.complaints.search import build_search_text
from services.contacts import ContactError, check_email, check_national_id, normalize_phone
from services.files.storage import Storage
from services.gateways.base import Reason
from services.intake.models import BotConversation, InboundMail
from services.notifications.models import Notice, NoticeStatus
from services.records.forms import record_settings
from services.reports.models import ExportRecord
from tenants.context import tenant_scope
from tenants.db import db, utcnow
from tenants.errors import Refused
from tenants.models import StaffMember, Tenant, active_tenants, in_each_active_tenant
from tenants.roles import Permission, require
from tenants.sessions import prune_security_log, prune_sessions
from tenants.text import persian_digits

log = logging.getLogger(__name__)

# The complaint's own columns of personal data, emptied.
PERSONAL = ("phone", "email", "national_id", "messenger_id", "representative_name", "representative_relation")
# Answers to the organization's own questions kept after removal: a choice from its list tells nobody who it was.
KEPT_ANSWERS = frozenset({"choice", "multi_choice", "checkbox"})
# Fields of the log's record of a correction whose values are personal data.
CORRECTED = frozenset({"complainant_name", *PERSONAL})
# Keys of a log entry's data that hold an address.
ADDRESS_KEYS = frozenset({"from", "sender", "to", "recipient", "address", "reply_to"})
REMOVED = "[…]"
_SHORTEST = 3  # a shorter value would be found inside ordinary words


def _variants(value: str) -> set[str]:
    """A value as it may have been written: as stored, in Persian digits, a phone in its local forms."""
    found = {value, persian_digits(value)}
    if value.startswith("+98"):
        found |= {"0" + value[3:], value[1:]}
    elif value.startswith("+7"):
        found |= {"8" + value[2:], value[1:]}
    return {v for v in found if len(v) >= _SHORTEST} | {persian_digits(v) for v in found if len(v) >= _SHORTEST}


def personal_values(complaint: Complaint, events: Iterable[ComplaintEvent]) -> list[str]:
    """Every personal value of the complaint, as it is now and as the log's corrections say it was, longest first
    (so that a name is removed before a part of it)."""
    values: set[str] = set()
    for name in ("complainant_name", *PERSONAL):
        if value := getattr(complaint, name):
            values |= _variants(str(value))
    if complaint.messenger_id and ":" in complaint.messenger_id:
        values |= _variants(complaint.messenger_id.split(":", 1)[1])
    for event in events:
        if event.kind == "edited":
            for field, pair in (event.data or {}).items():
                if field in CORRECTED:
                    for value in pair or ():
                        if value:
                            values |= _variants(str(value))
    return sorted(values, key=lambda v: (-len(v), v))


def redact(text: str | None, values: list[str]) -> str | None:
    """`text` with every one of `values` (case aside) replaced by a mark."""
    if not text or not values:
        return text
    pattern = re.compile("|".join(re.escape(v) for v in values), re.IGNORECASE)
    return pattern.sub(REMOVED, text)


def _redact_data(data: Any, values: list[str], *, kind: str) -> Any:
    """A log entry's data with personal values gone: a correction's personal fields emptied, addresses dropped,
    every other text redacted."""
    if isinstance(data, dict):
        cleaned = {}
        for key, value in data.items():
            if key in ADDRESS_KEYS or (kind == "edited" and key in CORRECTED):
                cleaned[key] = [None, None] if kind == "edited" and key in CORRECTED else None
            else:
                cleaned[key] = _redact_data(value, values, kind=kind)
        return cleaned
    if isinstance(data, list):
        return [_redact_data(value, values, kind=kind) for value in data]
    if isinstance(data, str):
        return redact(data, values)
    return data


def _rewrite_log(events: list[ComplaintEvent], values: list[str]) -> None:
    """The complaint's log entries without the personal values. The log is append-only for the application; on
    PostgreSQL its entries are rewritten through scrub_log_entry, which changes only the body and data of an
    entry whose complaint has been anonymized (see tenants/rls.py)."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    for event in events:
        body = redact(event.body, values)
        data = _redact_data(event.data or {}, values, kind=event.kind)
        if body == event.body and data == (event.data or {}):
            continue
        if postgres:
            db.session.execute(
                sa.text("SELECT scrub_log_entry(:id, :body, CAST(:data AS jsonb))"),
                {"id": event.id, "body": body, "data": _json(data)},
            )
        else:
            db.session.execute(
                sa.update(ComplaintEvent)
                .where(ComplaintEvent.id == event.id)
                .values(body=body, data=data)
                .execution_options(synchronize_session=False)
            )
        db.session.expire(event)


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def anonymize(complaint: Complaint, actor: StaffMember | None, storage: Storage, *, reason: str) -> bool:
    """Remove the complainant's personal data from the complaint and everything it left elsewhere; one log
    entry says it happened and why ("retention" or "request"). False if it was done before. Refused on hold."""
    if complaint.anonymized_at is not None:
        return False
    if complaint.legal_hold:
        raise Refused(_l("This complaint is on legal hold: lift the hold before its personal data is removed."))
    events = list(
        db.session.scalars(
            sa.select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)
        )
    )
    # The customer's own files (those no staff member uploaded): their names are theirs too.
    files = list(
        db.session.scalars(
            sa.select(Attachment).where(Attachment.complaint_id == complaint.id, Attachment.uploaded_by_id.is_(None))
        )
    )
    values = sorted(
        set(personal_values(complaint, events)) | {f.filename for f in files if len(f.filename or "") >= _SHORTEST},
        key=lambda v: (-len(v), v),
    )
    chat = complaint.messenger_id
    _clear_record(complaint, values)
    _redact_handling(complaint.id, values)
    _remove_files(files, storage)
    _forget_messages(complaint.id, values, chat)
    db.session.flush()
    _rewrite_log(events, values)
    record(complaint, "anonymized", actor, data={"reason": reason})
    return True


def _clear_record(complaint: Complaint, values: list[str]) -> None:
    """The complaint's own columns: contacts emptied, its texts redacted, its own questions' answers but choices
    dropped, the search text rebuilt from what is left."""
    complaint.complainant_name = ""
    for name in PERSONAL:
        setattr(complaint, name, None)
    complaint.preferred_contact = None
    complaint.subject = redact(complaint.subject, values) or ""
    complaint.description = redact(complaint.description, values) or ""
    complaint.remedy_sought = redact(complaint.remedy_sought, values)
    complaint.answers = _kept_answers(complaint)
    complaint.search_text = build_search_text(complaint)
    complaint.anonymized_at = utcnow()
    db.session.flush()


def _redact_handling(complaint_id: int, values: list[str]) -> None:
    """Decisions, corrective actions and the rating's comment, without the personal values."""
    for decision in db.session.scalars(sa.select(Decision).where(Decision.complaint_id == complaint_id)):
        decision.reasons = redact(decision.reasons, values) or ""
        decision.legal_grounds = redact(decision.legal_grounds, values)
        decision.remedy = redact(decision.remedy, values)
    for action in db.session.scalars(sa.select(CorrectiveAction).where(CorrectiveAction.complaint_id == complaint_id)):
        action.description = redact(action.description, values) or ""
        action.root_cause_text = redact(action.root_cause_text, values)
        action.verification_note = redact(action.verification_note, values)
        action.deferred_reason = redact(action.deferred_reason, values)
    for rating in db.session.scalars(
        sa.select(SatisfactionRating).where(SatisfactionRating.complaint_id == complaint_id)
    ):
        rating.comment = redact(rating.comment, values)


def _remove_files(files: list[Attachment], storage: Storage) -> None:
    """The customer's files gone from the store, their names with them."""
    for attachment in files:
        if attachment.storage_key:
            storage.delete(attachment.storage_key)
        attachment.storage_key = ""
        attachment.filename = ""
        attachment.sha256 = ""


def _forget_messages(complaint_id: int, values: list[str], chat: str | None) -> None:
    """The notices sent about the complaint, the mails that came for it and the messenger chat it came from."""
    for notice in db.session.scalars(sa.select(Notice).where(Notice.complaint_id == complaint_id)):
        if notice.audience == "staff":
            # To a staff member's own address: kept, but what it said about the customer goes.
            notice.subject = redact(notice.subject, values) or ""
            notice.body = redact(notice.body, values) or ""
            notice.data = _redact_data(notice.data or {}, values, kind="notice")
            continue
        notice.recipient = ""
        notice.subject = ""
        notice.body = ""
        notice.data = {}
        notice.last_error = None
        if notice.status in (NoticeStatus.PENDING, NoticeStatus.SENDING):
            # Nobody to send it to any more.
            notice.status, notice.reason = NoticeStatus.FAILED, Reason.NO_WAY
    for mail in db.session.scalars(sa.select(InboundMail).where(InboundMail.complaint_id == complaint_id)):
        mail.sender = ""
        mail.subject = ""
    if chat and ":" in chat:
        provider, chat_id = chat.split(":", 1)
        db.session.execute(
            sa.delete(BotConversation).where(BotConversation.provider == provider, BotConversation.chat_id == chat_id)
        )
    db.session.flush()


def _kept_answers(complaint: Complaint) -> dict[str, Any]:
    from services.forms.models import FormVersion

    version = db.session.get(FormVersion, complaint.form_version_id) if complaint.form_version_id else None
    if version is None or not complaint.answers:
        return {}
    kinds = {item["key"]: item["type"] for item in version.fields}
    return {key: value for key, value in complaint.answers.items() if kinds.get(key) in KEPT_ANSWERS}


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (the last day of that month when it is shorter)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def expired(now: datetime) -> list[int]:
    """The organization's closed or withdrawn complaints past their retention time, not on hold, not done yet."""
    before = months_before(now, record_settings().retention_months)
    ended = sa.func.coalesce(Complaint.closed_at, Complaint.withdrawn_at)
    return list(
        db.session.scalars(
            sa.select(Complaint.id)
            .where(
                Complaint.state.in_([State.CLOSED.value, State.WITHDRAWN.value]),
                ended < before,
                Complaint.legal_hold.is_(False),
                Complaint.anonymized_at.is_(None),
            )
            .order_by(Complaint.id)
        )
    )


def set_hold(actor: StaffMember, complaint_id: int, held: bool, reason: str) -> bool:
    """Put the complaint on legal hold (kept whatever the retention time) or lift it; written to the log."""
    require(actor, Permission.MANAGE_PERSONAL_DATA)
    complaint = get_complaint(actor, complaint_id)
    reason = (reason or "").strip()
    if held and not reason:
        raise Refused(_l("Say why the complaint is held (a dispute, an inquiry, a court case)."), field="reason")
    if len(reason) > 500:
        raise Refused(_l("This is too long: at most %(n)s characters.", n=500), field="reason")
    if complaint.legal_hold == held:
        return False
    if held and complaint.anonymized_at is not None:
        raise Refused(_l("This complaint's personal data was already removed."))
    complaint.legal_hold = held
    record(complaint, "hold_set" if held else "hold_lifted", actor, body=reason or None)
    return True


def remove_expired_all(storage: Storage, now: datetime | None = None) -> int:
    """Every active organization's complaints past their retention time anonymized, each organization committed
    on its own (one that fails is logged and left for the next run)."""
    now = now or utcnow()
    done = 0
    for tenant in active_tenants():
        with tenant_scope(tenant.id):
            try:
                for complaint_id in expired(now):
                    complaint = db.session.get(Complaint, complaint_id)
                    if complaint is not None and anonymize(complaint, None, storage, reason="retention"):
                        done += 1
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("removing expired personal data failed", extra={"tenant_id": tenant.id})
    return done


def prune_all_sessions(now: datetime | None = None) -> int:
    """Every active organization's long-ended staff sessions deleted, each organization committed on its own."""
    return in_each_active_tenant(lambda: prune_sessions(now), "deleting old staff sessions failed")


def prune_all_security_logs(now: datetime | None = None) -> int:
    """Every active organization's security log lines older than KEEP_LOG deleted, each committed on its own."""
    return in_each_active_tenant(lambda: prune_security_log(now), "deleting old security log lines failed")


# A complainant's request: to see everything kept about them, or to have it erased.


@dataclass(frozen=True)
class Complainant:
    """Whom a request is about: any of the contacts they gave."""

    phone: str | None = None
    email: str | None = None
    national_id: str | None = None

    def __bool__(self) -> bool:
        return bool(self.phone or self.email or self.national_id)


def find_complainant(actor: StaffMember, tenant: Tenant, phone: str, email: str, national_id: str) -> Complainant:
    """The contacts typed by staff, normalized as registration stores them; Refused when one is not valid."""
    require(actor, Permission.MANAGE_PERSONAL_DATA)
    try:
        found = Complainant(
            phone=normalize_phone(phone, tenant.country) if phone.strip() else None,
            email=check_email(email) if email.strip() else None,
            national_id=check_national_id(national_id, tenant.country) if national_id.strip() else None,
        )
    except ContactError as exc:
        raise Refused(exc.message, field=exc.field) from exc
    if not found:
        raise Refused(_l("Type the complainant's phone number, e-mail address or national ID."), field="phone")
    return found


def complaints_of(actor: StaffMember, who: Complainant) -> list[Complaint]:
    """Every complaint of the organization by this complainant (by any of the contacts), oldest first."""
    require(actor, Permission.MANAGE_PERSONAL_DATA)
    matches = [
        getattr(Complaint, name) == value
        for name, value in (("phone", who.phone), ("email", who.email), ("national_id", who.national_id))
        if value
    ]
    if not matches:
        return []
    return list(db.session.scalars(sa.select(Complaint).where(sa.or_(*matches)).order_by(Complaint.received_at)))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in names}


_COMPLAINT_FIELDS = (
    "code", "kind", "state", "channel", "received_at", "registered_at", "complainant_name", "phone", "email",
    "national_id", "preferred_contact", "preferred_locale", "representative_name", "representative_relation",
    "subject", "description", "remedy_sought", "answers", "priority", "safety", "closed_at", "withdrawn_at",
)  # fmt: skip


def export_complainant(actor: StaffMember, who: Complainant) -> dict[str, Any]:
    """Everything the organization keeps about one complainant, complaint by complaint: the record, the log,
    decisions, corrective actions, the rating, the notices sent to them and the names of their files. The
    export is recorded (who, when, how many complaints)."""
    complaints = complaints_of(actor, who)
    found = []
    for c in complaints:
        found.append(
            {
                **_row(c, _COMPLAINT_FIELDS),
                "log": [
                    _row(e, ("at", "kind", "actor_kind", "body", "data", "customer_visible"))
                    for e in db.session.scalars(
                        sa.select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id).order_by(ComplaintEvent.id)
                    )
                ],
                "decisions": [
                    _row(d, ("cycle", "justified", "reasons", "legal_grounds", "remedy", "decided_at"))
                    for d in db.session.scalars(sa.select(Decision).where(Decision.complaint_id == c.id))
                ],
                "corrective_actions": [
                    _row(a, ("description", "status", "due_on", "done_at"))
                    for a in db.session.scalars(
                        sa.select(CorrectiveAction).where(CorrectiveAction.complaint_id == c.id)
                    )
                ],
                "ratings": [
                    _row(r, ("score", "comment", "rated_at"))
                    for r in db.session.scalars(
                        sa.select(SatisfactionRating).where(SatisfactionRating.complaint_id == c.id)
                    )
                ],
                "notices": [
                    _row(n, ("created_at", "channel", "recipient", "subject", "body", "status"))
                    for n in db.session.scalars(sa.select(Notice).where(Notice.complaint_id == c.id))
                ],
                "files": [
                    _row(a, ("filename", "content_type", "size", "uploaded_at"))
                    for a in db.session.scalars(
                        sa.select(Attachment).where(
                            Attachment.complaint_id == c.id, Attachment.uploaded_by_id.is_(None)
                        )
                    )
                ],
            }
        )
    db.session.add(
        ExportRecord(
            staff_member_id=actor.id,
            what="complainant",
            format="json",
            filters={k: v for k, v in vars(who).items() if v},
            rows=len(found),
            personal_data=True,
        )
    )
    return {
        "complainant": {k: v for k, v in vars(who).items() if v},
        "exported_at": utcnow().isoformat(),
        "complaints": found,
    }


def erase_complainant(actor: StaffMember, who: Complainant, storage: Storage) -> tuple[list[str], list[str]]:
    """The complainant's personal data removed from all their complaints on their request (recorded in each
    complaint's log); a complaint on legal hold is left as it is. (codes erased, codes held)."""
    erased, held = [], []
    for complaint in complaints_of(actor, who):
        if complaint.legal_hold:
            held.append(complaint.code)
            continue
        anonymize(complaint, actor, storage, reason="request")
        erased.append(complaint.code)
    return erased, held
