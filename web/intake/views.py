"""Where the organization's bot posts its updates: checked against the secret given to the messenger,
answered in the chat, always acknowledged with 200 so the messenger does not send it again."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, g, request

from services.channels import accounts, bots
from services.channels.base import DeliveryError, Outgoing
from services.channels.conversations import handle, handle_sms
from services.channels.secrets import unseal
from tenants.db import db
from web.extensions import csrf
from web.tenancy import resolve_tenant

log = logging.getLogger(__name__)

bp = Blueprint("intake", __name__, url_prefix="/<tenant_slug>")
bp.url_value_preprocessor(resolve_tenant)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret


@bp.post("/bots/<provider>")
@csrf.exempt  # the messenger proves itself with the secret token it was given
def update(provider: str):
    if provider not in bots.BOT_PROVIDERS or not accounts.bot_hook_accepts(
        provider, request.headers.get(SECRET_HEADER)
    ):
        abort(403)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400)
    answer = handle(g.tenant, provider, payload)
    db.session.commit()  # the conversation's step and any complaint are saved before the answer leaves
    chat = ((payload.get("message") or {}).get("chat") or {}).get("id")
    if answer and chat is not None:
        row = accounts.bot_account(provider)
        token = unseal(row.secret_encrypted) if row else None
        if token:
            try:
                bots.send_message((row.settings or {}).get("base_url", ""), token, str(chat), answer)
            except DeliveryError:
                log.warning("could not answer chat %s through %s", chat, provider, extra={"tenant_id": g.tenant.id})
    return current_app.response_class("", status=200)


@bp.post("/sms/inbound")
@csrf.exempt  # the gateway proves itself with the organization's inbound token
def sms_inbound():
    """A text message the organization's number received, posted by its gateway: `from` and `text`, as a form or
    JSON, with the token in the X-Dadras-Token header or the `token` parameter."""
    presented = request.headers.get("X-Dadras-Token") or request.args.get("token")
    if not accounts.inbound_accepts(presented):
        abort(403)
    data = request.get_json(silent=True) if request.is_json else request.form
    if not isinstance(data, dict) and not hasattr(data, "get"):
        abort(400)
    sender, text = str(data.get("from") or ""), str(data.get("text") or "")
    if not sender:
        abort(400)
    handled = handle_sms(g.tenant, sender, text)
    db.session.commit()
    send = accounts.sms_sender()
    if handled is not None and send is not None:
        phone, answer = handled
        try:
            send(Outgoing(g.tenant.id, 0, "sms", phone, g.tenant.default_locale, "", answer, g.tenant.name))
        except DeliveryError:
            log.warning("could not answer a text message", extra={"tenant_id": g.tenant.id})
    return current_app.response_class("", status=200)
