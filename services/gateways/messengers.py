"""The other messengers our customers use, each spoken as its API documents it, refusals included:

- Rubika's Bot API: POST {base}/{token}/{method} with JSON; the answer is {"status": "OK", "data": {…}}, or
  another status ("INVALID_INPUT", "INVALID_ACCESS", "TOO_REQUESTS", "SERVER_ERROR") with "dev_message".
- Eitaa through Eitaayar: POST {base}/{token}/{method} with JSON; the answer is {"ok": true, "result": {…}} or
  {"ok": false, "error_code", "description"}. It posts to the channels and groups the bot administers, so
  it serves the organization's own group, not a customer's chat.
- WhatsApp Cloud API: POST {base}/{phone-number-id}/messages with a bearer token and
  {"messaging_product": "whatsapp", "to", "type": "text" | "template", …}; the answer carries
  "messages": [{"id": "wamid…"}], a refusal {"error": {"message", "type", "code", "error_subcode"}}.
  Outside the 24 hours after the customer last wrote, WhatsApp takes only an approved template: a connection
  may name one with a single body parameter, and every notice goes as that template.
  What customers write comes to the organization's callback, signed with the app's secret
  (X-Hub-Signature-256: "sha256=" and the hex HMAC-SHA256 of the raw body); a file they send is fetched in two
  steps: GET {base}/{media-id} answers {"url", "mime_type"}, and that url is read with the same token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from services.gateways import http
from services.gateways.base import Outgoing, Unavailable, Undeliverable
from services.gateways.bots import call_url

MESSENGERS = {
    "rubika": ("Rubika", "https://botapi.rubika.ir/v3"),
    "eitaa": ("Eitaa", "https://eitaayar.ir/api"),
    "whatsapp": ("WhatsApp", "https://graph.facebook.com/v21.0"),
}


# Rubika


def rubika_call(base_url: str, token: str, method: str, payload: dict[str, Any]) -> dict[str, Any]:
    _response, body = http.post_json(f"{base_url.rstrip('/')}/{token}/{method}", "Rubika", json=payload)
    status = str(body.get("status", ""))
    if status == "OK":
        data = body.get("data")
        return data if isinstance(data, dict) else {}
    error = f"Rubika {status or 'error'}: {body.get('dev_message') or ''}".strip()
    if status == "INVALID_INPUT" and method == "sendMessage":
        raise Undeliverable(error)  # no such chat, or nothing we could ever send there
    raise Unavailable(error)


def rubika_send(base_url: str, token: str, chat_id: str, text: str) -> str | None:
    data = rubika_call(base_url, token, "sendMessage", {"chat_id": chat_id, "text": text})
    return str(data.get("message_id") or "") or None


def rubika_update(update: dict[str, Any]) -> tuple[str, str] | None:
    """(chat id, text) of a message a customer sent the bot, from a receiveUpdate body, or None."""
    inner = update.get("update") if isinstance(update, dict) else None
    if not isinstance(inner, dict) or inner.get("type") != "NewMessage":
        return None
    message = inner.get("new_message") if isinstance(inner.get("new_message"), dict) else {}
    chat_id = str(inner.get("chat_id") or "")[:40]
    if not chat_id or message.get("sender_type", "User") != "User":
        return None
    return chat_id, str(message.get("text") or "")


# Eitaa (Eitaayar)


def eitaa_send(base_url: str, token: str, chat_id: str, text: str) -> str | None:
    result = call_url(
        f"{base_url.rstrip('/')}/{token}/sendMessage", "Eitaa", "sendMessage", {"chat_id": chat_id, "text": text}
    )
    return str(result.get("message_id", "")) or None if isinstance(result, dict) else None


def eitaa_check(base_url: str, token: str) -> dict[str, Any]:
    """The bot's own description (getMe), or a refusal: whether the token is good."""
    result = call_url(f"{base_url.rstrip('/')}/{token}/getMe", "Eitaa", "getMe", {})
    return result if isinstance(result, dict) else {}


# WhatsApp Cloud API

# Refusals that will not pass however often they are tried: the number is not on WhatsApp or not valid,
# the 24-hour window is closed (a template is needed), the template does not exist or does not fit.
_WHATSAPP_NEVER = {131026, 131047, 131051, 132000, 132001, 132005, 132007, 132012, 100}
_WHATSAPP_LANGUAGES = {"fa": "fa", "kk": "kk", "ru": "ru", "en": "en"}


def whatsapp_payload(to: str, text: str, locale: str, template: str = "") -> dict[str, Any]:
    recipient = to.lstrip("+")
    if not template:
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": recipient,
            "type": "text",
            "text": {"preview_url": False, "body": text[:4096]},
        }
    # A template parameter holds no line breaks, tabs or more than four spaces in a row.
    flat = re.sub(r"\s*\n\s*", " · ", text.strip())
    flat = re.sub(r"[\t ]{4,}", "   ", flat)[:1024]
    return {
        "messaging_product": "whatsapp",
        "to": recipient,
        "type": "template",
        "template": {
            "name": template,
            "language": {"code": _WHATSAPP_LANGUAGES.get(locale, "en")},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": flat}]}],
        },
    }


def whatsapp_send(base_url: str, token: str, settings: dict[str, Any], out: Outgoing) -> str | None:
    url = f"{base_url.rstrip('/')}/{settings.get('phone_number_id', '')}/messages"
    # A notice may come when the customer's 24-hour window is closed: the approved template, when there is one.
    template = "" if out.in_reply else settings.get("template", "")
    payload = whatsapp_payload(out.recipient, out.body, out.locale, template)
    response, body = http.post_json(url, "WhatsApp", json=payload, headers={"Authorization": f"Bearer {token}"})
    messages = body.get("messages")
    if 200 <= response.status_code < 300 and isinstance(messages, list) and messages:
        return str(messages[0].get("id", "")) or None
    problem = body.get("error") if isinstance(body.get("error"), dict) else {}
    code = problem.get("code", response.status_code)
    error = f"WhatsApp {code}: {problem.get('message', '')}"
    if code in _WHATSAPP_NEVER or problem.get("error_subcode") in _WHATSAPP_NEVER:
        raise Undeliverable(error)
    raise Unavailable(error)  # the token (190), the rate (130429, 131056), their side (131000, 5xx)


def whatsapp_check(base_url: str, token: str, phone_number_id: str) -> dict[str, Any]:
    """The business number's description (GET /{phone-number-id}), or a refusal."""
    response, body = http.get_json(
        f"{base_url.rstrip('/')}/{phone_number_id}", "WhatsApp", headers={"Authorization": f"Bearer {token}"}
    )
    if response.status_code == 200 and "error" not in body:
        return body
    problem = body.get("error") if isinstance(body.get("error"), dict) else {}
    raise Unavailable(f"WhatsApp {problem.get('code', response.status_code)}: {problem.get('message', '')}")


def whatsapp_signed(app_secret: str, body: bytes, presented: str | None) -> bool:
    """Whether `presented` (the X-Hub-Signature-256 header) signs these very bytes with the app's secret."""
    # Only the shape Meta sends is compared: anything else (a header of other letters, read as Latin-1) is no
    # signature, and never reaches the comparison, which takes ASCII text only.
    found = re.fullmatch(r"sha256=([0-9a-fA-F]{64})", (presented or "").strip())
    if not app_secret or found is None:
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), found[1].lower().encode())


def whatsapp_changes(payload: Any, phone_number_id: str) -> list[dict[str, Any]]:
    """The "value" of each change a callback body carries about messages to the business number
    `phone_number_id`; [] for any other shape. One Meta app may serve several numbers (an agency's, or a second
    number of the business): what was written to another number is not this organization's."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account" or not phone_number_id:
        return []
    found = []
    for entry in payload.get("entry") if isinstance(payload.get("entry"), list) else ():
        for change in (
            entry.get("changes") if isinstance(entry, dict) and isinstance(entry.get("changes"), list) else ()
        ):
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue
            value = change.get("value")
            metadata = value.get("metadata") if isinstance(value, dict) else None
            if isinstance(metadata, dict) and str(metadata.get("phone_number_id") or "") == phone_number_id:
                found.append(value)
    return found


def whatsapp_media(base_url: str, token: str, media_id: str, limit: int) -> tuple[bytes, str]:
    """(the bytes, the type WhatsApp gives) of a file a customer sent, read up to `limit` bytes and one more."""
    if not re.fullmatch(r"[0-9A-Za-z_.-]{1,200}", media_id):
        raise Unavailable("WhatsApp: a media id of another shape")
    headers = {"Authorization": f"Bearer {token}"}
    response, body = http.get_json(f"{base_url.rstrip('/')}/{media_id}", "WhatsApp", headers=headers)
    url = body.get("url")
    # The token goes with the file's request, so only to an address of the same kind as the Graph API's own.
    scheme = base_url.partition("://")[0] + "://"
    if response.status_code != 200 or not isinstance(url, str) or not url.startswith(("https://", scheme)):
        problem = body.get("error") if isinstance(body.get("error"), dict) else {}
        raise Unavailable(f"WhatsApp {problem.get('code', response.status_code)}: {problem.get('message', '')}")
    response, data = http.get_bytes(url, "WhatsApp", limit, headers=headers)
    if response.status_code != 200:
        raise Unavailable(f"WhatsApp HTTP {response.status_code}: the file could not be read")
    return data, str(body.get("mime_type") or "")
