"""Anti-abuse on the portal without third-party services: rate limits, a honeypot, a self-hosted proof of
work (ALTCHA's protocol, solved by app.js) and, for browsers without JavaScript, a small sum to answer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

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


def _form_mark(key: str | None) -> str:
    """A keyed digest of the form's submission key: a proof made for one form proves nothing on another."""
    secret = (current_app.config["SECRET_KEY"] + ":portal-form").encode()
    return hmac.new(secret, (key or "").encode(), hashlib.sha256).hexdigest()[:24]


def new_challenge(key: str | None) -> str:
    """A signed proof-of-work challenge for the form with submission key `key`, as JSON for app.js."""
    challenge = create_challenge_v1(
        hmac_key=_key(),
        max_number=POW_MAX_NUMBER,
        expires=datetime.now() + CHALLENGE_LIFETIME,  # noqa: DTZ005 - ALTCHA stores a Unix time
        params={"form": _form_mark(key)},
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


def _sum_digest(nonce: str, total: int, key: str | None) -> str:
    """The keyed digest of a question's answer on one form: the token carries this, never the answer itself."""
    secret = (current_app.config["SECRET_KEY"] + ":" + QUESTION_PURPOSE).encode()
    return hmac.new(secret, f"{nonce}:{total}:{_form_mark(key)}".encode(), hashlib.sha256).hexdigest()[:32]


def new_question(key: str | None) -> tuple[int, int, str]:
    """Two small numbers to add and a signed token for the form with submission key `key`, holding a keyed digest
    of their sum (not the sum: a signed token is readable base64, and a bot would read the answer off the page)."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    nonce = secrets.token_hex(8)
    return a, b, make_token(QUESTION_PURPOSE, {"n": nonce, "d": _sum_digest(nonce, a + b, key)})


def _first_use(kind: str, value: str) -> bool:
    """Whether this solved challenge is used for the first time (a replay files nothing)."""
    return throttle.hit("portal_once", kind, value)


def proof_of_work_done(payload: str | None, key: str | None) -> bool | None:
    """True: solved for this form and new; None: solved, but sent before (the same form again); False: not
    solved, or solved for another form."""
    if not payload:
        return False
    try:
        ok, _error = verify_solution_v1(payload, _key(), check_expires=True)
        salt = json.loads(base64.b64decode(payload))["salt"] if ok else None
    except Exception:
        return False
    if not isinstance(salt, str):
        return False
    made_for = dict(parse_qsl(salt.partition("?")[2])).get("form", "")
    if not hmac.compare_digest(made_for, _form_mark(key)):
        return False
    return True if _first_use("pow", salt) else None


def question_answered(token: str | None, answer: str | None, key: str | None) -> bool | None:
    """True: the right sum, on a token not used before; None: the right sum on a token sent before (the same form
    again); False: a wrong sum, or no token."""
    if not token or not answer:
        return False
    try:
        payload = read_token(QUESTION_PURPOSE, token, int(CHALLENGE_LIFETIME.total_seconds()))
    except (TokenExpired, TokenInvalid):
        return False
    typed = latin_digits(answer).strip()
    nonce, digest = payload.get("n"), payload.get("d")
    right = (
        typed.isascii()
        and typed.isdigit()
        and len(typed) < 4
        and isinstance(nonce, str)
        and isinstance(digest, str)
        and hmac.compare_digest(digest, _sum_digest(nonce, int(typed), key))
    )
    first = _first_use("q", token)  # a wrong sum uses its token up too
    if not right:
        return False
    return True if first else None


def human(payload: str | None, token: str | None, answer: str | None, key: str | None) -> str | None:
    """ "pow" or "sum" when the form with submission key `key` carries its solved proof of work or the right sum,
    not used before; "again" when it carries one already used (the same form sent twice: it may only find what
    the first sending filed); else None.

    A wrong sum uses its token up too, so a bot cannot try every answer on one page.
    """
    work = proof_of_work_done(payload, key)
    if work:
        return "pow"
    question = question_answered(token, answer, key)
    if question:
        return "sum"
    if work is None or question is None:
        return "again"
    return None
