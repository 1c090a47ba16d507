"""Text typed and shown: input normalization (digits, Arabic letters, white space), numbers in the reader's digits."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from babel.numbers import format_decimal
from flask_babel import get_locale

_TO_LATIN = str.maketrans(
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩",
    "01234567890123456789",
)
_TO_PERSIAN_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})
_TO_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


# The bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): typed into a name or a
# subject they turn the text around it for whoever reads it ("invoice" U+202E "fdp.exe" reads "invoiceexe.pdf"),
# so no typed text keeps them.
# The marks (U+200E, U+200F) and the zero-width non-joiner Persian needs stay.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_NO_BIDI = dict.fromkeys(map(ord, BIDI_CONTROLS))
# C0 control characters but tab and newline, and DEL: never meant, and NUL breaks PostgreSQL.
_CONTROLS = dict.fromkeys((*range(9), 11, 12, *range(14, 32), 127)) | _NO_BIDI
# Text of nothing but white space and the invisible marks and joiners (a lone U+200F) says nothing: it is "",
# as a field left empty, and a required field asks for it again.
_NOTHING_VISIBLE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff]*")


def without_bidi_controls(value: str) -> str:
    """`value` without the bidirectional embeddings, overrides and isolates (text a person typed for others)."""
    return value.translate(_NO_BIDI)


def normalize_text(value: str | None, multiline: bool = False) -> str | None:
    """Free text as typed, but Arabic ي/ك as Persian ی/ک and outer white space trimmed; digits are kept.

    Control characters and bidirectional overrides go; line breaks become "\n" in multi-line text and a space
    elsewhere. A person's own words keep their digits ("۵ آذر ۱۴۰۵"); search compares them in one form
    (services.complaints.search).
    """
    if value is None:
        return None
    value = value.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS)
    if not multiline:
        value = value.replace("\n", " ").replace("\t", " ")
    value = value.translate(_TO_PERSIAN_LETTERS).strip()
    return "" if _NOTHING_VISIBLE.fullmatch(value) else value


def normalize_input(value: str | None, multiline: bool = False) -> str | None:
    """normalize_text, and Persian and Arabic-Indic digits to Latin: for numbers, codes, phones, dates and ids."""
    text = normalize_text(value, multiline)
    return text.translate(_TO_LATIN) if text is not None else None


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


def format_number(value: float | Decimal | int, locale: str) -> str:
    """A number with `locale`'s grouping and digits: Persian digits and separators for Persian."""
    if locale == "fa":
        return persian_digits(format_decimal(value, locale="fa", numbering_system="arabext"))
    return format_decimal(value, locale=locale)


def current_locale() -> str:
    """The language of the moment (the request's, or the one forced for a notice); "en" outside an app."""
    try:
        found = get_locale()
    except RuntimeError:
        return "en"
    return str(found) if found is not None else "en"


class Localized:
    """A value shown in the language of the moment it is turned into text, like a lazy translation.

    Give it to a translated message's placeholder (written `%(n)s`, never `%(n)d`) so that the number
    comes out in the reader's digits even when the message is made before the reader is known.
    """

    __slots__ = ("_render", "value")

    def __init__(self, value: object, render: Callable[[object, str], str]) -> None:
        self.value = value
        self._render = render

    def __str__(self) -> str:
        return self._render(self.value, current_locale())

    def __html__(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"Localized({self.value!r})"

    def __eq__(self, other: object) -> bool:
        return self.value == (other.value if isinstance(other, Localized) else other)

    def __hash__(self) -> int:
        return hash(self.value)


def number(value: float | Decimal | int) -> Localized:
    """`value` for a message: grouped and in the reader's digits when shown."""
    return Localized(value, format_number)  # type: ignore[arg-type]


def _ungrouped(value: object, locale: str) -> str:
    return persian_digits(str(value)) if locale == "fa" else str(value)


def ungrouped(value: int | str) -> Localized:
    """A number or a code for a message, never grouped but in the reader's digits (a year, a phone number)."""
    return Localized(value, _ungrouped)
