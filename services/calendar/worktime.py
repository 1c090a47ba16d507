"""Working-time arithmetic on a tenant's week, holidays and time zone; pure, no database."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

WeekHours = dict[int, list[tuple[time, time]]]

PRESETS: dict[str, WeekHours] = {
    "iran": {
        **{day: [(time(8), time(16))] for day in (5, 6, 0, 1, 2)},
        3: [(time(8), time(12))],
    },
    "kazakhstan": {day: [(time(9), time(13)), (time(14), time(18))] for day in range(5)},
}

HOLIDAY_COUNTRIES = ("IR", "KZ")
# The first language of each country is its own, used when no language is asked for.
_HOLIDAY_LANGUAGES = {"IR": ("fa_IR", "en_US"), "KZ": ("kk", "en_US", "uk")}
_LOCALE_LANGUAGES = {"fa": "fa_IR", "kk": "kk", "en": "en_US", "ru": "en_US"}

_SCAN_LIMIT = timedelta(days=3 * 366)
_TIME = re.compile(r"([0-9]{2}):([0-9]{2})")
_WEEKDAY_KEYS = frozenset(str(day) for day in range(7))
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def hours_to_json(hours: WeekHours) -> dict[str, list[list[str]]]:
    """The week as stored: {"0": [["08:00", "16:00"]], ...}, Monday = "0"."""
    return {
        str(day): [[start.strftime("%H:%M"), end.strftime("%H:%M")] for start, end in hours[day]]
        for day in sorted(hours)
    }


def _parse_time(value: Any, where: str) -> time:
    """An "HH:MM" string as a time."""
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{where}: {value!r} is not a time of day written as HH:MM")
    return time(int(match[1]), int(match[2]))


def hours_from_json(data: Any) -> WeekHours:
    """The stored week read back and checked; ValueError says what is wrong."""
    if not isinstance(data, Mapping):
        raise ValueError("working hours must be an object keyed by weekday number")
    hours: WeekHours = {}
    for key, intervals in data.items():
        if key not in _WEEKDAY_KEYS:
            raise ValueError(f'weekday {key!r} is out of range: use "0" (Monday) to "6" (Sunday)')
        day = int(key)
        where = _DAY_NAMES[day]
        if not isinstance(intervals, list):
            raise ValueError(f"{where}: the working hours must be a list of [start, end] pairs")
        parsed: list[tuple[time, time]] = []
        for interval in intervals:
            if not (isinstance(interval, list | tuple) and len(interval) == 2):
                raise ValueError(f"{where}: {interval!r} is not a [start, end] pair")
            start, end = _parse_time(interval[0], where), _parse_time(interval[1], where)
            if end <= start:
                raise ValueError(f"{where}: {interval[0]}-{interval[1]} must end after it starts")
            parsed.append((start, end))
        parsed.sort()
        for (_, earlier_end), (later_start, later_end) in pairwise(parsed):
            if later_start < earlier_end:
                raise ValueError(f"{where}: {later_start:%H:%M}-{later_end:%H:%M} overlaps an earlier interval")
        hours[day] = parsed
    return hours


def _utc(moment: datetime, name: str) -> datetime:
    """An aware instant in UTC; a naive one is refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC)


def _intervals(
    day: date, hours: WeekHours, holidays: Collection[date], tz: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """The day's working intervals as UTC instants; none on a holiday."""
    if day in holidays:
        return []
    # Arithmetic happens in UTC: aware datetimes sharing a tzinfo subtract as wall clocks, wrong across DST.
    return [
        (datetime.combine(day, start, tzinfo=tz).astimezone(UTC), datetime.combine(day, end, tzinfo=tz).astimezone(UTC))
        for start, end in hours.get(day.weekday(), [])
    ]


def add_working_time(
    start: datetime, amount: timedelta, hours: WeekHours, holidays: Collection[date], tz: ZoneInfo
) -> datetime:
    """The UTC instant when `amount` of working time, counted from `start`, has passed."""
    moment = _utc(start, "start")
    if amount < timedelta(0):
        raise ValueError("the amount of working time must not be negative")
    if not amount:
        return moment
    if not any(hours.get(day) for day in range(7)):
        raise ValueError("the working calendar has no working hours")
    off = frozenset(holidays)
    remaining = amount
    day = moment.astimezone(tz).date()
    last = day + _SCAN_LIMIT
    while day <= last:
        for opens, end in _intervals(day, hours, off, tz):
            begin = max(opens, moment)
            if begin >= end:
                continue
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        day += timedelta(days=1)
    raise ValueError("the working calendar has too little working time within three years; check its holidays")


def add_calendar_days(start: datetime, days: int, tz: ZoneInfo) -> datetime:
    """The end (23:59:59.999999 local, as UTC) of the local calendar day `days` days after `start`'s."""
    day = _utc(start, "start").astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(day, time.max, tzinfo=tz).astimezone(UTC)


def working_time_between(
    start: datetime, end: datetime, hours: WeekHours, holidays: Collection[date], tz: ZoneInfo
) -> timedelta:
    """The working time from `start` to `end`; negative when `end` is earlier."""
    first, last = _utc(start, "start"), _utc(end, "end")
    if last < first:
        return -working_time_between(last, first, hours, holidays, tz)
    off = frozenset(holidays)
    total = timedelta(0)
    day, last_day = first.astimezone(tz).date(), last.astimezone(tz).date()
    while day <= last_day:
        for begin, finish in _intervals(day, hours, off, tz):
            overlap = min(finish, last) - max(begin, first)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def official_holidays(country: str, year: int, language: str | None = None) -> list[tuple[date, str]]:
    """Official holidays of "IR" or "KZ" in `year` by date, named in `language` or English (None: the country's own)."""
    import holidays

    if country not in HOLIDAY_COUNTRIES:
        raise ValueError(f"no official holidays for country {country!r}; known: {', '.join(HOLIDAY_COUNTRIES)}")
    supported = _HOLIDAY_LANGUAGES[country]
    if language is None:
        code = supported[0]
    else:
        code = language.replace("-", "_")
        if code not in supported:
            code = _LOCALE_LANGUAGES.get(code.split("_")[0].lower(), "en_US")
        if code not in supported:
            code = "en_US"
    listed = holidays.country_holidays(country, years=year, language=code)
    if country == "KZ" and language is not None and language.lower().startswith("ru"):
        return sorted((day, _kazakhstan_in_russian(name)) for day, name in listed.items())
    return sorted(listed.items())


# The holidays library names Kazakhstan's holidays in Kazakh and English only; these are their official Russian
# names, by the English ones (a name it adds later stays English until it is listed here).
_KZ_RUSSIAN = {
    "Capital Day": "День Столицы",
    "Constitution Day": "День Конституции Республики Казахстан",
    "Defender of the Fatherland Day": "День защитника Отечества",
    "Eid al-Adha": "Курбан айт",
    "First President Day": "День Первого Президента Республики Казахстан",
    "Independence Day": "День Независимости",
    "International Women's Day": "Международный женский день",
    "Kazakhstan's People Solidarity Holiday": "Праздник единства народа Казахстана",
    "New Year's Day": "Новый год",
    "Nowruz Holiday": "Наурыз мейрамы",
    "Orthodox Christmas": "Православное Рождество",
    "Republic Day": "День Республики",
    "Victory Day": "День Победы",
}
_SUBSTITUTED = re.compile(r"Day off \(substituted from (\d{2})/(\d{2})/(\d{4})\)")


def _kazakhstan_in_russian(english: str) -> str:
    """One English holiday name of Kazakhstan (several joined by "; ") in Russian."""
    named = []
    for part in english.split("; "):
        if moved := _SUBSTITUTED.fullmatch(part):
            month, day, year = moved.groups()
            named.append(f"Выходной день (перенесён с {day}.{month}.{year})")
            continue
        base, _, note = part.partition(" (")
        note = {"observed)": " (перенесённый выходной)", "estimated)": " (ориентировочная дата)"}.get(note, "")
        named.append(_KZ_RUSSIAN.get(base, base) + note)
    return "; ".join(named)
