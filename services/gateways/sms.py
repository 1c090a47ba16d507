"""Text messages through the tenant's own provider: Kavenegar and SMS.ir (Iran), Mobizon (Kazakhstan), or any
HTTP gateway that takes JSON. Each speaks its provider's API as documented, errors included, and sorts a
refusal into "not now" (Unavailable: retried) and "never as addressed" (Undeliverable)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from services.gateways import http
from services.gateways.base import Outgoing, Unavailable, Undeliverable


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    base_url: str  # the provider's API; a connection may point elsewhere (a proxy, a test server)
    needs_sender: bool
    send: Callable[[str, dict[str, Any], str, Outgoing], str | None]


def _digits(phone: str) -> str:
    """E.164 without its plus: what most gateways take."""
    return phone.lstrip("+")


def _national_ir(phone: str) -> str:
    """An Iranian mobile as SMS.ir takes it: 9xxxxxxxxx."""
    digits = _digits(phone)
    return digits[2:] if digits.startswith("98") else digits


def _post(url: str, **kwargs: Any) -> httpx.Response:
    try:
        return http.post(url, **kwargs)
    except httpx.HTTPError as exc:  # timed out, reset: the gateway may be back later; an address inside: never
        raise http.failure("gateway", exc) from exc


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise Unavailable(f"HTTP {response.status_code}, not JSON") from exc  # what it said is never repeated
    if not isinstance(body, dict):
        raise Unavailable(f"HTTP {response.status_code}: unexpected answer")
    return body


# Kavenegar: https://kavenegar.com/rest.html — POST /v1/{API-KEY}/sms/send.json; the answer's "return.status"
# is the HTTP status; "localid" makes a repeat of the same message id a no-op on their side.
_KAVENEGAR_RECIPIENT = {411, 414}  # the receptor is not a valid number / too many receptors


def _kavenegar(base_url: str, settings: dict[str, Any], secret: str, out: Outgoing) -> str | None:
    response = _post(
        f"{base_url.rstrip('/')}/v1/{secret}/sms/send.json",
        data={
            "receptor": _digits(out.recipient),
            "sender": settings.get("sender", ""),
            "message": out.body,
            "localid": str(out.notice_id),
        },
    )
    body = _json(response)
    status = (body.get("return") or {}).get("status", response.status_code)
    message = (body.get("return") or {}).get("message", "")
    if status == 200:
        entries = body.get("entries") or [{}]
        return str(entries[0].get("messageid", "")) or None
    error = f"Kavenegar {status}: {message}"
    if status in _KAVENEGAR_RECIPIENT:
        raise Undeliverable(error)
    raise Unavailable(error)  # a key, credit or sender problem is the organization's to fix, then retried


# SMS.ir: https://app.sms.ir/developer/help/bulk — POST /v1/send/bulk with X-API-KEY; "status" 1 is success.
_SMSIR_RECIPIENT = {104}  # a mobile number is invalid


def _smsir(base_url: str, settings: dict[str, Any], secret: str, out: Outgoing) -> str | None:
    response = _post(
        f"{base_url.rstrip('/')}/v1/send/bulk",
        headers={"X-API-KEY": secret, "Accept": "application/json"},
        json={
            "lineNumber": settings.get("sender", ""),
            "messageText": out.body,
            "mobiles": [_national_ir(out.recipient)],
            "sendDateTime": None,
        },
    )
    body = _json(response)
    status = body.get("status")
    if response.status_code == 200 and status == 1:
        data = body.get("data") or {}
        ids = data.get("messageIds") or []
        return str(ids[0]) if ids else str(data.get("packId", "")) or None
    error = f"SMS.ir HTTP {response.status_code}, status {status}: {body.get('message', '')}"
    if status in _SMSIR_RECIPIENT:
        raise Undeliverable(error)
    raise Unavailable(error)


# Mobizon: https://mobizon.kz/help/api-docs/message#SendSmsMessage — POST
# /service/message/sendsmsmessage?output=json&api=v1&apiKey=…; "code" 0 is success, 1 a validation error.
def _mobizon(base_url: str, settings: dict[str, Any], secret: str, out: Outgoing) -> str | None:
    params = {"output": "json", "api": "v1", "apiKey": secret}
    form = {"recipient": _digits(out.recipient), "text": out.body}
    if settings.get("sender"):
        form["from"] = settings["sender"]
    response = _post(f"{base_url.rstrip('/')}/service/message/sendsmsmessage", params=params, data=form)
    body = _json(response)
    code = body.get("code")
    if code == 0:
        return str((body.get("data") or {}).get("messageId", "")) or None
    error = f"Mobizon code {code}: {body.get('message', '')} {body.get('data') or ''}".strip()
    data = body.get("data")
    if code == 1 and isinstance(data, dict) and "recipient" in data:
        raise Undeliverable(error)
    raise Unavailable(error)


# Any gateway: POST {"to", "text", "reference"} as JSON, the secret as a bearer token; 2xx is taken.
def _http(base_url: str, settings: dict[str, Any], secret: str, out: Outgoing) -> str | None:
    headers = {"Idempotency-Key": out.reference}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    response = _post(
        base_url, headers=headers, json={"to": out.recipient, "text": out.body, "reference": out.reference}
    )
    if 200 <= response.status_code < 300:
        try:
            body = response.json()
        except ValueError:
            return None
        return str(body.get("id", "")) or None if isinstance(body, dict) else None
    error = f"gateway HTTP {response.status_code}"
    if response.status_code in (408, 425, 429) or response.status_code >= 500:
        raise Unavailable(error)
    raise Undeliverable(error)


PROVIDERS = {
    p.key: p
    for p in (
        Provider("kavenegar", "Kavenegar", "https://api.kavenegar.com", True, _kavenegar),
        Provider("smsir", "SMS.ir", "https://api.sms.ir", True, _smsir),
        Provider("mobizon", "Mobizon", "https://api.mobizon.kz", False, _mobizon),
        Provider("http", "HTTP gateway", "", False, _http),
    )
}
