"""Secrets at rest: the tenants' gateway credentials, encrypted with Fernet (AES-128-CBC and HMAC-SHA256).

The key is CREDENTIALS_KEY (a Fernet key: `python -c "from cryptography.fernet import Fernet;
print(Fernet.generate_key().decode())"`); without it, one derived from SECRET_KEY (fine for development: a
changed SECRET_KEY then makes the stored secrets unreadable, and they must be typed again).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _fernet() -> Fernet:
    key = current_app.config.get("CREDENTIALS_KEY")
    if not key:
        digest = hashlib.sha256(("dadras-credentials:" + current_app.config["SECRET_KEY"]).encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The secret, or None when it cannot be read (another key)."""
    if not sealed:
        return ""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None
