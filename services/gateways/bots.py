"""Telegram-compatible Bot APIs (Telegram; Bale speaks the same protocol at another address): one call, its
answer read as the API documents it ({"ok": true, "result": …} or {"ok": false, "error_code", "description"})."""

from __future__ import annotations

from typing import Any

from services.gateways import http
from services.gateways.base import Unavailable, Undeliverable

BOT_PROVIDERS = {"telegram": ("Telegram", "https://api.telegram.org"), "bale": ("Bale", "https://tapi.bale.ai")}
# The chat is gone for good: not found, or the user blocked the bot or left.
_GONE = (400, 403)


def call(base_url: str, token: str, method: str, payload: dict[str, Any]) -> Any:
    """POST one Bot API method; its result, or a refusal sorted into retry-later and never."""
    return call_url(f"{base_url.rstrip('/')}/bot{token}/{method}", "bot API", method, payload)


def call_url(url: str, what: str, method: str, payload: dict[str, Any]) -> Any:
    """One call of a Telegram-style API at `url` (Eitaayar answers the same way)."""
    response, body = http.post_json(url, what, json=payload)
    if body.get("ok"):
        return body.get("result")
    code = body.get("error_code", response.status_code)
    error = f"{what} {code}: {body.get('description', '')}"
    if code in _GONE and method == "sendMessage":
        raise Undeliverable(error)
    raise Unavailable(error)


def send_message(base_url: str, token: str, chat_id: str, text: str) -> str | None:
    result = call(base_url, token, "sendMessage", {"chat_id": chat_id, "text": text})
    return str(result.get("message_id", "")) or None if isinstance(result, dict) else None
