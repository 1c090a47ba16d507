"""Anti-abuse on the portal without third-party services: rate limits, a honeypot, a self-hosted proof of
work (ALTCHA's protocol, solved by app.js) and, for browsers without JavaScript, a small sum to answer."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime, timedelta

from altcha import create_challenge_v1, verify_solution_v1
from flask import current_app, request

from tenants import throttle
from tenants.text import latin_digits
from tenants.tokens import TokenExpired, TokenInvalid, make_token, read_token

CHALLENGE_LIFETIME = timedelta(minutes=30)
# About a second of hashing in a browser, nothing for one person, a cost for a bot filing thousands.
POW_MAX_NUMBER = 100_000
QUESTION_PURPOSE = "portal-question"


def client_ip() -> str:
    """The visitor's address (behind TRUSTED_PROXY_COUNT proxies, ProxyFix has set it)."""
    return request.remote_addr or "unknown"


def _key() -> str:
    return current_app.config["SECRET_KEY"] + ":altcha"


def new_challenge() -> str:
    """A signed proof-of-work challenge for the form, as JSON for app.js."""
    challenge = create_challenge_v1(
        hmac_key=_key(),
        max_number=POW_MAX_NUMBER,
        expires=datetime.now() + CHALLENGE_LIFETIME,  # noqa: DTZ005 - ALTCHA stores a Unix time
    )
    return json.dumps(
        {
            "algorithm": challenge.algorithm,
            "challenge": challenge.challenge,
            "maxnumber": challenge.max_number,
            "salt": challenge.salt,
            "signature": challenge.signature,
        }
    )


def new_question() -> tuple[int, int, str]:
    """Two small numbers to add and a signed token holding their sum."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    return a, b, make_token(QUESTION_PURPOSE, {"s": a + b, "n": secrets.token_hex(8)})


def _first_use(kind: str, value: str) -> bool:
    """Whether this solved challenge is used for the first time (a replay files nothing)."""
    return throttle.hit("portal_once", kind, value)


def proof_of_work_done(payload: str | None) -> bool:
    if not payload:
        return False
    try:
        ok, _error = verify_solution_v1(payload, _key(), check_expires=True)
        salt = json.loads(base64.b64decode(payload))["salt"] if ok else None
    except Exception:
        return False
    return isinstance(salt, str) and _first_use("pow", salt)


def question_answered(token: str | None, answer: str | None) -> bool:
    if not token or not answer:
        return False
    try:
        payload = read_token(QUESTION_PURPOSE, token, int(CHALLENGE_LIFETIME.total_seconds()))
    except (TokenExpired, TokenInvalid):
        return False
    typed = latin_digits(answer).strip()
    right = typed.isascii() and typed.isdigit() and len(typed) < 4 and int(typed) == payload.get("s")
    return _first_use("q", token) and right


def human(payload: str | None, token: str | None, answer: str | None) -> str | None:
    """ "pow" or "sum" when the form carries a solved proof of work or the right sum, not used before; else None.

    A wrong sum uses its token up too, so a bot cannot try every answer on one page.
    """
    if proof_of_work_done(payload):
        return "pow"
    if question_answered(token, answer):
        return "sum"
    return None
