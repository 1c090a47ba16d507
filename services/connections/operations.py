"""The tenant's connections as its admins set them up: each tried where it can be, saved with its secret
sealed, never shown back but for its last characters."""

from __future__ import annotations

import secrets
from urllib.parse import SplitResult, urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from services.connections.models import Connection
from services.connections.queries import connection, digest, forget, stored
from services.contacts import ContactError, check_email
from services.gateways import addresses, bots, mailbox, messengers
from services.gateways.base import DeliveryError
from services.gateways.bots import BOT_PROVIDERS
from services.gateways.messengers import MESSENGERS
from services.gateways.secrets import seal, unseal
from services.gateways.sms import PROVIDERS
from services.i18n import number
from tenants.db import db, utcnow
from tenants.errors import Refused
from tenants.models import StaffMember
from tenants.roles import Permission, require

MAX_SECRET = 500


def _store(
    row: Connection | None,
    kind: str,
    provider: str,
    settings: dict,
    secret: str = "",
    *,
    hint: str | None = None,
) -> Connection:
    """Save a connection: its plain settings, and its secret sealed when a new one is given (blank keeps the old)."""
    if row is None:
        row = Connection(kind=kind)
        db.session.add(row)
    row.provider, row.settings = provider, settings
    if secret:
        row.secret_encrypted = seal(secret)
        row.secret_hint = secret[-4:] if hint is None else hint
    row.is_active = True
    row.updated_at = utcnow()
    forget(kind)
    return row


# Why a mailbox cannot be opened, in the reader's words (the keys of services.gateways.mailbox.REASONS).
MAILBOX_REASONS = {
    "refused": _l("its address is inside a private network, where the service does not connect"),
    "unreachable": _l("the server is unreachable"),
    "timeout": _l("the server did not answer in time"),
    "login": _l("the server refused the login"),
    "folder": _l("there is no such folder"),
    "failed": _l("the server did not answer as a mailbox server does"),
}


def _public(host: str, port: int, field: str) -> None:
    """Refuse a server that resolves inside a private network (each connection is checked again)."""
    try:
        addresses.check_host(host, port)
    except addresses.RefusedAddress as exc:
        raise Refused(
            _l("This address is inside a private network: the service connects only to servers on the internet."),
            field=field,
        ) from exc


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:  # not a number, or out of range
        return -1


def _url(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    parts = urlsplit(value)
    port = _port(parts)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(value) > 300 or port == -1:
        raise Refused(_l("Give an address that starts with https://."), field=field)
    _public(parts.hostname, port or (443 if parts.scheme == "https" else 80), field)
    return value


def save_sms_gateway(
    actor: StaffMember, *, provider: str, sender: str = "", base_url: str = "", secret: str = ""
) -> Connection:
    """The text-message provider and its credentials; a blank secret keeps the one already saved."""
    require(actor, Permission.MANAGE_SETTINGS)
    chosen = PROVIDERS.get(provider)
    if chosen is None:
        raise Refused(_l("Choose from the list."), field="provider")
    sender = " ".join((sender or "").split())
    if chosen.needs_sender and not sender:
        raise Refused(_l("Give the sender line your provider gave you."), field="sender")
    if len(sender) > 40:
        raise Refused(_l("At most %(n)s characters.", n=number(40)), field="sender")
    url = _url(base_url, "base_url")
    if provider == "http" and not url:
        raise Refused(_l("Give the gateway's address."), field="base_url")
    secret = (secret or "").strip()
    if len(secret) > MAX_SECRET:
        raise Refused(_l("At most %(n)s characters.", n=number(MAX_SECRET)), field="secret")
    row = stored("sms")
    if row is None and not secret and provider != "http":
        raise Refused(_l("Give the API key."), field="secret")
    if row is not None and row.provider != provider and not secret and provider != "http":
        raise Refused(_l("Give the API key of the new provider."), field="secret")
    # The inbound token stays with the connection when its provider or key changes.
    inbound = {"inbound_digest": row.settings["inbound_digest"]} if row and "inbound_digest" in row.settings else {}
    return _store(row, "sms", provider, {"sender": sender, "base_url": url, **inbound}, secret)


def remove_connection(actor: StaffMember, kind: str) -> None:
    require(actor, Permission.MANAGE_SETTINGS)
    db.session.execute(sa.delete(Connection).where(Connection.kind == kind))
    forget(kind)


def save_webhook(actor: StaffMember, *, url: str, secret: str = "") -> Connection:
    """Where the organization's own systems hear of every complaint event, and the secret that signs it; a
    blank secret keeps the one already saved."""
    require(actor, Permission.MANAGE_SETTINGS)
    url = _url(url, "webhook_url")
    if not url:
        raise Refused(_l("Give the gateway's address."), field="webhook_url")
    secret = (secret or "").strip()
    if len(secret) > MAX_SECRET:
        raise Refused(_l("At most %(n)s characters.", n=number(MAX_SECRET)), field="webhook_secret")
    if secret and len(secret) < 16:
        raise Refused(_l("A signing secret needs at least 16 characters."), field="webhook_secret")
    row = stored("webhook")
    if row is None and not secret:
        raise Refused(_l("A signing secret needs at least 16 characters."), field="webhook_secret")
    return _store(row, "webhook", "http", {"url": url}, secret)


def save_bot(actor: StaffMember, *, provider: str, token: str, webhook_url: str) -> Connection:
    """Connect the organization's bot: the token sealed, the bot told where to post its updates, with a fresh
    secret it must present on each (only its digest is kept)."""
    require(actor, Permission.MANAGE_SETTINGS)
    if provider == "rubika":
        return save_rubika(actor, token=token, webhook_url=webhook_url)
    if provider not in BOT_PROVIDERS:
        raise Refused(_l("Choose from the list."), field="bot_provider")
    token = (token or "").strip()
    row = connection(provider)
    if not token and row is None:
        raise Refused(_l("Give the bot's token."), field="bot_token")
    if len(token) > MAX_SECRET:
        raise Refused(_l("At most %(n)s characters.", n=number(MAX_SECRET)), field="bot_token")
    token = token or (unseal(row.secret_encrypted) or "")
    base_url = (row.settings or {}).get("base_url") if row is not None else None
    base_url = base_url or current_app.config["BOT_API_URLS"].get(provider) or BOT_PROVIDERS[provider][1]
    hook_secret = secrets.token_urlsafe(32)
    try:
        bots.call(base_url, token, "setWebhook", {"url": webhook_url, "secret_token": hook_secret})
        me = bots.call(base_url, token, "getMe", {})
    except DeliveryError as exc:
        raise Refused(_l("The messenger refused the bot: %(error)s", error=str(exc)), field="bot_token") from exc
    settings = {
        "base_url": base_url,
        "hook_digest": digest(hook_secret),
        "username": me.get("username", "") if isinstance(me, dict) else "",
    }
    return _store(row, provider, provider, settings, token)


def new_sms_inbound_token(actor: StaffMember) -> str:
    """A fresh token for the gateway to present when it posts a received text message; shown once, only its
    digest kept. Needs the text-message provider to be set up (the answers go out through it)."""
    require(actor, Permission.MANAGE_SETTINGS)
    row = stored("sms")
    if row is None:
        raise Refused(_l("Set up the text-message provider first: the answers go out through it."))
    token = secrets.token_urlsafe(32)
    row.settings = {**(row.settings or {}), "inbound_digest": digest(token)}
    row.updated_at = utcnow()
    return token


def save_mail_server(actor: StaffMember, *, url: str = "", sender: str = "") -> Connection:
    """The organization's own mail server (smtp:// or smtps://, with its login) and the address its e-mails come
    from; a blank address keeps the server already saved."""
    require(actor, Permission.MANAGE_SETTINGS)
    sender = " ".join((sender or "").split())
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip() if sender else ""
    try:
        check_email(address)
    except ContactError as exc:
        raise Refused(_l("Give the address your e-mails come from."), field="mail_sender") from exc
    if len(sender) > 200:
        raise Refused(_l("At most %(n)s characters.", n=number(200)), field="mail_sender")
    url = (url or "").strip()
    row = stored("email")
    parts = urlsplit(url)
    if (url or row is None) and (
        parts.scheme not in ("smtp", "smtps") or not parts.hostname or len(url) > MAX_SECRET or _port(parts) == -1
    ):
        raise Refused(_l("Give the server as smtp://user:password@host:587 or smtps://…:465."), field="mail_url")
    if url:
        _public(parts.hostname or "", _port(parts) or (465 if parts.scheme == "smtps" else 25), "mail_url")
    host = parts.hostname if url else (row.settings or {}).get("host")
    return _store(row, "email", "smtp", {"sender": sender, "host": host}, url, hint="")


def save_mailbox(actor: StaffMember, *, url: str = "") -> Connection:
    """The organization's mailbox (imap:// or imaps://, with its login and folder), tried before it is kept: new
    mail there becomes complaints. A blank address keeps the mailbox already saved."""
    require(actor, Permission.MANAGE_SETTINGS)
    url = (url or "").strip()
    row = stored("imap")
    if not url and row is not None:
        return row
    try:
        address = mailbox.parse_url(url)
    except ValueError as exc:
        raise Refused(
            _l("Give the mailbox as imaps://user:password@host:993/INBOX or imap://…:143/INBOX."), field="mailbox_url"
        ) from exc
    if len(url) > MAX_SECRET:
        raise Refused(_l("At most %(n)s characters.", n=number(MAX_SECRET)), field="mailbox_url")
    try:
        # Reading starts with the mail that arrives from now on, not with the mailbox's past.
        with mailbox.opened(url) as box:
            validity = box.validity
            uids = box.uids_after(0)
    except mailbox.MailboxError as exc:  # in our words: open, closed and silent ports inside are all "refused"
        raise Refused(
            _l("The mailbox could not be opened: %(error)s", error=MAILBOX_REASONS[exc.reason]), field="mailbox_url"
        ) from exc
    settings = {
        "host": address.host,
        "user": address.user,
        "folder": address.folder,
        "uidvalidity": validity,
        "last_uid": uids[-1] if uids else 0,
        "read_from": utcnow().isoformat(),
    }
    return _store(row, "imap", "imap", settings, url, hint="")


# Rubika, Eitaa and WhatsApp (services.gateways.messengers)


def _messenger_base(kind: str, row: Connection | None) -> str:
    saved = (row.settings or {}).get("base_url") if row is not None else None
    return saved or current_app.config["MESSENGER_API_URLS"].get(kind) or MESSENGERS[kind][1]


def _token(row: Connection | None, typed: str, field: str, missing) -> str:
    typed = (typed or "").strip()
    if len(typed) > MAX_SECRET:
        raise Refused(_l("At most %(n)s characters.", n=number(MAX_SECRET)), field=field)
    token = typed or (unseal(row.secret_encrypted) if row is not None else None) or ""
    if not token:
        raise Refused(missing, field=field)
    return token


def save_rubika(actor: StaffMember, *, token: str, webhook_url: str) -> Connection:
    """Connect the organization's Rubika bot: the token sealed, and the bot told to post what customers write to
    our address, which carries a fresh key (only its digest kept: Rubika sends no secret header)."""
    require(actor, Permission.MANAGE_SETTINGS)
    row = connection("rubika")
    token = _token(row, token, "rubika_token", _l("Give the bot's token."))
    base_url = _messenger_base("rubika", row)
    key = secrets.token_urlsafe(32)
    try:
        me = messengers.rubika_call(base_url, token, "getMe", {})
        messengers.rubika_call(
            base_url, token, "updateBotEndpoints", {"url": f"{webhook_url}?key={key}", "type": "ReceiveUpdate"}
        )
    except DeliveryError as exc:
        raise Refused(_l("The messenger refused the bot: %(error)s", error=str(exc)), field="rubika_token") from exc
    bot = me.get("bot") if isinstance(me.get("bot"), dict) else {}
    settings = {"base_url": base_url, "hook_digest": digest(key), "username": str(bot.get("username", ""))}
    return _store(row, "rubika", "rubika", settings, token)


def save_eitaa(actor: StaffMember, *, token: str, chat_id: str) -> Connection:
    """The organization's Eitaa group or channel, where its bot (from Eitaayar) posts the staff notices the notice
    rules send there."""
    require(actor, Permission.MANAGE_SETTINGS)
    row = connection("eitaa")
    token = _token(row, token, "eitaa_token", _l("Give the Eitaayar token."))
    chat_id = " ".join((chat_id or "").split())
    if not chat_id or len(chat_id) > 80:
        raise Refused(_l("Give the group's or channel's ID."), field="eitaa_chat")
    base_url = _messenger_base("eitaa", row)
    try:
        messengers.eitaa_check(base_url, token)
    except DeliveryError as exc:
        raise Refused(_l("The messenger refused the bot: %(error)s", error=str(exc)), field="eitaa_token") from exc
    return _store(row, "eitaa", "eitaa", {"base_url": base_url, "chat_id": chat_id}, token)


def save_whatsapp(
    actor: StaffMember, *, phone_number_id: str, token: str, template: str = "", app_secret: str = ""
) -> Connection:
    """The organization's WhatsApp Business number (Cloud API): customers who prefer WhatsApp get their notices
    there, as the approved template it names when it names one. With the app's secret, what customers write to
    the number comes to our callback, which Meta subscribes with the verify token made here (kept, and shown).
    A blank token or app secret keeps the one already saved."""
    require(actor, Permission.MANAGE_SETTINGS)
    row = connection("whatsapp")
    token = _token(row, token, "whatsapp_token", _l("Give the access token."))
    phone_number_id = (phone_number_id or "").strip()
    if not phone_number_id.isdigit() or len(phone_number_id) > 30:
        raise Refused(_l("Give the phone number ID from WhatsApp Manager (digits)."), field="whatsapp_number")
    template = (template or "").strip()
    if template and (len(template) > 100 or not all(c.islower() or c.isdigit() or c == "_" for c in template)):
        raise Refused(_l("A template name has lower-case letters, digits and underscores."), field="whatsapp_template")
    app_secret = (app_secret or "").strip()
    if app_secret and (len(app_secret) > 200 or not app_secret.isalnum()):
        raise Refused(_l("Give the app secret from the app's basic settings in Meta."), field="whatsapp_app_secret")
    base_url = _messenger_base("whatsapp", row)
    try:
        number = messengers.whatsapp_check(base_url, token, phone_number_id)
    except DeliveryError as exc:
        raise Refused(
            _l(
                "WhatsApp did not accept this phone number ID and access token (%(error)s). Check both in Meta's "
                "dashboard.",
                error=str(exc),
            ),
            field="whatsapp_token",
        ) from exc
    kept = (row.settings or {}) if row is not None else {}
    settings = {
        "base_url": base_url,
        "phone_number_id": phone_number_id,
        "template": template,
        "display_phone_number": str(number.get("display_phone_number", "")),
        # Sealed like the token; the verify token stays the one Meta was given.
        "app_secret_sealed": seal(app_secret) if app_secret else kept.get("app_secret_sealed", ""),
        "verify_sealed": kept.get("verify_sealed") or seal(secrets.token_urlsafe(24)),
    }
    return _store(row, "whatsapp", "whatsapp", settings, token)
