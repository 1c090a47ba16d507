"""The web's part of passkeys: the relying party named from the request, the challenge kept in the session."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import request, session
from flask_babel import lazy_gettext as _l
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from tenants.errors import Refused

_CHALLENGE = "dadras_passkey_challenge"
CHALLENGE_SECONDS = 300


def relying_party() -> tuple[str, str]:
    """(rp id, origin) of this page: a passkey belongs to the host name it was made on."""
    origin = request.host_url.rstrip("/")
    return urlsplit(origin).hostname or "", origin


def keep_challenge(purpose: str, challenge: bytes) -> None:
    session[_CHALLENGE] = {"p": purpose, "c": bytes_to_base64url(challenge), "t": int(time.time())}


def take_challenge(purpose: str) -> bytes:
    """The challenge last given for `purpose`, used up; Refused when there is none or it is old."""
    kept = session.pop(_CHALLENGE, None)
    if not isinstance(kept, dict) or kept.get("p") != purpose or time.time() - kept.get("t", 0) > CHALLENGE_SECONDS:
        raise Refused(_l("This passkey request has expired. Try again."))
    return base64url_to_bytes(kept["c"])


def answer_of(body: object) -> str:
    """The browser's answer (the credential) from the posted JSON, as text for the service to parse."""
    import json

    credential = body.get("credential") if isinstance(body, dict) else None
    if not isinstance(credential, dict):
        raise Refused(_l("The browser's answer could not be read. Try again."))
    return json.dumps(credential)
