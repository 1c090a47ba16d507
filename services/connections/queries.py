"""The tenant's gateway accounts as the rest of the service uses them: found, their hooks' secrets checked, and
their sealed credentials opened into senders."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app

from services.connections.models import ChannelAccount
from services.gateways import bots, messengers, webhook
from services.gateways.base import Outgoing, Unavailable
from services.gateways.bots import BOT_PROVIDERS
from services.gateways.messengers import MESSENGERS
from services.gateways.secrets import unseal
from services.gateways.sms import PROVIDERS
from tenants.context import current_tenant_id, platform_scope
from tenants.db import db
from tenants.models import Tenant


def account(channel: str = "sms") -> ChannelAccount | None:
    """The tenant's active account for `channel`, if it has one."""
    return db.session.scalar(
        sa.select(ChannelAccount).where(ChannelAccount.channel == channel, ChannelAccount.is_active.is_(True))
    )


# Whether a tenant has a gateway is asked on every tracking page (where may a one-time code go?); each
# process keeps the answer this long, and forgets it at once when the account changes (forget).
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


def forget(channel: str) -> None:
    """Drop this process's kept answer for `channel`: its account was just changed."""
    current_app.extensions.setdefault(_KNOWN, {}).pop((current_tenant_id(), channel), None)


def stored(channel: str) -> ChannelAccount | None:
    """The tenant's account for `channel`, in use or not."""
    return db.session.scalar(sa.select(ChannelAccount).where(ChannelAccount.channel == channel))


def digest(text: str) -> str:
    """What is kept of a hook's secret or an inbound token: its SHA-256, never the secret."""
    return hashlib.sha256(text.encode()).hexdigest()


def _digest_matches(expected: str, presented: str | None) -> bool:
    """Whether `presented` is the secret whose digest was kept (compared in constant time)."""
    return bool(expected and presented) and hmac.compare_digest(digest(presented), expected)


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


def inbound_accepts(presented: str | None) -> bool:
    """Whether a received text message posted to the organization's address carries its inbound token."""
    row = account("sms")
    return row is not None and _digest_matches((row.settings or {}).get("inbound_digest", ""), presented)


def mail_server() -> tuple[str, str] | None:
    """(the SMTP URL, the sender) of the organization's own mail server, or None: the platform's serves it."""
    row = account("email") if has_account("email") else None
    url = unseal(row.secret_encrypted) if row is not None else None
    return (url, (row.settings or {}).get("sender", "")) if url else None


def rubika_hook_accepts(presented: str | None) -> bool:
    row = account("rubika")
    return row is not None and _digest_matches((row.settings or {}).get("hook_digest", ""), presented)


def staff_group() -> str | None:
    """The chat of the organization's Eitaa group, when it has one."""
    row = account("eitaa") if has_account("eitaa") else None
    return (row.settings or {}).get("chat_id") if row is not None else None


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
