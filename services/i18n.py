"""Texts the tenant keeps in several languages, and moments shown in a reader's calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import jdatetime
from babel.dates import format_date, format_time

from tenants.text import persian_digits

FALLBACK_ORDER = ("en", "fa", "ru", "kk")


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


def format_moment(value: datetime | date, locale: str, timezone: str, kind: str = "datetime") -> str:
    """A date or time in `locale`'s calendar and language, in `timezone`: Jalali with Persian digits for Persian.

    `kind` is "datetime", "date" or "time". Naive datetimes are read as UTC; a date has no zone.
    """
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        local = aware.astimezone(ZoneInfo(timezone))
    else:
        local = datetime(value.year, value.month, value.day)  # noqa: DTZ001 - a calendar date has no zone
        kind = "date"
    if locale == "fa":
        jalali = jdatetime.datetime.fromgregorian(datetime=local.replace(tzinfo=None), locale="fa_IR")
        pattern = {"date": "%-d %B %Y", "time": "%H:%M"}.get(kind, "%-d %B %Y، %H:%M")
        pattern = pattern.replace("%-d", str(jalali.day))
        return persian_digits(jalali.strftime(pattern))
    day = format_date(local, "medium", locale=locale)
    clock = format_time(local, "short", locale=locale)
    return {"date": day, "time": clock}.get(kind, f"{day}, {clock}")
