"""Texts the tenant keeps in several languages, and moments, numbers, sizes and sums shown in a reader's
language and calendar."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import jdatetime
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_name
from babel.units import format_unit
from flask_babel import ngettext

from tenants.text import Localized, current_locale, format_number, number, persian_digits, ungrouped

__all__ = ["Localized", "current_locale", "format_number", "number", "ungrouped"]

FALLBACK_ORDER = ("en", "fa", "ru", "kk")
# Each language by its own name.
LANGUAGE_NAMES = {"fa": "فارسی", "kk": "Қазақша", "ru": "Русский", "en": "English"}


def localized(names: dict[str, str] | None, locale: str) -> str:
    """The name in `locale`, else the first one kept in the fallback order."""
    if not names:
        return ""
    if names.get(locale):
        return names[locale]
    for fallback in FALLBACK_ORDER:
        if names.get(fallback):
            return names[fallback]
    return next(iter(names.values()), "")


def format_moment(
    value: datetime | date, locale: str, timezone: str, kind: str = "datetime", *, gregorian: bool = False
) -> str:
    """A date or time in `locale`'s calendar and language, in `timezone`: Jalali with Persian digits for Persian
    (Gregorian in Persian words and digits when `gregorian`, as a form shows beside the Jalali date).

    `kind` is "datetime", "date" or "time". Naive datetimes are read as UTC; a date has no zone.
    """
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        local = aware.astimezone(ZoneInfo(timezone))
    else:
        local = datetime(value.year, value.month, value.day)  # noqa: DTZ001 - a calendar date has no zone
        kind = "date"
    if locale == "fa" and not gregorian:
        jalali = jdatetime.datetime.fromgregorian(datetime=local.replace(tzinfo=None), locale="fa_IR")
        pattern = {"date": "%-d %B %Y", "time": "%H:%M"}.get(kind, "%-d %B %Y، %H:%M")
        pattern = pattern.replace("%-d", str(jalali.day))
        return persian_digits(jalali.strftime(pattern))
    day = format_date(local, "medium", locale=locale)
    clock = format_time(local, "short", locale=locale)
    if locale == "fa":
        return persian_digits({"date": day, "time": clock}.get(kind, f"{day}، {clock}"))
    return {"date": day, "time": clock}.get(kind, f"{day}, {clock}")


_KIB = 1024


def format_filesize(size: int, locale: str) -> str:
    """A file's size in bytes, kilobytes or megabytes (1024-based, rounded up), with the unit's name in `locale`."""
    if size < _KIB:
        amount, unit = size, "digital-byte"
    elif size < _KIB * _KIB:
        amount, unit = math.ceil(size / _KIB), "digital-kilobyte"
    else:
        amount, unit = round(size / (_KIB * _KIB), 1), "digital-megabyte"
    whole = int(amount)
    width = "short" if locale == "en" and size >= _KIB else "long"
    text = format_unit(whole if whole == amount else amount, unit, width, locale=locale)
    if locale == "fa":
        # Babel writes Persian units with Latin digits and an English decimal point.
        return persian_digits(text.replace(".", "٫"))
    return text


# The toman (ten rials) is how Iranians count money, but it has no ISO 4217 code of its own.
_TOMAN = "IRT"


def currency_name(code: str, locale: str, count: int | None = None) -> str:
    """A currency's name in `locale` ("Iranian rial"), for an amount of `count` where the grammar needs one."""
    if code == _TOMAN:
        return ngettext("Iranian toman", "Iranian tomans", count if count is not None else 2)
    try:
        return get_currency_name(code, count=count, locale=locale)
    except (ValueError, LookupError):
        return code


def format_money(amount: int | Decimal, code: str, locale: str) -> str:
    """A sum in whole units of `code` with the currency's name in `locale`: "۱٬۵۰۰٬۰۰۰ ریال ایران"."""
    if code == _TOMAN:
        shown = format_number(amount, locale)
        return ngettext("%(amount)s Iranian toman", "%(amount)s Iranian tomans", int(amount), amount=shown)
    try:
        text = format_currency(amount, code, locale=locale, format_type="name", currency_digits=False)
    except (ValueError, LookupError):
        return f"{format_number(amount, locale)} {code}"
    if locale == "fa":
        return persian_digits(text.replace(",", "٬"))
    return text


def filesize(size: int) -> Localized:
    """A size in bytes for a message: "15 MB", "۱۵ مگابایت", "15 мегабайт" when shown."""
    return Localized(size, format_filesize)  # type: ignore[arg-type]


_PERSIAN_QUARTERS = ("اول", "دوم", "سوم", "چهارم")
_SPAN_PATTERNS = {"month": "LLLL y", "quarter": "QQQQ y", "year": "y"}


def format_span(first: date, last: date, whole: str | None, locale: str) -> str:
    """A report's period in `locale`'s calendar: a month ("آذر ۱۴۰۵", "December 2026"), a quarter, a year, or
    its first and last days. `whole` is "month", "quarter" or "year" when the period is one."""
    if locale == "fa" and whole:
        j = jdatetime.date.fromgregorian(date=first, locale="fa_IR")
        if whole == "month":
            return persian_digits(j.strftime("%B %Y"))
        if whole == "quarter":
            return persian_digits(f"سه‌ماههٔ {_PERSIAN_QUARTERS[(j.month - 1) // 3]} {j.year}")
        return persian_digits(str(j.year))
    if whole:
        return format_date(first, _SPAN_PATTERNS[whole], locale=locale)
    start, end = format_moment(first, locale, "UTC", "date"), format_moment(last, locale, "UTC", "date")
    return start if first == last else f"{start} – {end}"


def format_share(rate: float | None, locale: str) -> str:
    """A share as a percentage with at most one decimal ("87.3%", "۸۷٫۳٪"); a dash when there is nothing to
    divide by."""
    if rate is None:
        return "—"
    if locale == "fa":
        text = format_percent(rate, "#,##0.#%", locale="fa", numbering_system="arabext")
        return persian_digits(text).replace("%", "٪")
    return format_percent(rate, "#,##0.#%", locale=locale)


def format_mean(value: float | None, locale: str) -> str:
    """A mean with one decimal ("4.2", "۴٫۲"); a dash when there is none."""
    if value is None:
        return "—"
    if locale == "fa":
        return persian_digits(format_decimal(value, "#,##0.0", locale="fa", numbering_system="arabext"))
    return format_decimal(value, "#,##0.0", locale=locale)
