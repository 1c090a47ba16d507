"""A complaint by WhatsApp: what customers write to the organization's business number, as Meta posts it to our
callback (its signature checked before), runs the messengers' conversation; the number is WhatsApp's own, so it
is not asked. A customer with an open complaint and no conversation going adds to that complaint. Files come
through the media endpoint, under the attachment rules. WhatsApp's statuses of our notices are recorded on them.

Meta delivers again what it thinks was not taken: each message id is taken once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from services.complaints.log import record
from services.complaints.models import OPEN_STATES, Complaint
from services.complaints.operations import MAX_FILE_BYTES, attach_file
from services.connections.queries import whatsapp_media_reader, whatsapp_number_id
from services.files.checking import FileRejected, check_upload
from services.files.storage import storage_from_config
from services.gateways.base import DeliveryError, Reason
from services.gateways.messengers import whatsapp_changes
from services.intake.conversations import STALE, _answer, _conversation, _reply_after_commit, _typed, one_at_a_time
from services.intake.models import BotConversation, WhatsAppMessage
from services.intake.reading import guess_locale
from services.notifications.models import Notice, NoticeStatus
from services.portal.operations import customer_file, customer_message
from services.tracking import format_code, shown_code
from tenants.db import db, utcnow
from tenants.errors import Refused
from tenants.models import LOCALES, Tenant, in_each_active_tenant

log = logging.getLogger(__name__)
PROVIDER = "whatsapp"
# What a customer sends that is kept as a file (a voice message is audio, an OGG the attachment rules take).
FILE_TYPES = ("image", "document", "audio")
# What is no message to answer: a reaction to one of ours, the customer's number changed.
IGNORED_TYPES = ("reaction", "system")
# Files kept for a complaint still being told, attached once it is registered.
MAX_PENDING_FILES = 5
CODE_DIGITS = 13
# Meta stops delivering a message again after seven days; its id is kept a while longer, then let go.
KEEP_IDS = timedelta(days=30)
# The statuses a notice keeps as its receipt, in the order they happen (a later one never gives way to an earlier).
RECEIPTS = ("delivered", "read")
# WhatsApp's failures that say the number cannot be reached there, as opposed to the message being refused.
_NO_SUCH_NUMBER = {131026}


def handle_whatsapp(tenant: Tenant, payload: Any) -> int:
    """Everything one callback carries: each new message taken (once) and answered after commit, each status of
    a notice recorded. Another shape is no error: Meta would send it again forever. Returns the messages taken."""
    taken = 0
    for value in whatsapp_changes(payload, whatsapp_number_id()):
        messages = value.get("messages") if isinstance(value.get("messages"), list) else []
        for message in messages:
            if not isinstance(message, dict):
                continue
            try:
                with db.session.begin_nested():
                    taken += _take(tenant, message)
            except Exception:
                # One message we cannot take never holds back the others, nor makes Meta send them all again.
                log.exception("a WhatsApp message not taken", extra={"tenant_id": tenant.id})
        statuses = value.get("statuses") if isinstance(value.get("statuses"), list) else []
        for status in statuses:
            if not isinstance(status, dict):
                continue
            try:
                with db.session.begin_nested():
                    _receipt(status)
                    db.session.flush()
            except Exception:
                # A status we cannot record never costs the messages beside it.
                log.exception("a WhatsApp status not recorded", extra={"tenant_id": tenant.id})
    return taken


def _first_time(message_id: str) -> bool:
    """Whether this message id is new here; kept in its own savepoint, so a second delivery finds it."""
    try:
        with db.session.begin_nested():
            db.session.add(WhatsAppMessage(message_id=message_id))
            db.session.flush()
    except sa.exc.IntegrityError:
        return False
    return True


def _take(tenant: Tenant, message: dict[str, Any]) -> bool:
    message_id = str(message.get("id") or "")[:200]
    wa_id = str(message.get("from") or "")
    if not message_id or not (wa_id.isascii() and wa_id.isdigit()) or len(wa_id) > 20:
        return False
    # Meta posts a customer's burst (several photos picked at once) as deliveries at the same moment: one chat's
    # are taken one after the other, so none reads the conversation another is changing.
    one_at_a_time(tenant, PROVIDER, wa_id)
    if not _first_time(message_id):
        return False
    kind = message.get("type")
    if kind in IGNORED_TYPES:
        return True
    body = message.get(kind) if isinstance(kind, str) and isinstance(message.get(kind), dict) else {}
    if kind == "text":
        text = _typed(body.get("body"))
    elif kind == "button":  # a tap on a quick-reply button of a template: its words, as if typed
        text = _typed(body.get("text"))
    else:
        text = _typed(body.get("caption")) if kind in FILE_TYPES else ""
    media_id = body.get("id") if kind in FILE_TYPES else None
    talk = _talking(wa_id)
    complaint = _open_complaint(wa_id) if talk is None else None
    locale = _locale(tenant, text, talk, complaint)
    with force_locale(locale):
        if kind in ("text", "button") or isinstance(media_id, str | int):
            media = (
                None
                if media_id is None
                else {"id": str(media_id)[:200], "filename": _typed(body.get("filename"))[:200]}
            )
            answer = _conversation_turn(tenant, wa_id, text, media, locale, talk, complaint)
        else:
            answer = _(
                "Only text, photos, documents and voice messages are taken here. Please write your message in words."
            )
    _reply_after_commit(tenant, PROVIDER, wa_id, answer, locale)
    return True


def _locale(tenant: Tenant, text: str, talk: BotConversation | None, complaint: Complaint | None) -> str:
    """WhatsApp sends no language: the one the letters plainly say (Persian, Kazakh or Russian), else the one
    the conversation or the customer's open complaint is in, else the organization's. A conversation in Kazakh
    stays in Kazakh when a message has no letter only Kazakh has. A clear guess is kept on the conversation."""
    kept = (talk.data.get("locale") if talk is not None else None) or (
        complaint.preferred_locale if complaint is not None else None
    )
    guessed = guess_locale(text, "")
    if guessed in ("fa", "kk", "ru") and not (kept == "kk" and guessed == "ru"):
        if talk is not None and kept != guessed:
            talk.data = {**talk.data, "locale": guessed}
        return guessed
    return kept if kept in LOCALES else tenant.default_locale


def _open_complaint(wa_id: str) -> Complaint | None:
    """The customer's latest complaint still open, registered from this WhatsApp number."""
    return db.session.scalar(
        sa.select(Complaint)
        .where(Complaint.messenger_id == f"{PROVIDER}:{wa_id}", Complaint.state.in_([s.value for s in OPEN_STATES]))
        .order_by(Complaint.id.desc())
        .limit(1)
    )


def _only_a_code(text: str) -> bool:
    """Whether a message is a tracking code and nothing else (any digits, the separators a code is written
    with): asked where it stands, as /status is. A mistyped one is told what is wrong with it."""
    return _digits(text) >= CODE_DIGITS - 3 and all(char.isdigit() or char in " -.‐‑‒–" for char in text)


def _digits(text: str) -> int:
    return sum(char.isdigit() for char in text)


def _talking(wa_id: str) -> BotConversation | None:
    talk = _conversation(PROVIDER, wa_id)
    return talk if talk is not None and utcnow() - talk.updated_at <= STALE else None


def _conversation_turn(  # noqa: PLR0917 - the message, and what _take read about the chat once
    tenant: Tenant,
    wa_id: str,
    text: str,
    media: dict | None,
    locale: str,
    talk: BotConversation | None,
    complaint: Complaint | None,
) -> str:
    """`talk`: the conversation going on, if any; `complaint`: without one, the customer's open complaint."""
    complaint = complaint if not text.startswith("/") else None
    # A customer with an open complaint who sends a number that is not a whole code (their phone, an invoice's)
    # is adding to it; anyone else is asking where a complaint stands, and a mistyped code is explained.
    if talk is None and _only_a_code(text) and (complaint is None or _digits(text) == CODE_DIGITS):
        return _answer(tenant, PROVIDER, wa_id, f"/status {text}", locale)
    if complaint is not None:
        return _add_to(tenant, complaint, text, media, locale)
    if media is not None and not text:
        answer = _answer(tenant, PROVIDER, wa_id, "", locale) if talk is None else ""
        talk = _talking(wa_id)
        if talk is None:
            return answer
        files = list(talk.data.get("files") or [])
        if len(files) >= MAX_PENDING_FILES:
            return answer or _("No more files are kept before the complaint is registered; send the others once it is.")
        talk.data = {**talk.data, "files": [*files, media]}
        talk.updated_at = utcnow()
        return answer or _("The file is kept, and will be attached to your complaint once it is registered.")
    pending = list(talk.data.get("files") or []) if talk is not None else []
    answer = _answer(tenant, PROVIDER, wa_id, text, locale)
    if talk is not None and talk.data.get("complaint_id"):
        complaint = db.session.get(Complaint, talk.data["complaint_id"])
        files = [*pending, media] if media is not None else pending
        refused = [reason for item in files if (reason := _attach(tenant, complaint, item, new=True))]
        if refused:
            answer += "\n" + _("A file could not be attached: %(reason)s", reason=refused[0])
    elif media is not None and (current := _talking(wa_id)) is not None:
        kept = list(current.data.get("files") or [])
        if len(kept) < MAX_PENDING_FILES:
            current.data = {**current.data, "files": [*kept, media]}
        else:
            answer += "\n" + _("No more files are kept before the complaint is registered; send the others once it is.")
    return answer


def _add_to(tenant: Tenant, complaint: Complaint, text: str, media: dict | None, locale: str) -> str:
    """The customer's message (and file) on their open complaint, as the portal adds one."""
    code = shown_code(format_code(complaint.code), locale)
    if not text and media is None:
        return _("Please answer in words.")  # nothing left of it once control characters are gone
    try:
        if text:
            customer_message(tenant, complaint, text)
    except Refused as exc:
        return str(exc.message)
    if media is not None and (reason := _attach(tenant, complaint, media, new=False)):
        return _("The file could not be added to your complaint %(code)s: %(reason)s", code=code, reason=reason)
    return _("Added to your complaint %(code)s; its handler is told. To file another complaint, send /new.", code=code)


def _attach(tenant: Tenant, complaint: Complaint, media: dict, *, new: bool) -> str | None:
    """Fetch a file the customer sent and keep it on the complaint under the attachment rules; why not, or None.
    A refused one is noted in the complaint's log, as a refused mail attachment is."""
    read = whatsapp_media_reader()
    if read is None:
        return _("WhatsApp is not connected any more.")
    try:
        data, _mime = read(media["id"], MAX_FILE_BYTES)
        upload = check_upload(data, media.get("filename") or None, max_bytes=MAX_FILE_BYTES)
        storage = storage_from_config(current_app.config["UPLOAD_STORAGE"])
        if new:
            attach_file(None, complaint, upload, storage, customer_visible=True, actor_kind="customer")
        else:
            customer_file(tenant, complaint, upload, storage)
    except FileRejected as exc:
        record(complaint, "file_refused", None, data={"filename": media.get("filename", ""), "reason": exc.reason})
        return str(exc.message)
    except DeliveryError:
        log.warning("a file could not be fetched from WhatsApp", extra={"tenant_id": tenant.id})
        return _("the file could not be fetched from WhatsApp; please send it again.")
    except Refused as exc:
        return str(exc.message)
    return None


def _receipt(status: dict[str, Any]) -> None:
    """What WhatsApp says of a message we sent, recorded on its notice: delivered or read, or failed after all
    (only while the notice stands as sent: a late word on an earlier attempt never undoes a retry)."""
    message_id = str(status.get("id") or "")[:120]
    state = status.get("status")
    if not message_id or state not in (*RECEIPTS, "failed"):
        return
    notice = db.session.scalar(sa.select(Notice).where(Notice.channel == PROVIDER, Notice.provider_id == message_id))
    if notice is None:
        return  # an answer in a conversation, or a notice of before: nothing kept to record it on
    if state in RECEIPTS:
        if notice.receipt not in RECEIPTS or RECEIPTS.index(state) > RECEIPTS.index(notice.receipt):
            notice.receipt = state
        return
    if notice.status != NoticeStatus.SENT:
        return
    errors = status.get("errors") if isinstance(status.get("errors"), list) else []
    error = errors[0] if errors and isinstance(errors[0], dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    notice.status = NoticeStatus.FAILED
    notice.reason = Reason.ADDRESS_REFUSED if code in _NO_SUCH_NUMBER else Reason.REFUSED
    said = _typed(error.get("title")) or _typed(error.get("message")) or "failed"
    notice.last_error = f"WhatsApp {code if code is not None else '?'}: {' '.join(said.split())}"[:1000]


def forget_message_ids(now: datetime | None = None) -> int:
    """Delete the tenant's message ids kept longer than KEEP_IDS (no delivery of them can come again); how many."""
    cutoff = (now or utcnow()) - KEEP_IDS
    return db.session.execute(sa.delete(WhatsAppMessage).where(WhatsAppMessage.received_at < cutoff)).rowcount or 0


def forget_all_message_ids(now: datetime | None = None) -> int:
    """Every active organization's old message ids deleted, each organization committed on its own."""
    return in_each_active_tenant(lambda: forget_message_ids(now), "deleting old WhatsApp message ids failed")
