"""Input normalization shared by every form: digits, Arabic letters, white space."""

from __future__ import annotations

_TO_LATIN = str.maketrans(
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩",
    "01234567890123456789",
)
_TO_PERSIAN_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})
_TO_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def normalize_input(value: str | None) -> str | None:
    """Persian and Arabic-Indic digits to Latin, Arabic ي/ك to Persian ی/ک, outer white space trimmed."""
    if value is None:
        return None
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
