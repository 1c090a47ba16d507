"""Where the organization's bot and SMS gateway post what customers write: checked against the secret each was
given, answered once saved, always acknowledged with 200 so the messenger does not send it again."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, current_app, g, request

from services.connections import queries as connections
from services.gateways.bots import BOT_PROVIDERS
from services.intake.conversations import handle, handle_rubika, handle_sms
from services.intake.whatsapp import handle_whatsapp
from web.extensions import csrf
from web.tenancy import PUBLIC, tenant_blueprint

bp = tenant_blueprint("intake", __name__, access=PUBLIC)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
# What a messenger or a gateway posts is small (a file comes by reference); Meta's batches stay under 3 MB. A body
# larger than this is refused before it is read (WhatsApp's must be read whole to check its signature).
HOOK_MAX_BYTES = 4 * 1024 * 1024


@bp.before_request
def small_bodies_only() -> None:
    request.max_content_length = HOOK_MAX_BYTES


def _json_body() -> Any:
    """The posted JSON, or None when it is none or unreadable; nested too deep to read is a 400, not a 500."""
    try:
        return request.get_json(silent=True)
    except RecursionError:  # Python's json gives up on deep nesting with this, not with a ValueError
        abort(400)


@bp.post("/bots/rubika")
@csrf.exempt  # Rubika sends no secret header: the address it was given carries a key
def rubika_update():
    """What a customer wrote to the organization's Rubika bot; answered in the chat once saved."""
    if not connections.rubika_hook_accepts(request.args.get("key")):
        abort(403)
    payload = _json_body()
    if not isinstance(payload, dict):
        abort(400)
    handle_rubika(g.tenant, payload)
    return current_app.response_class("", status=200)


@bp.get("/bots/whatsapp")
def whatsapp_subscribe():
    """Meta's subscription of the callback: the challenge echoed when the verify token is the organization's."""
    if request.args.get("hub.mode") != "subscribe" or not connections.whatsapp_verify_accepts(
        request.args.get("hub.verify_token")
    ):
        abort(403)
    return current_app.response_class(request.args.get("hub.challenge", "")[:200], status=200, mimetype="text/plain")


@bp.post("/bots/whatsapp")
@csrf.exempt  # Meta signs each body with the app's secret
def whatsapp_update():
    """What customers wrote to the organization's WhatsApp number, and WhatsApp's statuses of our notices. The
    signature is checked on the raw bytes before anything is read; then any body is acknowledged with 200, since
    Meta sends again whatever is not."""
    raw = request.get_data(cache=False)
    if not connections.whatsapp_signed_by_app(raw, request.headers.get("X-Hub-Signature-256")):
        abort(403)
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read: nothing to take
        payload = None
    handle_whatsapp(g.tenant, payload)
    return current_app.response_class("", status=200)


@bp.post("/bots/<provider>")
@csrf.exempt  # the messenger proves itself with the secret token it was given
def update(provider: str):
    """An update from the organization's bot; answered in the chat once saved."""
    if provider not in BOT_PROVIDERS or not connections.bot_hook_accepts(provider, request.headers.get(SECRET_HEADER)):
        abort(403)
    payload = _json_body()
    if not isinstance(payload, dict):
        abort(400)
    handle(g.tenant, provider, payload)
    return current_app.response_class("", status=200)


@bp.post("/sms/inbound")
@csrf.exempt  # the gateway proves itself with the organization's inbound token
def sms_inbound():
    """A text message the organization's number received, posted by its gateway: `from` and `text`, as a form or
    JSON, with the token in the X-Dadras-Token header or the `token` parameter."""
    if not connections.sms_inbound_accepts(request.headers.get("X-Dadras-Token") or request.args.get("token")):
        abort(403)
    data = _json_body() if request.is_json else request.form
    if not hasattr(data, "get") or not data.get("from"):
        abort(400)
    handle_sms(g.tenant, str(data.get("from")), str(data.get("text") or ""))
    return current_app.response_class("", status=200)
