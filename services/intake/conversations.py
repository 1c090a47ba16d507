"""A complaint by messenger: a short conversation with the organization's bot (name, mobile, what happened)
registers it on channel "messenger", and `/status <code>` answers where a complaint stands."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from services.complaints.models import State
from services.complaints.registration import ComplaintInput, register_complaint
from services.connections.queries import bot_sender, messenger_sender, sms_sender
from services.contacts import ContactError, PreferredContact, normalize_phone
from services.gateways.base import DeliveryError, Outgoing
from services.gateways.bots import BOT_PROVIDERS
from services.gateways.messengers import MESSENGERS, rubika_update
from services.i18n import format_moment
from services.intake.models import BotConversation
from services.labels import STATE_WORDS
from services.tracking import CodeError, explain, format_code, shown_code
from tenants import throttle
from tenants.db import after_commit, db, hold_until_commit, utcnow
from tenants.errors import Refused
from tenants.models import LOCALES, Tenant
from tenants.text import normalize_text

log = logging.getLogger(__name__)
MAX_TEXT = 4000
# A conversation left this long starts over.
STALE = timedelta(hours=24)


def _conversation(provider: str, chat_id: str) -> BotConversation | None:
    return db.session.scalar(
        sa.select(BotConversation).where(BotConversation.provider == provider, BotConversation.chat_id == chat_id)
    )


def _status(text: str, tenant: Tenant, locale: str) -> str:
    from services.portal.operations import find_by_code

    typed = text.split(maxsplit=1)[1] if " " in text.strip() else ""
    if not typed:
        return _("Send /status and the tracking code, for example: /status 1234-5678-90128")
    try:
        complaint = find_by_code(typed)
    except CodeError as exc:
        return explain(exc)
    if complaint is None:
        return _("There is no complaint with this code here. Check it against your receipt.")
    words = STATE_WORDS[complaint.state]
    answer = f"{shown_code(format_code(complaint.code), locale)}: {words[0]}. {words[1]}"
    if complaint.next_due_at and State(complaint.state) != State.CLOSED:
        answer += " " + _("Next step by %(when)s.", when=format_moment(complaint.next_due_at, locale, tenant.timezone))
    return answer


def _reply_after_commit(tenant: Tenant, channel: str, recipient: str, text: str, locale: str | None = None) -> None:
    """Send the answer (in `locale`, the organization's by default) once what it speaks of is saved; its sender
    is read now, while the transaction is open. It answers what the customer just wrote, so it goes as a plain
    message, never as a notice's template (WhatsApp's 24-hour window is open)."""
    if channel in BOT_PROVIDERS:
        send = bot_sender(channel)
    elif channel in MESSENGERS:
        send = messenger_sender(channel)
    else:
        send = sms_sender()
    if send is None:
        return
    locale = locale or tenant.default_locale
    out = Outgoing(tenant.id, 0, channel, recipient, locale, "", text, tenant.name, in_reply=True)

    def release() -> None:
        try:
            send(out)
        except DeliveryError:
            log.warning("could not answer %s on %s", recipient, channel, extra={"tenant_id": tenant.id})

    after_commit(release)


def _typed(text: object) -> str:
    """What the customer wrote, as the portal's forms take it: no control characters or bidirectional overrides."""
    return (normalize_text(text if isinstance(text, str) else "", multiline=True) or "")[:MAX_TEXT]


def handle_sms(tenant: Tenant, sender: str, text: str) -> str | None:
    """One text message received by the organization's number (through its gateway); the answer, sent back
    through its provider after commit. None for a sender that is not a number we could answer."""
    try:
        phone = normalize_phone(sender, tenant.country)
    except ContactError:
        return None
    with force_locale(tenant.default_locale):
        answer = _answer(tenant, "sms", phone, _typed(text), tenant.default_locale)
    _reply_after_commit(tenant, "sms", phone, answer)
    return answer


def handle_rubika(tenant: Tenant, update: dict[str, Any]) -> str | None:
    """One update from the organization's Rubika bot; the same conversation, answered in the chat after commit."""
    found = rubika_update(update)
    if found is None:
        return None
    chat_id, text = found
    locale = tenant.default_locale
    with force_locale(locale):
        answer = _answer(tenant, "rubika", chat_id, _typed(text), locale)
    _reply_after_commit(tenant, "rubika", chat_id, answer, locale)
    return answer


def handle(tenant: Tenant, provider: str, update: dict[str, Any]) -> str | None:
    """One update from the bot's messenger; the answer, sent back to the chat after commit (None: nothing to
    answer)."""
    message = update.get("message") if isinstance(update, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        return None  # not a message (an edit, a callback, a join): nothing to answer
    chat_id = str(message["chat"].get("id", ""))[:40]
    text = _typed(message.get("text"))
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    language = str(sender.get("language_code") or "")[:2]
    locale = language if language in LOCALES else tenant.default_locale
    if not chat_id:
        return None
    with force_locale(locale):
        answer = _answer(tenant, provider, chat_id, text, locale)
    _reply_after_commit(tenant, provider, chat_id, answer, locale)
    return answer


def one_at_a_time(tenant: Tenant, provider: str, chat_id: str) -> None:
    """Take one chat's messages one after the other, until this transaction ends: a messenger may post several
    at the same moment (Telegram over up to 40 connections, WhatsApp a burst of photos), and each reads the
    conversation the other is changing."""
    hold_until_commit(f"chat:{tenant.id}:{provider}:{chat_id}")


def _answer(tenant: Tenant, provider: str, chat_id: str, text: str, locale: str) -> str:
    one_at_a_time(tenant, provider, chat_id)
    if text.startswith("/status"):
        # Looked up per chat or number, like the portal's lookups per visitor: codes cannot be tried in bulk.
        if not throttle.hit("chat_status", str(tenant.id), provider, chat_id):
            return _("Too many lookups from this chat. Wait a few minutes and try again.")
        return _status(text, tenant, locale)
    talk = _conversation(provider, chat_id)
    if talk is not None and utcnow() - talk.updated_at > STALE:
        db.session.delete(talk)
        db.session.flush()
        talk = None
    if text.startswith(("/start", "/new")) or talk is None:
        if talk is None:
            talk = BotConversation(provider=provider, chat_id=chat_id, step="name", data={})
            db.session.add(talk)
        talk.step, talk.data, talk.updated_at = "name", {"locale": locale}, utcnow()
        return _(
            "Hello. This is %(organization)s's complaint desk; filing a complaint costs nothing. What is your name?",
            organization=tenant.name,
        )
    if not text:
        return _("Please answer in words.")
    talk.updated_at = utcnow()
    return _STEPS.get(talk.step, _story)(talk, tenant, provider, text, locale)


def own_number(tenant: Tenant, provider: str, chat_id: str) -> str | None:
    """The mobile number a chat comes from, where its messenger vouches for it: a text message comes from the
    number we would answer, and WhatsApp names its chats by the number (its digits, without the "+")."""
    if provider == "sms":
        return chat_id
    if provider != "whatsapp":
        return None
    try:
        return normalize_phone("+" + chat_id, tenant.country)
    except ContactError:
        return None


def _name(talk: BotConversation, tenant: Tenant, provider: str, text: str, locale: str) -> str:
    talk.data = {**talk.data, "name": text[:200]}
    phone = own_number(tenant, provider, talk.chat_id)
    if phone:
        talk.data = {**talk.data, "phone": phone}
        talk.step = "story"
        return _("What happened? Write it in one message: when, where, and what you would like us to do.")
    talk.step = "phone"
    return _("Thank you. Your mobile number, so that we can reach you?")


def _phone(talk: BotConversation, tenant: Tenant, provider: str, text: str, locale: str) -> str:
    try:
        phone = normalize_phone(text, tenant.country)
    except ContactError as exc:
        return str(exc.message)
    talk.data = {**talk.data, "phone": phone}
    talk.step = "story"
    return _("What happened? Write it in one message: when, where, and what you would like us to do.")


def _story(talk: BotConversation, tenant: Tenant, provider: str, text: str, locale: str) -> str:
    data = dict(talk.data)
    if not throttle.hit("chat_filing", str(tenant.id), provider, talk.chat_id):
        db.session.delete(talk)
        return _(
            "This chat has filed several complaints today. Send /status and a code to follow one; to file "
            "another, write again tomorrow or use our website."
        )
    try:
        complaint = register_complaint(
            None,
            tenant,
            ComplaintInput(
                channel="sms" if provider == "sms" else "messenger",
                complainant_name=data.get("name", ""),
                subject=" ".join(text.split())[:80],
                description=text,
                phone=data.get("phone"),
                preferred_contact=(PreferredContact.SMS if provider == "sms" else PreferredContact.MESSENGER).value,
                preferred_locale=data.get("locale", locale),
                messenger_id=None if provider == "sms" else f"{provider}:{talk.chat_id}",
            ),
        )
    except Refused as exc:
        return str(exc.message)
    # Read by the caller once the conversation is gone (WhatsApp attaches the files sent along the way).
    talk.data = {**data, "complaint_id": complaint.id}
    db.session.delete(talk)
    return _(
        "Your complaint is registered. Its tracking code is %(code)s. Send /status %(code)s at any time to see "
        "where it stands.",
        code=shown_code(format_code(complaint.code), locale),
    )


_STEPS = {"name": _name, "phone": _phone, "story": _story}
