"""Input normalization shared by every form: digits, Arabic letters, white space."""

from __future__ import annotations

import re

_TO_LATIN = str.maketrans(
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩",
    "01234567890123456789",
)
_TO_PERSIAN_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})
_TO_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


# C0 control characters but tab and newline, and DEL: never meant, and NUL breaks PostgreSQL.
_CONTROLS = dict.fromkeys((*range(9), 11, 12, *range(14, 32), 127))


def normalize_input(value: str | None, multiline: bool = False) -> str | None:
    """Persian and Arabic-Indic digits to Latin, Arabic ي/ك to Persian ی/ک, outer white space trimmed.

    Control characters go; line breaks become "\n" in multi-line text and a space elsewhere.
    """
    if value is None:
        return None
    value = value.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS)
    if not multiline:
        value = value.replace("\n", " ").replace("\t", " ")
    return value.translate(_TO_LATIN).translate(_TO_PERSIAN_LETTERS).strip()


def latin_digits(value: str) -> str:
    """Only the digit mapping of normalize_input (for secrets, where letters and spaces must stay)."""
    return value.translate(_TO_LATIN)


def persian_digits(value: str) -> str:
    """Latin digits to Persian ones, for display."""
    return value.translate(_TO_PERSIAN_DIGITS)


def normalize_email(value: str) -> str:
    """An e-mail address as stored and compared: normalized and lower-cased."""
    return (normalize_input(value) or "").lower()


_ID = re.compile(r"[0-9]{1,9}")


def parse_id(value: object) -> int | None:
    """A row id or a count typed or sent as text: ASCII digits only, at most nine; None otherwise.

    `str.isdigit` accepts "²" and `int` accepts any length; neither is fit for a database id.
    """
    text = str(value if value is not None else "").strip()
    return int(text) if _ID.fullmatch(text) else None
