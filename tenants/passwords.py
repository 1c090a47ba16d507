"""The one password policy: long enough, and not guessable (zxcvbn's estimate, with the person's own words)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

from tenants.text import latin_digits, number

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128
# zxcvbn's scale: 3 is "safely unguessable" against an online attack slowed down, as our logins are.
MIN_SCORE = 3
ESTIMATED = 64


def _words(texts: tuple[str, ...]) -> list[str]:
    """The person's and the organization's own words, which an attacker tries first."""
    words: set[str] = set()
    for given in texts:
        text = latin_digits(given or "").lower()
        words.add(text)
        words.add(text.split("@", 1)[0])
        words.add(re.sub(r"[\W_]+", "", text.split("@", 1)[0]))  # "Pars Supply" is also "parssupply"
        words.update(w for w in re.split(r"[\W_]+", text) if len(w) >= 3)
    words.discard("")
    return sorted(words)


def password_problem(password: str, *about: str) -> str | None:
    """Why `password` may not be used, or None; `about` are the e-mail, the name and the organization's name.

    Digits are compared as Latin digits, so "۱۲۳۴۵۶۷۸۹۰" is the sequence it is on any keyboard.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l(
            "Use at least %(n)s characters: a short phrase of three or four words is easy to remember.",
            n=number(MIN_PASSWORD_LENGTH),
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return _l("Use at most %(n)s characters.", n=number(MAX_PASSWORD_LENGTH))
    # zxcvbn's time grows fast with length; the first ESTIMATED characters decide (a stranger can send 128).
    result = zxcvbn(latin_digits(password)[:ESTIMATED], user_inputs=_words(about))
    if result["score"] >= MIN_SCORE:
        return None
    if any(match.get("dictionary_name") == "user_inputs" for match in result["sequence"]):
        return _l(
            "This password is built on your name, your e-mail or the organization's name, which are the first"
            " guesses. Choose three or four unrelated words instead."
        )
    return _l(
        "This password is easy to guess: common words, sequences like 1234, repeated characters and dates are"
        " tried first. Choose three or four unrelated words, or add to it until it is less predictable."
    )
