"""A complainant's contact details checked and stored in one form: phone numbers, e-mail addresses and
national IDs; and how they want to be reached.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from enum import StrEnum

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from services.i18n import number, ungrouped
from tenants.errors import Refused
from tenants.text import latin_digits, normalize_email

# Iran's کد ملی: 10 digits. Kazakhstan's ЖСН/ИИН: 12 digits. Elsewhere: anything plausible.
IR_NATIONAL_ID_DIGITS = 10
KZ_IIN_DIGITS = 12
OTHER_NATIONAL_ID_DIGITS = (5, 20)

_KZ_WEIGHTS_1 = tuple(range(1, 12))
_KZ_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
# The IIN's 7th digit: century of birth and sex (odd for men, even for women).
_KZ_CENTURIES = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}
# Dashes, dots and the Arabic-script ones typed or pasted between the digits; white space and invisible
# format characters (ZWNJ, LRM/RLM) too, see _clean_digits.
_SEPARATORS = frozenset("-_.\u2212\u0640\u06d4\u066b\u066c")

# A mobile number as people of each country write it, and the name of its national ID: the organization's
# country decides, whatever the page's language.
PHONE_EXAMPLES = {"IR": "0912 123 4567", "KZ": "8 701 123 45 67"}
OTHER_PHONE_EXAMPLE = "+98 912 123 4567"
NATIONAL_ID_NAMES = {"IR": _l("National code"), "KZ": _l("IIN (individual identification number)")}
OTHER_NATIONAL_ID_NAME = _l("National ID")


class PreferredContact(StrEnum):
    """How a complainant wants to be reached (Complaint.preferred_contact)."""

    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    MESSENGER = "messenger"
    WHATSAPP = "whatsapp"  # the mobile phone, on WhatsApp
    LETTER = "letter"


def phone_example(country: str) -> str:
    """A mobile number of `country` as its people write it, for placeholders and messages."""
    return PHONE_EXAMPLES.get(country.upper(), OTHER_PHONE_EXAMPLE)


def national_id_name(country: str):
    """What `country` calls its national ID (a lazy text): Iran's کد ملی, Kazakhstan's ИИН/ЖСН."""
    return NATIONAL_ID_NAMES.get(country.upper(), OTHER_NATIONAL_ID_NAME)


class ContactError(Refused):
    """A refused contact detail: `field` ("email", "phone", "national_id") names which, `message` what to fix."""


def check_email(value: str) -> str:
    """The address normalized, if its syntax is an e-mail address's (no lookup: it may be offline)."""
    email = normalize_email(value)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise ContactError(_l("Enter a valid e-mail address, for example name@example.com."), "email") from None
    return email


def _phone_error(region: str) -> ContactError:
    example = ungrouped(phone_example(region))
    return ContactError(_l("Enter a valid phone number, for example %(example)s.", example=example), "phone")


def _national_id_error(message: str | None = None) -> ContactError:
    return ContactError(message or _l("This national ID is not valid: check its digits."), "national_id")


def normalize_phone(text: str, region: str) -> str:
    """The phone number in `text` in E.164 ("+989121234567"); national numbers read as in `region`.

    `region` is the tenant's country ("IR", "KZ"); a number written with its country code may be from anywhere.
    """
    cleaned = "".join(char for char in latin_digits(text or "") if unicodedata.category(char) != "Cf")
    try:
        number = phonenumbers.parse(cleaned, region.upper())
    except phonenumbers.NumberParseException:
        raise _phone_error(region) from None
    if not phonenumbers.is_valid_number(number):
        raise _phone_error(region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """A stored E.164 number for display, in international format ("+98 912 123 4567")."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _is_separator(char: str) -> bool:
    return char in _SEPARATORS or char.isspace() or unicodedata.category(char) in {"Pd", "Cf"}


def _clean_digits(text: str) -> str:
    """Latin digits of `text` without separators; ContactError if anything else is in it."""
    kept = []
    for char in latin_digits(text or ""):
        if "0" <= char <= "9":
            kept.append(char)
        elif not _is_separator(char):
            raise _national_id_error()
    return "".join(kept)


def _ir_national_id_valid(digits: str) -> bool:
    if len(set(digits)) == 1:  # 0000000000 … 9999999999 pass the checksum but are never issued
        return False
    total = sum(int(digits[i]) * (10 - i) for i in range(9)) % 11
    check = int(digits[9])
    return check == total if total < 2 else check == 11 - total


def _kz_iin_valid(digits: str) -> bool:
    century = _KZ_CENTURIES.get(digits[6])
    if century is None:
        return False
    try:
        date(century + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return False
    return _kz_iin_check_digit(digits[:11]) == digits[11]


def _kz_iin_check_digit(first_eleven: str) -> str | None:
    """The check digit of an IIN's first 11 digits, or None if none exists (such IINs are never issued)."""
    values = [int(d) for d in first_eleven]
    total = sum(v * w for v, w in zip(values, _KZ_WEIGHTS_1, strict=True)) % 11
    if total == 10:
        total = sum(v * w for v, w in zip(values, _KZ_WEIGHTS_2, strict=True)) % 11
        if total == 10:
            return None
    return str(total)


def check_national_id(text: str, country: str) -> str:
    """The national ID in `text` as bare Latin digits, checked by `country`'s rules; ContactError if wrong.

    IR: the 10-digit کد ملی and its check digit. KZ: a person's 12-digit ЖСН/ИИН, its birth date,
    century-and-sex digit (1-6) and check digit. Elsewhere: 5 to 20 digits.
    """
    digits = _clean_digits(text)
    country = country.upper()
    if country == "IR":
        expected = IR_NATIONAL_ID_DIGITS
    elif country == "KZ":
        expected = KZ_IIN_DIGITS
    else:
        low, high = OTHER_NATIONAL_ID_DIGITS
        if not low <= len(digits) <= high:
            raise _national_id_error(
                _l("This national ID should have %(low)s to %(high)s digits.", low=number(low), high=number(high))
            )
        return digits
    if len(digits) != expected:
        raise _national_id_error(
            _l(
                "This national ID should have %(count)s digits: check that none is missing or extra.",
                count=number(expected),
            )
        )
    valid = _ir_national_id_valid(digits) if country == "IR" else _kz_iin_valid(digits)
    if not valid:
        raise _national_id_error()
    return digits
