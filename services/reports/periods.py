"""A report's period: this or last month, quarter or year, or any range of days, in the reader's calendar.

Months, quarters and years are Jalali for a Persian reader and Gregorian otherwise; weeks begin on Saturday for
an Iranian organization and on Monday elsewhere. A period is a span of local days, both ends included; its
moments are those days' starts in the organization's time zone.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import jdatetime
from flask_babel import lazy_gettext as _l

from tenants.errors import Refused

PRESETS = ("this_month", "last_month", "this_quarter", "last_quarter", "this_year", "last_year", "range")
# Longer than this a period is a typo; the reports of one are also too long to read.
LONGEST = timedelta(days=366 * 10)
SATURDAY, MONDAY = 5, 0


class PeriodRefused(Refused):
    """A period that cannot be shown: said to the reader by the application's error handler."""


def _month_start(year: int, month: int, jalali: bool) -> date:
    """The first Gregorian day of `month` of `year` (months past 12 roll into the next years)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    if jalali:
        return jdatetime.date(year, month, 1).togregorian()
    return date(year, month, 1)


def _year_month(day: date, jalali: bool) -> tuple[int, int]:
    if jalali:
        j = jdatetime.date.fromgregorian(date=day)
        return j.year, j.month
    return day.year, day.month


@dataclass(frozen=True)
class Period:
    """Local days `first` to `last`, both included; `preset` says how it was chosen."""

    first: date
    last: date
    preset: str = "range"
    jalali: bool = False

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def _months(self) -> int | None:
        """How many whole months of its calendar the period spans, if it is months from a month's first day."""
        year, month = _year_month(self.first, self.jalali)
        if _month_start(year, month, self.jalali) != self.first:
            return None
        for count in range(1, 12 * 11):
            end = _month_start(year, month + count, self.jalali) - timedelta(days=1)
            if end == self.last:
                return count
            if end > self.last:
                return None
        return None

    @property
    def whole(self) -> str | None:
        """ "month", "quarter" or "year" when the period is one of its calendar's; None for other spans."""
        count = self._months()
        month = _year_month(self.first, self.jalali)[1]
        if count == 1:
            return "month"
        if count == 3 and month % 3 == 1:
            return "quarter"
        if count == 12 and month == 1:
            return "year"
        return None

    def shifted(self, months: int) -> Period:
        """The period `months` months earlier (later if negative), as whole months when it is whole months, else
        the same number of days moved by that many months' worth of days."""
        whole = self._months()
        year, month = _year_month(self.first, self.jalali)
        if whole is not None:
            first = _month_start(year, month - months, self.jalali)
            last = _month_start(year, month - months + whole, self.jalali) - timedelta(days=1)
            return Period(first, last, "range", self.jalali)
        start = _month_start(year, month - months, self.jalali) + (self.first - _month_start(year, month, self.jalali))
        return Period(start, start + timedelta(days=self.days - 1), "range", self.jalali)

    def previous(self) -> Period:
        """The period just before: the month, quarter or year before, or as many days before."""
        whole = self._months()
        if whole is not None:
            return self.shifted(whole)
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1), "range", self.jalali)

    def year_before(self) -> Period:
        """The same period a year earlier, in its calendar."""
        return self.shifted(12)


def preset_period(preset: str, today: date, jalali: bool) -> Period:
    """One of PRESETS (but "range") around `today`."""
    year, month = _year_month(today, jalali)
    quarter_month = month - (month - 1) % 3
    spans = {
        "this_month": (month, 1),
        "last_month": (month - 1, 1),
        "this_quarter": (quarter_month, 3),
        "last_quarter": (quarter_month - 3, 3),
        "this_year": (1, 12),
        "last_year": (-11, 12),
    }
    start_month, length = spans[preset]
    first = _month_start(year, start_month, jalali)
    last = _month_start(year, start_month + length, jalali) - timedelta(days=1)
    return Period(first, last, preset, jalali)


def period_from_args(
    args: Mapping[str, str], today: date, jalali: bool, parse_date: Callable[[str], date | None]
) -> Period:
    """The period a report's URL asks for (this month when it names none); PeriodRefused when it is not one."""
    preset = args.get("period") or "this_month"
    if preset not in PRESETS:
        raise PeriodRefused(_l("There is no such period: choose one from the list."), field="period")
    if preset != "range":
        return preset_period(preset, today, jalali)
    typed_first, typed_last = (args.get("from") or "").strip(), (args.get("to") or "").strip()
    if not typed_first or not typed_last:
        raise PeriodRefused(_l("Type the first and the last day of the period."), field="from")
    first, last = parse_date(typed_first), parse_date(typed_last)
    if first is None:
        raise PeriodRefused(_l("The first day is not a date in your calendar."), field="from")
    if last is None:
        raise PeriodRefused(_l("The last day is not a date in your calendar."), field="to")
    if last < first:
        raise PeriodRefused(_l("The period ends before it begins."), field="to")
    if last - first > LONGEST:
        raise PeriodRefused(_l("A period can be at most ten years long."), field="to")
    return Period(first, last, "range", jalali)


def week_start(country: str) -> int:
    """The weekday a week begins on: Saturday in Iran, Monday elsewhere."""
    return SATURDAY if country == "IR" else MONDAY


def bucket_of(day: date, size: str, jalali: bool, first_weekday: int) -> date:
    """The first day of the day's, week's or month's bucket `day` falls in."""
    if size == "day":
        return day
    if size == "week":
        return day - timedelta(days=(day.weekday() - first_weekday) % 7)
    year, month = _year_month(day, jalali)
    return _month_start(year, month, jalali)


def bucket_size(period: Period) -> str:
    """Days for a period of up to a month and a half, weeks up to half a year, months beyond."""
    if period.days <= 45:
        return "day"
    if period.days <= 184:
        return "week"
    return "month"


def next_bucket(start: date, size: str, jalali: bool) -> date:
    """The first day of the bucket after the one beginning on `start`."""
    if size == "day":
        return start + timedelta(days=1)
    if size == "week":
        return start + timedelta(days=7)
    year, month = _year_month(start, jalali)
    return _month_start(year, month + 1, jalali)


def buckets(period: Period, size: str, first_weekday: int, jalali: bool | None = None) -> list[date]:
    """The first day of every bucket of the period, in order (the first may begin before the period does); months
    of the period's calendar unless `jalali` says which."""
    jalali = period.jalali if jalali is None else jalali
    found: list[date] = []
    start = bucket_of(period.first, size, jalali, first_weekday)
    while start <= period.last:
        found.append(start)
        start = next_bucket(start, size, jalali)
    return found


def sum_by_bucket(per_day: Mapping[date, int], starts: list[date]) -> dict[date, int]:
    """Counts per day summed into the buckets beginning on `starts` (in order); days before the first are left out."""
    totals: dict[date, int] = {}
    for day, count in per_day.items():
        index = bisect_right(starts, day) - 1
        if index >= 0:
            totals[starts[index]] = totals.get(starts[index], 0) + count
    return totals
