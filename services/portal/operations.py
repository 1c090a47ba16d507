"""The customer's side of a complaint: filing on the tenant's form, tracking by code, proving to be the
complainant, and the customer's answers (a message, a file, accept, reject, withdraw, rate)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from services.complaints import lifecycle
from services.complaints.filing import file_on_form
from services.complaints.lifecycle import Action
from services.complaints.log import record
from services.complaints.models import (
    OPEN_STATES,
    Attachment,
    Complaint,
    ComplaintEvent,
    IntakeChannel,
    SatisfactionRating,
    State,
    TrackingCode,
)
from services.complaints.operations import attach_file, repeated_entry
from services.complaints.registration import ComplaintInput
from services.complaints.timeline import CustomerEntry, describe_for_customer
from services.files.checking import CheckedFile
from services.files.storage import Storage
from services.forms.answers import answered_fields
from services.forms.models import FormVersion
from services.forms.schema import core_state, published
from services.i18n import number

# The portal reads back the links its notices carry (web/portal/views.py calls portal.complaint_id_from_link).
from services.notifications.links import complaint_id_from_link  # noqa: F401
from services.notifications.outbox import notify_customer, usable_channels
from services.notifications.staff import tell_handler
from services.portal.models import CustomerProof
from services.tracking import parse_code
from tenants.context import platform_scope
from tenants.db import db, utcnow
from tenants.errors import Duplicate, NotAllowed, NotFound, Refused
from tenants.models import StaffMember, Tenant

log = logging.getLogger(__name__)

PROOF_DIGITS = 6
PROOF_LIFETIME = timedelta(minutes=10)
MAX_MESSAGE = 5000
MAX_REASON = 2000
# The core fields as ComplaintInput names them; "attachments" is the form's, not the record's.
_CORE_INPUTS = {
    "phone": "phone",
    "email": "email",
    "national_id": "national_id",
    "preferred_contact": "preferred_contact",
    "representative_name": "representative_name",
    "remedy_sought": "remedy_sought",
    "category_id": "category_id",
}


# Filing


def file_complaint(
    tenant: Tenant,
    data: ComplaintInput,
    values: dict[str, Any],
    files: list[CheckedFile],
    storage: Storage,
    *,
    field_files: dict[str, list[CheckedFile]] | None = None,
) -> Complaint:
    """A complaint from the portal, on the tenant's published form; the acknowledgement notice is queued.

    `values` are the answers to the tenant's own fields, `files` the attachments and `field_files` the files
    given to the tenant's own file fields (their answers are the files' ids), all already checked.
    """
    version = published()
    data = replace(data, channel=IntakeChannel.WEB.value)
    _apply_core(version, data, files)
    if not data.phone and not data.email:
        # The answer, the one-time codes and every notice need a way back to the customer.
        raise Refused(_l("Give a mobile phone or an e-mail address so that we can answer you."), field="phone")
    return file_on_form(
        None, tenant, data, values=values, files=files, storage=storage, version=version, field_files=field_files
    )


def find_by_submission_key(key: str | None) -> Complaint | None:
    """The complaint a form with this one-time key already filed, if any."""
    if not key:
        return None
    return db.session.scalar(sa.select(Complaint).where(Complaint.submission_key == key))


def _apply_core(version: FormVersion | None, data: ComplaintInput, files: list[CheckedFile]) -> None:
    """Hidden core fields are dropped; required ones must be answered."""
    for name, attribute in _CORE_INPUTS.items():
        state = core_state(version, name)
        if state == "hidden":
            setattr(data, attribute, None)
        elif state == "required" and getattr(data, attribute) in (None, ""):
            raise Refused(_l("This field is required."), field=attribute)
    if core_state(version, "attachments") == "required" and not files:
        raise Refused(_l("Attach at least one file."), field="attachments")
    if core_state(version, "attachments") == "hidden" and files:
        raise Refused(_l("This form takes no files."), field="attachments")


# Finding a complaint by its code


def find_by_code(text: str) -> Complaint | None:
    """The tenant's complaint with this code, or None (unknown and another tenant's look the same).

    Raises CodeError when the code cannot be right (a typo), before any lookup.
    """
    code = parse_code(text)
    return db.session.scalar(sa.select(Complaint).where(Complaint.code == code))


_TENANT_OF_CODE = sa.text("SELECT tenant_of_code(:code)")


def tenant_for_code(text: str) -> Tenant | None:
    """The organization that issued a code (codes are unique across tenants), for the slug-less /track.

    The one cross-tenant read of the portal, in the platform scope. On PostgreSQL the application role reads
    no other tenant's row: it asks `tenant_of_code`, a function owned by the tables' owner that answers only
    the tenant id of one exact code. Raises CodeError for a code that cannot be right.
    """
    code = parse_code(text)
    with platform_scope():
        if db.session.get_bind().dialect.name == "postgresql":
            tenant_id = db.session.scalar(_TENANT_OF_CODE, {"code": code})
        else:
            tenant_id = db.session.scalar(sa.select(TrackingCode.tenant_id).where(TrackingCode.code == code))
        tenant = db.session.get(Tenant, tenant_id) if tenant_id is not None else None
    return tenant if tenant is not None and tenant.is_active else None


def get_for_customer(complaint_id: int) -> Complaint:
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound(_l("There is no such complaint."))
    return complaint


# Proof of being the complainant


@dataclass(frozen=True)
class ContactChoice:
    channel: str  # "sms" or "email"
    masked: str  # what the page shows of the address


def mask(channel: str, address: str) -> str:
    """Enough of a phone or an address for its owner to recognize it, and no more."""
    if channel == "sms":
        return address[:4] + "•" * max(len(address) - 6, 0) + address[-2:]
    name, _, domain = address.partition("@")
    return f"{name[:1]}•••@{domain}"


def contact_choices(complaint: Complaint) -> list[ContactChoice]:
    """Where a one-time code can be sent: the phone and the e-mail on file."""
    choices = []
    usable = usable_channels()
    if complaint.phone and "sms" in usable:
        choices.append(ContactChoice("sms", mask("sms", complaint.phone)))
    if complaint.email and "email" in usable:
        choices.append(ContactChoice("email", mask("email", complaint.email)))
    return choices


def _hash(proof_id: int, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{proof_id}:{code}".encode(), hashlib.sha256).hexdigest()


def send_proof(complaint: Complaint, channel: str) -> str:
    """Queue a fresh one-time code to the phone or e-mail on file; returns the code (for the development log).

    Earlier unused codes of the complaint stop working.
    """
    address = {"sms": complaint.phone, "email": complaint.email}.get(channel)
    if not address:
        raise Refused(_l("Choose where to send the code."), field="channel")
    now = utcnow()
    for old in db.session.scalars(
        sa.select(CustomerProof).where(CustomerProof.complaint_id == complaint.id, CustomerProof.used_at.is_(None))
    ):
        old.used_at = now
    code = f"{secrets.randbelow(10**PROOF_DIGITS):0{PROOF_DIGITS}d}"
    proof = CustomerProof(complaint_id=complaint.id, channel=channel, code_hash="", expires_at=now + PROOF_LIFETIME)
    db.session.add(proof)
    db.session.flush()
    proof.code_hash = _hash(proof.id, code)
    notify_customer(complaint, "verification_code", key=str(proof.id), data={"code": code}, address=(channel, address))
    return code


def check_proof(complaint: Complaint, code: str) -> bool:
    """Whether `code` is the complaint's latest unexpired one-time code; a right code is used up."""
    code = "".join(ch for ch in code if ch.isdigit())
    proof = db.session.scalar(
        sa.select(CustomerProof)
        .where(CustomerProof.complaint_id == complaint.id, CustomerProof.used_at.is_(None))
        .order_by(CustomerProof.id.desc())
        .limit(1)
    )
    now = utcnow()
    if proof is None or proof.expires_at <= now:
        return False
    if not hmac.compare_digest(proof.code_hash, _hash(proof.id, code)):
        return False
    proof.used_at = now
    return True


# The customer's answers


def _handler_told(tenant: Tenant, complaint: Complaint, event: str, key: str) -> None:
    tell_handler(complaint, event, key=key, default_locale=tenant.default_locale)


def _text(value: str, limit: int, field: str, missing: str) -> str:
    text = (value or "").strip()
    if not text:
        raise Refused(missing, field=field)
    if len(text) > limit:
        raise Refused(_l("At most %(n)s characters.", n=number(limit)), field=field)
    return text


def customer_message(tenant: Tenant, complaint: Complaint, body: str) -> ComplaintEvent:
    """The customer adds to the complaint; the handler is told."""
    lifecycle.check_customer(complaint, Action.MESSAGE)
    text = _text(body, MAX_MESSAGE, "body", str(_l("Write your message.")))
    repeated = repeated_entry(complaint, None, "customer_message", text)
    if repeated is not None:
        return repeated  # the same message sent twice
    event = record(complaint, "customer_message", None, body=text, customer_visible=True, actor_kind="customer")
    db.session.flush()
    _handler_told(tenant, complaint, "customer_replied", str(event.id))
    return event


def customer_file(tenant: Tenant, complaint: Complaint, upload: CheckedFile, storage: Storage) -> Attachment:
    """The customer adds a file; logged, and the handler is told."""
    if State(complaint.state) not in OPEN_STATES:
        raise NotAllowed(_l("This cannot be done while the complaint is in its present state."))
    attachment = attach_file(None, complaint, upload, storage, customer_visible=True, actor_kind="customer")
    _handler_told(tenant, complaint, "customer_replied", f"file-{attachment.id}")
    return attachment


def accept(tenant: Tenant, complaint: Complaint) -> None:
    """The customer accepts the answer: closed, and the closing notice carries the satisfaction link."""
    lifecycle.close(None, complaint, None, None)
    _handler_told(tenant, complaint, "customer_accepted", str(complaint.cycle))


def reject(tenant: Tenant, complaint: Complaint, reason: str) -> None:
    """The customer rejects the answer: back to investigation, a new cycle (the seed's 4-5)."""
    text = _text(reason, MAX_REASON, "reason", str(_l("Write why the answer does not satisfy you.")))
    lifecycle.reopen(None, tenant, complaint, text)
    _handler_told(tenant, complaint, "customer_rejected", str(complaint.cycle))


def withdraw(tenant: Tenant, complaint: Complaint, reason: str) -> None:
    """The customer withdraws the complaint."""
    text = _text(reason, MAX_REASON, "reason", str(_l("Write why you withdraw the complaint.")))
    lifecycle.withdraw(None, complaint, text, None)
    _handler_told(tenant, complaint, "customer_withdrew", str(complaint.cycle))


def existing_rating(complaint: Complaint) -> SatisfactionRating | None:
    return db.session.scalar(sa.select(SatisfactionRating).where(SatisfactionRating.complaint_id == complaint.id))


def rate(complaint: Complaint, score: int, comment: str | None) -> SatisfactionRating:
    """The customer's rating of the handling, once per complaint, after closing (ISO 10004)."""
    if complaint.state != State.CLOSED:
        raise NotAllowed(_l("The handling can be rated once the complaint is closed."))
    if score not in range(1, 6):
        raise Refused(_l("Choose from 1 to 5."), field="score")
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > MAX_MESSAGE:
        raise Refused(_l("At most %(n)s characters.", n=number(MAX_MESSAGE)), field="comment")
    found = existing_rating(complaint)
    if found is not None:
        raise Duplicate(_l("You have already rated this complaint. Thank you."), existing_id=found.id)
    rating = SatisfactionRating(complaint_id=complaint.id, score=score, comment=comment)
    db.session.add(rating)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        found = existing_rating(complaint)
        raise Duplicate(
            _l("You have already rated this complaint. Thank you."), existing_id=found.id if found else 0
        ) from None
    record(complaint, "rated", None, data={"score": score}, body=comment, actor_kind="customer")
    return rating


# What the status page shows


def customer_timeline(complaint: Complaint, *, proven: bool, names: bool) -> list[CustomerEntry]:
    """The steps the customer may see, described in the customer's words: their texts and files only to whoever
    proved they filed it (`proven`), the staff's names only where the organization shows them (`names`)."""
    e = ComplaintEvent
    # Rows of the columns the page shows: lighter than whole entries.
    rows = list(
        db.session.execute(
            sa.select(e.kind, e.at, e.data, e.body, e.actor_id)
            .where(e.complaint_id == complaint.id, e.customer_visible.is_(True))
            .order_by(e.id)
        )
    )
    staff = staff_names({row.actor_id for row in rows if row.actor_id}) if names else {}
    return describe_for_customer(rows, staff, proven=proven)


def customer_files(complaint: Complaint) -> list[Attachment]:
    """The files the customer may see."""
    return list(
        db.session.scalars(
            sa.select(Attachment)
            .where(Attachment.complaint_id == complaint.id, Attachment.customer_visible.is_(True))
            .order_by(Attachment.id)
        )
    )


def visible_file(complaint: Complaint, attachment_id: int) -> Attachment:
    """One file the customer may see; NotFound otherwise."""
    attachment = db.session.scalar(
        sa.select(Attachment).where(
            Attachment.id == attachment_id,
            Attachment.complaint_id == complaint.id,
            Attachment.customer_visible.is_(True),
        )
    )
    if attachment is None:
        raise NotFound(_l("There is no such file."))
    return attachment


def customer_answers(complaint: Complaint) -> list[tuple[dict[str, Any], Any]]:
    """The answers to the tenant's own fields that the customer gave, under the labels they were given on."""
    version = db.session.get(FormVersion, complaint.form_version_id) if complaint.form_version_id else None
    answered = answered_fields(version, complaint.answers)
    return [(item, value) for item, value in answered if item["audience"] == "customer"]


def staff_names(ids: set[int]) -> dict[int, StaffMember]:
    """The staff members who took the steps shown, for a tenant that shows their names."""
    if not ids:
        return {}
    return {m.id: m for m in db.session.scalars(sa.select(StaffMember).where(StaffMember.id.in_(ids)))}
