"""The tenant's gateway accounts: saved with their secret sealed, never shown back but for its last characters."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from urllib.parse import SplitResult, urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from services.channels.models import ChannelAccount
from services.contacts import ContactError, check_email
from services.errors import ServiceError
from services.gateways import addresses, bots, mailbox, messengers, webhook
from services.gateways.base import DeliveryError, Outgoing, Unavailable
from services.gateways.bots import BOT_PROVIDERS
from services.gateways.messengers import MESSENGERS
from services.gateways.secrets import seal, unseal
from services.gateways.sms import PROVIDERS
from services.i18n import number
from tenants.context import current_tenant_id, platform_scope
from tenants.db import db, utcnow
from tenants.models import StaffMember, Tenant
from tenants.roles import Permission, require

MAX_SECRET = 500


def account(channel: str = "sms") -> ChannelAccount | None:
    """The tenant's active account for `channel`, if it has one."""
    return db.session.scalar(
        sa.select(ChannelAccount).where(ChannelAccount.channel == channel, ChannelAccount.is_active.is_(True))
    )


# Whether a tenant has a gateway is asked on every tracking page (where may a one-time code go?); each
# process keeps the answer this long, and forgets it at once when the account changes here.
KNOWN_SECONDS = 30.0
_KNOWN = "dadras.channel_accounts"


_TENANTS_WITH_CHANNEL = sa.text("SELECT tenants_with_channel(:kind)")


def tenants_with(channel: str) -> list[int]:
    """The active organizations with an account for `channel`, across tenants, in one query. On PostgreSQL the
    application role asks tenants_with_channel(), which answers tenant ids and nothing else."""
    with platform_scope():
        if db.session.get_bind().dialect.name == "postgresql":
            return list(db.session.scalars(_TENANTS_WITH_CHANNEL, {"kind": channel}))
        return list(
            db.session.scalars(
                sa.select(ChannelAccount.tenant_id)
                .join(Tenant, Tenant.id == ChannelAccount.tenant_id)
                .where(
                    ChannelAccount.channel == channel, ChannelAccount.is_active.is_(True), Tenant.is_active.is_(True)
                )
                .order_by(ChannelAccount.tenant_id)
            )
        )


def has_account(channel: str = "sms") -> bool:
    tenant_id = current_tenant_id()
    known: dict = current_app.extensions.setdefault(_KNOWN, {})
    kept = known.get((tenant_id, channel))
    now = time.monotonic()
    if kept is not None and now - kept[0] < KNOWN_SECONDS:
        return kept[1]
    found = account(channel) is not None
    known[(tenant_id, channel)] = (now, found)
    return found


def _forget(channel: str) -> None:
    current_app.extensions.setdefault(_KNOWN, {}).pop((current_tenant_id(), channel), None)


def _row(channel: str) -> ChannelAccount | None:
    """The tenant's account for `channel`, in use or not."""
    return db.session.scalar(sa.select(ChannelAccount).where(ChannelAccount.channel == channel))


def _store(
    row: ChannelAccount | None,
    channel: str,
    provider: str,
    settings: dict,
    secret: str = "",
    *,
    hint: str | None = None,
) -> ChannelAccount:
    """Save an account: its plain settings, and its secret sealed when a new one is given (blank keeps the old)."""
    if row is None:
        row = ChannelAccount(channel=channel)
        db.session.add(row)
    row.provider, row.settings = provider, settings
    if secret:
        row.secret_encrypted = seal(secret)
        row.secret_hint = secret[-4:] if hint is None else hint
    row.is_active = True
    row.updated_at = utcnow()
    _forget(channel)
    return row


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _digest_matches(expected: str, presented: str | None) -> bool:
    """Whether `presented` is the secret whose digest was kept (compared in constant time)."""
    return bool(expected and presented) and hmac.compare_digest(_digest(presented), expected)


def _sealed_sender(
    row: ChannelAccount, call: Callable[[str, Outgoing], str | None], unreadable: str
) -> Callable[[Outgoing], str | None]:
    """A sender that unseals the account's secret once and hands it to `call` for each message."""
    secret = unseal(row.secret_encrypted)

    def send(out: Outgoing) -> str | None:
        if secret is None:
            raise Unavailable(unreadable)
        return call(secret, out)

    return send


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
        raise ServiceError(
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
        raise ServiceError(_l("Give an address that starts with https://."), field=field)
    _public(parts.hostname, port or (443 if parts.scheme == "https" else 80), field)
    return value


def save_account(
    actor: StaffMember, *, provider: str, sender: str = "", base_url: str = "", secret: str = ""
) -> ChannelAccount:
    """The text-message provider and its credentials; a blank secret keeps the one already saved."""
    require(actor, Permission.MANAGE_SETTINGS)
    chosen = PROVIDERS.get(provider)
    if chosen is None:
        raise ServiceError(_l("Choose from the list."), field="provider")
    sender = " ".join((sender or "").split())
    if chosen.needs_sender and not sender:
        raise ServiceError(_l("Give the sender line your provider gave you."), field="sender")
    if len(sender) > 40:
        raise ServiceError(_l("At most %(n)s characters.", n=number(40)), field="sender")
    url = _url(base_url, "base_url")
    if provider == "http" and not url:
        raise ServiceError(_l("Give the gateway's address."), field="base_url")
    secret = (secret or "").strip()
    if len(secret) > MAX_SECRET:
        raise ServiceError(_l("At most %(n)s characters.", n=number(MAX_SECRET)), field="secret")
    row = _row("sms")
    if row is None and not secret and provider != "http":
        raise ServiceError(_l("Give the API key."), field="secret")
    if row is not None and row.provider != provider and not secret and provider != "http":
        raise ServiceError(_l("Give the API key of the new provider."), field="secret")
    # The inbound token stays with the account when its provider or key changes.
    inbound = {"inbound_digest": row.settings["inbound_digest"]} if row and "inbound_digest" in row.settings else {}
    return _store(row, "sms", provider, {"sender": sender, "base_url": url, **inbound}, secret)


def remove_account(actor: StaffMember, channel: str = "sms") -> None:
    require(actor, Permission.MANAGE_SETTINGS)
    db.session.execute(sa.delete(ChannelAccount).where(ChannelAccount.channel == channel))
    _forget(channel)


def save_webhook(actor: StaffMember, *, url: str, secret: str = "") -> ChannelAccount:
    """Where the organization's own systems hear of every complaint event, and the secret that signs it; a
    blank secret keeps the one already saved."""
    require(actor, Permission.MANAGE_SETTINGS)
    url = _url(url, "webhook_url")
    if not url:
        raise ServiceError(_l("Give the gateway's address."), field="webhook_url")
    secret = (secret or "").strip()
    if len(secret) > MAX_SECRET:
        raise ServiceError(_l("At most %(n)s characters.", n=number(MAX_SECRET)), field="webhook_secret")
    if secret and len(secret) < 16:
        raise ServiceError(_l("A signing secret needs at least 16 characters."), field="webhook_secret")
    row = _row("webhook")
    if row is None and not secret:
        raise ServiceError(_l("A signing secret needs at least 16 characters."), field="webhook_secret")
    return _store(row, "webhook", "http", {"url": url}, secret)


def webhook_sender() -> Callable[[Outgoing], str | None] | None:
    """A function that posts a signed event to the organization's webhook, or None without one."""
    row = account("webhook")
    if row is None:
        return None
    url = (row.settings or {}).get("url", "")
    return _sealed_sender(
        row,
        lambda secret, out: webhook.send(url, secret, out),
        "the webhook's secret cannot be read; type it again in settings",
    )


def sms_sender() -> Callable[[Outgoing], str | None] | None:
    """A function that sends a text message through the tenant's provider, or None without one."""
    row = account("sms")
    if row is None:
        return None
    provider = PROVIDERS.get(row.provider)
    if provider is None:
        return None
    settings = dict(row.settings or {})
    base_url = settings.get("base_url") or provider.base_url
    return _sealed_sender(
        row,
        lambda secret, out: provider.send(base_url, settings, secret, out),
        "the gateway's credentials cannot be read; type them again in settings",
    )


def bot_account(provider: str) -> ChannelAccount | None:
    return account(provider) if provider in BOT_PROVIDERS else None


def save_bot(actor: StaffMember, *, provider: str, token: str, webhook_url: str) -> ChannelAccount:
    """Connect the organization's bot: the token sealed, the bot told where to post its updates, with a fresh
    secret it must present on each (only its digest is kept)."""
    require(actor, Permission.MANAGE_SETTINGS)
    if provider == "rubika":
        return save_rubika(actor, token=token, webhook_url=webhook_url)
    if provider not in BOT_PROVIDERS:
        raise ServiceError(_l("Choose from the list."), field="bot_provider")
    token = (token or "").strip()
    row = account(provider)
    if not token and row is None:
        raise ServiceError(_l("Give the bot's token."), field="bot_token")
    if len(token) > MAX_SECRET:
        raise ServiceError(_l("At most %(n)s characters.", n=number(MAX_SECRET)), field="bot_token")
    token = token or (unseal(row.secret_encrypted) or "")
    base_url = (row.settings or {}).get("base_url") if row is not None else None
    base_url = base_url or current_app.config["BOT_API_URLS"].get(provider) or BOT_PROVIDERS[provider][1]
    hook_secret = secrets.token_urlsafe(32)
    try:
        bots.call(base_url, token, "setWebhook", {"url": webhook_url, "secret_token": hook_secret})
        me = bots.call(base_url, token, "getMe", {})
    except DeliveryError as exc:
        raise ServiceError(_l("The messenger refused the bot: %(error)s", error=str(exc)), field="bot_token") from exc
    settings = {
        "base_url": base_url,
        "hook_digest": _digest(hook_secret),
        "username": me.get("username", "") if isinstance(me, dict) else "",
    }
    return _store(row, provider, provider, settings, token)


def bot_hook_accepts(provider: str, presented: str | None) -> bool:
    """Whether an update posted to the bot's address carries the secret given to the messenger."""
    row = bot_account(provider)
    return row is not None and _digest_matches((row.settings or {}).get("hook_digest", ""), presented)


def bot_sender(provider: str) -> Callable[[Outgoing], str | None] | None:
    """A function that sends to a chat through the organization's bot, or None without one."""
    row = bot_account(provider)
    if row is None:
        return None
    base_url = (row.settings or {}).get("base_url", "")
    return _sealed_sender(
        row,
        lambda token, out: bots.send_message(base_url, token, out.recipient, out.body),
        "the bot's token cannot be read; connect the bot again in settings",
    )


def new_inbound_token(actor: StaffMember) -> str:
    """A fresh token for the gateway to present when it posts a received text message; shown once, only its
    digest kept. Needs the text-message provider to be set up (the answers go out through it)."""
    require(actor, Permission.MANAGE_SETTINGS)
    row = _row("sms")
    if row is None:
        raise ServiceError(_l("Set up the text-message provider first: the answers go out through it."))
    token = secrets.token_urlsafe(32)
    row.settings = {**(row.settings or {}), "inbound_digest": _digest(token)}
    row.updated_at = utcnow()
    return token


def inbound_accepts(presented: str | None) -> bool:
    """Whether a received text message posted to the organization's address carries its inbound token."""
    row = account("sms")
    return row is not None and _digest_matches((row.settings or {}).get("inbound_digest", ""), presented)


def save_mail_server(actor: StaffMember, *, url: str = "", sender: str = "") -> ChannelAccount:
    """The organization's own mail server (smtp:// or smtps://, with its login) and the address its e-mails come
    from; a blank address keeps the server already saved."""
    require(actor, Permission.MANAGE_SETTINGS)
    sender = " ".join((sender or "").split())
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip() if sender else ""
    try:
        check_email(address)
    except ContactError as exc:
        raise ServiceError(_l("Give the address your e-mails come from."), field="mail_sender") from exc
    if len(sender) > 200:
        raise ServiceError(_l("At most %(n)s characters.", n=number(200)), field="mail_sender")
    url = (url or "").strip()
    row = _row("email")
    parts = urlsplit(url)
    if (url or row is None) and (
        parts.scheme not in ("smtp", "smtps") or not parts.hostname or len(url) > MAX_SECRET or _port(parts) == -1
    ):
        raise ServiceError(_l("Give the server as smtp://user:password@host:587 or smtps://…:465."), field="mail_url")
    if url:
        _public(parts.hostname or "", _port(parts) or (465 if parts.scheme == "smtps" else 25), "mail_url")
    host = parts.hostname if url else (row.settings or {}).get("host")
    return _store(row, "email", "smtp", {"sender": sender, "host": host}, url, hint="")


def mail_server() -> tuple[str, str] | None:
    """(the SMTP URL, the sender) of the organization's own mail server, or None: the platform's serves it."""
    row = account("email") if has_account("email") else None
    url = unseal(row.secret_encrypted) if row is not None else None
    return (url, (row.settings or {}).get("sender", "")) if url else None


def save_mailbox(actor: StaffMember, *, url: str = "") -> ChannelAccount:
    """The organization's mailbox (imap:// or imaps://, with its login and folder), tried before it is kept: new
    mail there becomes complaints. A blank address keeps the mailbox already saved."""
    require(actor, Permission.MANAGE_SETTINGS)
    url = (url or "").strip()
    row = _row("imap")
    if not url and row is not None:
        return row
    try:
        address = mailbox.parse_url(url)
    except ValueError as exc:
        raise ServiceError(
            _l("Give the mailbox as imaps://user:password@host:993/INBOX or imap://…:143/INBOX."), field="mailbox_url"
        ) from exc
    if len(url) > MAX_SECRET:
        raise ServiceError(_l("At most %(n)s characters.", n=number(MAX_SECRET)), field="mailbox_url")
    try:
        # Reading starts with the mail that arrives from now on, not with the mailbox's past.
        with mailbox.opened(url) as box:
            validity = box.validity
            uids = box.uids_after(0)
    except mailbox.MailboxError as exc:  # in our words: open, closed and silent ports inside are all "refused"
        raise ServiceError(
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


def _messenger_base(channel: str, row: ChannelAccount | None) -> str:
    saved = (row.settings or {}).get("base_url") if row is not None else None
    return saved or current_app.config["MESSENGER_API_URLS"].get(channel) or MESSENGERS[channel][1]


def _token(row: ChannelAccount | None, typed: str, field: str, missing) -> str:
    typed = (typed or "").strip()
    if len(typed) > MAX_SECRET:
        raise ServiceError(_l("At most %(n)s characters.", n=number(MAX_SECRET)), field=field)
    token = typed or (unseal(row.secret_encrypted) if row is not None else None) or ""
    if not token:
        raise ServiceError(missing, field=field)
    return token


def save_rubika(actor: StaffMember, *, token: str, webhook_url: str) -> ChannelAccount:
    """Connect the organization's Rubika bot: the token sealed, and the bot told to post what customers write to
    our address, which carries a fresh key (only its digest kept: Rubika sends no secret header)."""
    require(actor, Permission.MANAGE_SETTINGS)
    row = account("rubika")
    token = _token(row, token, "rubika_token", _l("Give the bot's token."))
    base_url = _messenger_base("rubika", row)
    key = secrets.token_urlsafe(32)
    try:
        me = messengers.rubika_call(base_url, token, "getMe", {})
        messengers.rubika_call(
            base_url, token, "updateBotEndpoints", {"url": f"{webhook_url}?key={key}", "type": "ReceiveUpdate"}
        )
    except DeliveryError as exc:
        raise ServiceError(
            _l("The messenger refused the bot: %(error)s", error=str(exc)), field="rubika_token"
        ) from exc
    bot = me.get("bot") if isinstance(me.get("bot"), dict) else {}
    settings = {"base_url": base_url, "hook_digest": _digest(key), "username": str(bot.get("username", ""))}
    return _store(row, "rubika", "rubika", settings, token)


def rubika_hook_accepts(presented: str | None) -> bool:
    row = account("rubika")
    return row is not None and _digest_matches((row.settings or {}).get("hook_digest", ""), presented)


def save_eitaa(actor: StaffMember, *, token: str, chat_id: str) -> ChannelAccount:
    """The organization's Eitaa group or channel, where its bot (from Eitaayar) posts the staff notices the notice
    rules send there."""
    require(actor, Permission.MANAGE_SETTINGS)
    row = account("eitaa")
    token = _token(row, token, "eitaa_token", _l("Give the Eitaayar token."))
    chat_id = " ".join((chat_id or "").split())
    if not chat_id or len(chat_id) > 80:
        raise ServiceError(_l("Give the group's or channel's ID."), field="eitaa_chat")
    base_url = _messenger_base("eitaa", row)
    try:
        messengers.eitaa_check(base_url, token)
    except DeliveryError as exc:
        raise ServiceError(_l("The messenger refused the bot: %(error)s", error=str(exc)), field="eitaa_token") from exc
    return _store(row, "eitaa", "eitaa", {"base_url": base_url, "chat_id": chat_id}, token)


def staff_group() -> str | None:
    """The chat of the organization's Eitaa group, when it has one."""
    row = account("eitaa") if has_account("eitaa") else None
    return (row.settings or {}).get("chat_id") if row is not None else None


def save_whatsapp(actor: StaffMember, *, phone_number_id: str, token: str, template: str = "") -> ChannelAccount:
    """The organization's WhatsApp Business number (Cloud API): customers who prefer WhatsApp get their notices
    there, as the approved template it names when it names one."""
    require(actor, Permission.MANAGE_SETTINGS)
    row = account("whatsapp")
    token = _token(row, token, "whatsapp_token", _l("Give the access token."))
    phone_number_id = (phone_number_id or "").strip()
    if not phone_number_id.isdigit() or len(phone_number_id) > 30:
        raise ServiceError(_l("Give the phone number ID from WhatsApp Manager (digits)."), field="whatsapp_number")
    template = (template or "").strip()
    if template and (len(template) > 100 or not all(c.islower() or c.isdigit() or c == "_" for c in template)):
        raise ServiceError(
            _l("A template name has lower-case letters, digits and underscores."), field="whatsapp_template"
        )
    base_url = _messenger_base("whatsapp", row)
    try:
        number = messengers.whatsapp_check(base_url, token, phone_number_id)
    except DeliveryError as exc:
        raise ServiceError(
            _l("The messenger refused the bot: %(error)s", error=str(exc)), field="whatsapp_token"
        ) from exc
    settings = {
        "base_url": base_url,
        "phone_number_id": phone_number_id,
        "template": template,
        "display_phone_number": str(number.get("display_phone_number", "")),
    }
    return _store(row, "whatsapp", "whatsapp", settings, token)


def messenger_sender(channel: str) -> Callable[[Outgoing], str | None] | None:
    """A function that sends on Rubika, Eitaa or WhatsApp through the organization's account, or None."""
    row = account(channel) if channel in MESSENGERS else None
    if row is None:
        return None
    settings = dict(row.settings or {})
    base_url = settings.get("base_url") or MESSENGERS[channel][1]
    calls = {
        "rubika": lambda token, out: messengers.rubika_send(base_url, token, out.recipient, out.body),
        "eitaa": lambda token, out: messengers.eitaa_send(base_url, token, out.recipient, out.body),
        "whatsapp": lambda token, out: messengers.whatsapp_send(base_url, token, settings, out),
    }
    return _sealed_sender(row, calls[channel], "the messenger's token cannot be read; connect it again in settings")
