"""Signed, expiring tokens for e-mailed links (invitation, password reset)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class TokenInvalid(Exception):
    """The token is malformed or its signature does not match."""


class TokenExpired(Exception):
    """The token was genuine but is too old."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"dadras.{purpose}")


def make_token(purpose: str, payload: dict[str, Any]) -> str:
    """Sign `payload` for `purpose`; the purpose is part of the key, so tokens do not cross over."""
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age_seconds: int) -> dict[str, Any]:
    """The payload of a token made for `purpose`; raises TokenExpired or TokenInvalid."""
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise TokenExpired from exc
    except BadSignature as exc:
        raise TokenInvalid from exc
    if not isinstance(payload, dict):
        raise TokenInvalid
    return payload
