"""Tracking codes: what a complainant is given to follow their complaint without an account.

A code is 13 digits: 12 random ones from `secrets` (never sequential, so one code tells nothing about
another), the first of them never 0 so that no spreadsheet, phone keypad or integer column loses it,
and one Damm check digit. Damm catches every single wrong digit and every swap of two neighbouring
digits, so most typing mistakes are told apart from "no such complaint" before any lookup.

Shown as XXXX-XXXX-XXXXX (4-4-5): short groups are easier to read aloud over the phone and to copy.
Read back from whatever the complainant types or pastes: Persian, Arabic-Indic or Latin digits, with
any spaces, dashes, dots or invisible direction marks between them.
"""

from __future__ import annotations

import secrets
import unicodedata

from flask_babel import gettext as _
from stdnum import damm

from tenants.text import latin_digits

BODY_DIGITS = 12
CODE_DIGITS = BODY_DIGITS + 1
GROUPS = (4, 4, 5)
# Languages written right to left, in whose text a code is kept left to right.
RTL_LOCALES = frozenset({"fa"})

# Typed or pasted between the digits and ignored: dashes and hyphens of every script (Unicode "Pd",
# plus the ones filed elsewhere), dots and the Arabic separators, every kind of white space (str.isspace)
# and the invisible format characters (Unicode "Cf": ZWNJ, LRM/RLM, the Arabic letter mark, bidi
# embeddings and isolates, BOM, soft hyphen) that right-to-left text carries along when copied.
_SEPARATORS = frozenset(
    "_"  # low line
    "\u2212"  # − minus sign
    "\u2043"  # ⁃ hyphen bullet
    "\u0640"  # ـ Arabic tatweel (kashida), drawn as a dash in Persian text
    "."
    "\u06d4"  # ۔ Arabic full stop
    "\u066b"  # ٫ Arabic decimal separator
    "\u066c"  # ٬ Arabic thousands separator
    "\u2024"  # ․ one dot leader
    "\u00b7"  # · middle dot
    "\uff0e"  # ． fullwidth full stop
)
_IGNORED_CATEGORIES = frozenset({"Pd", "Cf"})


class CodeError(ValueError):
    """A tracking code that cannot be right, whatever the database holds.

    `reason` says why: "empty" (nothing typed), "invalid" (something other than digits and separators),
    "length" (not 13 digits) or "typo" (the check digit does not match: a digit is wrong or two are swapped).
    """

    REASONS = frozenset({"empty", "invalid", "length", "typo"})

    def __init__(self, reason: str) -> None:
        if reason not in self.REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        super().__init__(reason)
        self.reason = reason


def new_code() -> str:
    """A fresh tracking code: 13 Latin digits, the first not 0, the last the Damm check digit.

    Uniqueness is the caller's to enforce (a unique index, and a retry on the rare collision):
    there are 9 * 10**11 bodies.
    """
    body = secrets.choice("123456789") + f"{secrets.randbelow(10 ** (BODY_DIGITS - 1)):0{BODY_DIGITS - 1}d}"
    return body + damm.calc_check_digit(body)


def format_code(code: str) -> str:
    """The code in 4-4-5 groups joined by hyphens, "1234-5678-90123", as shown and printed."""
    parts = []
    start = 0
    for size in GROUPS:
        parts.append(code[start : start + size])
        start += size
    return "-".join(parts)


def shown_code(code: str, locale: str) -> str:
    """A formatted tracking code as text in `locale`: in right-to-left text, isolated left-to-right so that its
    groups keep their order (1234-5678-90128, not 90128-5678-1234)."""
    return f"\u2066{code}\u2069" if locale in RTL_LOCALES else code


def _digit(char: str) -> str | None:
    """A Latin digit for any decimal digit (Persian and Arabic-Indic included), else None."""
    char = latin_digits(char)
    if "0" <= char <= "9":
        return char
    if unicodedata.category(char) == "Nd":  # fullwidth and other scripts' digits
        return str(unicodedata.decimal(char))
    return None


def _is_separator(char: str) -> bool:
    return char in _SEPARATORS or char.isspace() or unicodedata.category(char) in _IGNORED_CATEGORIES


def parse_code(text: str) -> str:
    """The 13 Latin digits of the code in `text`, or CodeError saying what is wrong with it."""
    digits = []
    other = False
    for char in text:
        digit = _digit(char)
        if digit is not None:
            digits.append(digit)
        elif not _is_separator(char):
            other = True
    if not digits and not other:
        raise CodeError("empty")
    if other:
        raise CodeError("invalid")
    if len(digits) != CODE_DIGITS:
        raise CodeError("length")
    code = "".join(digits)
    # A leading 0 is never issued; Damm alone rejects it whenever it replaced the real first digit.
    if code[0] == "0" or not damm.is_valid(code):
        raise CodeError("typo")
    return code


def explain(exc: CodeError) -> str:
    """What is wrong with a typed code, in the reader's language."""
    messages = {
        "typo": _("This code has a typo: a digit is wrong or two are swapped. Check it against your receipt."),
        "length": _("A tracking code has 13 digits. Check it against your receipt."),
        "invalid": _("A tracking code has only digits, with spaces or dashes between them if you like."),
        "empty": _("Type your tracking code."),
    }
    return messages[exc.reason]
