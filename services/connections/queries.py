"""The tenant's connections as the rest of the service uses them: found, their hooks' secrets checked, and their
sealed credentials opened into senders."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app

from services.connections.models import Connection
from services.gateways import bots, messengers, webhook
from services.gateways.base import Outgoing, Unavailable
from services.gateways.bots import BOT_PROVIDERS
from services.gateways.messengers import MESSENGERS
from services.gateways.secrets import unseal
from services.gateways.sms import PROVIDERS
from tenants.context import current_tenant_id, platform_scope
from tenants.db import db
from tenants.models import Tenant


def connection(kind: str) -> Connection | None:
    """The tenant's active connection of this kind, if it has one."""
    return db.session.scalar(sa.select(Connection).where(Connection.kind == kind, Connection.is_active.is_(True)))


# Whether a tenant has a gateway is asked on every tracking page (where may a one-time code go?); each
# process keeps the answer this long, and forgets it at once when the connection changes (forget).
KNOWN_SECONDS = 30.0
_KNOWN = "dadras.connections"


_TENANTS_WITH_CHANNEL = sa.text("SELECT tenants_with_channel(:kind)")


def tenants_with(kind: str) -> list[int]:
    """The active organizations with a connection of this kind, across tenants, in one query. On PostgreSQL the
    application role asks tenants_with_channel(), which answers tenant ids and nothing else."""
    with platform_scope():
        if db.session.get_bind().dialect.name == "postgresql":
            return list(db.session.scalars(_TENANTS_WITH_CHANNEL, {"kind": kind}))
        return list(
            db.session.scalars(
                sa.select(Connection.tenant_id)
                .join(Tenant, Tenant.id == Connection.tenant_id)
                .where(Connection.kind == kind, Connection.is_active.is_(True), Tenant.is_active.is_(True))
                .order_by(Connection.tenant_id)
            )
        )


def has_connection(kind: str) -> bool:
    """Whether the tenant has an active connection of this kind, as this process last found (KNOWN_SECONDS)."""
    tenant_id = current_tenant_id()
    known: dict = current_app.extensions.setdefault(_KNOWN, {})
    kept = known.get((tenant_id, kind))
    now = time.monotonic()
    if kept is not None and now - kept[0] < KNOWN_SECONDS:
        return kept[1]
    found = connection(kind) is not None
    known[(tenant_id, kind)] = (now, found)
    return found


def forget(kind: str) -> None:
    """Drop this process's kept answer for this kind: its connection was just changed."""
    current_app.extensions.setdefault(_KNOWN, {}).pop((current_tenant_id(), kind), None)


def stored(kind: str) -> Connection | None:
    """The tenant's connection of this kind, in use or not."""
    return db.session.scalar(sa.select(Connection).where(Connection.kind == kind))


def digest(text: str) -> str:
    """What is kept of a hook's secret or an inbound token: its SHA-256, never the secret."""
    return hashlib.sha256(text.encode()).hexdigest()


def _digest_matches(expected: str, presented: str | None) -> bool:
    """Whether `presented` is the secret whose digest was kept (compared in constant time)."""
    return bool(expected and presented) and hmac.compare_digest(digest(presented), expected)


def _sealed_sender(
    row: Connection, call: Callable[[str, Outgoing], str | None], unreadable: str
) -> Callable[[Outgoing], str | None]:
    """A sender that unseals the connection's secret once and hands it to `call` for each message."""
    secret = unseal(row.secret_encrypted)

    def send(out: Outgoing) -> str | None:
        if secret is None:
            raise Unavailable(unreadable)
        return call(secret, out)

    return send


def webhook_sender() -> Callable[[Outgoing], str | None] | None:
    """A function that posts a signed event to the organization's webhook, or None without one."""
    row = connection("webhook")
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
    row = connection("sms")
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


def bot_connection(provider: str) -> Connection | None:
    return connection(provider) if provider in BOT_PROVIDERS else None


def bot_hook_accepts(provider: str, presented: str | None) -> bool:
    """Whether an update posted to the bot's address carries the secret given to the messenger."""
    row = bot_connection(provider)
    return row is not None and _digest_matches((row.settings or {}).get("hook_digest", ""), presented)


def bot_sender(provider: str) -> Callable[[Outgoing], str | None] | None:
    """A function that sends to a chat through the organization's bot, or None without one."""
    row = bot_connection(provider)
    if row is None:
        return None
    base_url = (row.settings or {}).get("base_url", "")
    return _sealed_sender(
        row,
        lambda token, out: bots.send_message(base_url, token, out.recipient, out.body),
        "the bot's token cannot be read; connect the bot again in settings",
    )


def sms_inbound_accepts(presented: str | None) -> bool:
    """Whether a received text message posted to the organization's address carries its inbound token."""
    row = connection("sms")
    return row is not None and _digest_matches((row.settings or {}).get("inbound_digest", ""), presented)


def mail_server() -> tuple[str, str] | None:
    """(the SMTP URL, the sender) of the organization's own mail server, or None: the platform's serves it."""
    row = connection("email") if has_connection("email") else None
    url = unseal(row.secret_encrypted) if row is not None else None
    return (url, (row.settings or {}).get("sender", "")) if url else None


def rubika_hook_accepts(presented: str | None) -> bool:
    row = connection("rubika")
    return row is not None and _digest_matches((row.settings or {}).get("hook_digest", ""), presented)


def staff_group() -> str | None:
    """The chat of the organization's Eitaa group, when it has one."""
    row = connection("eitaa") if has_connection("eitaa") else None
    return (row.settings or {}).get("chat_id") if row is not None else None


def whatsapp_verify_token() -> str | None:
    """The token Meta must present when it subscribes the organization's callback (None: not set up)."""
    row = connection("whatsapp")
    return (unseal((row.settings or {}).get("verify_sealed", "")) or None) if row is not None else None


def whatsapp_verify_accepts(presented: str | None) -> bool:
    expected = whatsapp_verify_token()
    return bool(expected and presented) and hmac.compare_digest(expected.encode(), presented.encode())


def whatsapp_signed_by_app(body: bytes, presented: str | None) -> bool:
    """Whether a callback's raw body carries the signature of the organization's Meta app (fails closed: no
    connection, no app secret, or one that cannot be read)."""
    row = connection("whatsapp")
    secret = unseal((row.settings or {}).get("app_secret_sealed", "")) if row is not None else None
    return bool(secret) and messengers.whatsapp_signed(secret or "", body, presented)


def whatsapp_number_id() -> str:
    """The organization's business number as Meta names it (its phone number id), "" without a connection."""
    row = connection("whatsapp")
    return str((row.settings or {}).get("phone_number_id") or "") if row is not None else ""


def whatsapp_media_reader() -> Callable[[str, int], tuple[bytes, str]] | None:
    """A function that fetches a file a customer sent the organization's WhatsApp number, or None without it."""
    row = connection("whatsapp")
    if row is None:
        return None
    base_url = (row.settings or {}).get("base_url") or MESSENGERS["whatsapp"][1]
    token = unseal(row.secret_encrypted)

    def read(media_id: str, limit: int) -> tuple[bytes, str]:
        if not token:
            raise Unavailable("the messenger's token cannot be read; connect it again in settings")
        return messengers.whatsapp_media(base_url, token, media_id, limit)

    return read


def messenger_sender(kind: str) -> Callable[[Outgoing], str | None] | None:
    """A function that sends on Rubika, Eitaa or WhatsApp through the organization's connection, or None."""
    row = connection(kind) if kind in MESSENGERS else None
    if row is None:
        return None
    settings = dict(row.settings or {})
    base_url = settings.get("base_url") or MESSENGERS[kind][1]
    calls = {
        "rubika": lambda token, out: messengers.rubika_send(base_url, token, out.recipient, out.body),
        "eitaa": lambda token, out: messengers.eitaa_send(base_url, token, out.recipient, out.body),
        "whatsapp": lambda token, out: messengers.whatsapp_send(base_url, token, settings, out),
    }
    return _sealed_sender(row, calls[kind], "the messenger's token cannot be read; connect it again in settings")
