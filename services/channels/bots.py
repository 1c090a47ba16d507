"""Telegram-compatible Bot APIs (Telegram; Bale speaks the same protocol at another address): one call, its
answer read as the API documents it ({"ok": true, "result": …} or {"ok": false, "error_code", "description"})."""

from __future__ import annotations

from typing import Any

import httpx

from services.channels import http
from services.channels.base import Unavailable, Undeliverable

BOT_PROVIDERS = {"telegram": ("Telegram", "https://api.telegram.org"), "bale": ("Bale", "https://tapi.bale.ai")}
# The chat is gone for good: not found, or the user blocked the bot or left.
_GONE = (400, 403)


def call(base_url: str, token: str, method: str, payload: dict[str, Any]) -> Any:
    """POST one Bot API method; its result, or a refusal sorted into retry-later and never."""
    try:
        response = http.post(f"{base_url.rstrip('/')}/bot{token}/{method}", json=payload)
    except httpx.HTTPError as exc:
        raise Unavailable(f"bot API unreachable: {exc}") from exc
    try:
        body = response.json()
    except ValueError as exc:
        raise Unavailable(f"bot API HTTP {response.status_code}, not JSON") from exc
    if isinstance(body, dict) and body.get("ok"):
        return body.get("result")
    code = body.get("error_code", response.status_code) if isinstance(body, dict) else response.status_code
    description = body.get("description", "") if isinstance(body, dict) else ""
    error = f"bot API {code}: {description}"
    if code in _GONE and method == "sendMessage":
        raise Undeliverable(error)
    raise Unavailable(error)


def send_message(base_url: str, token: str, chat_id: str, text: str) -> str | None:
    result = call(base_url, token, "sendMessage", {"chat_id": chat_id, "text": text})
    return str(result.get("message_id", "")) or None if isinstance(result, dict) else None
