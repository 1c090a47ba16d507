"""Signed outbound webhooks to the organization's own systems: every complaint event as JSON, signed with
HMAC-SHA256 over "<timestamp>.<body>" (the header `Dadras-Signature: t=<unix time>,v1=<hex digest>`), retried
by the outbox like any notice. The receiver recomputes the digest with the shared secret, and may refuse
old timestamps and repeated `Dadras-Delivery` ids."""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx

from services.gateways import http
from services.gateways.base import Outgoing, Unavailable, Undeliverable

SIGNATURE_HEADER = "Dadras-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def send(url: str, secret: str, out: Outgoing) -> str | None:
    body = out.body.encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        "Dadras-Delivery": out.reference,
        "Dadras-Event": out.subject,
    }
    try:
        response = http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise http.failure("webhook", exc) from exc
    if 200 <= response.status_code < 300:
        return None
    error = f"webhook HTTP {response.status_code}"  # never what it answered: the tenant reads this
    if response.status_code in (408, 409, 425, 429) or response.status_code >= 500:
        raise Unavailable(error)
    raise Undeliverable(error)
