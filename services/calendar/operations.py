"""Changing the tenant's working week, holidays, deadline rules and region (owners and admins)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import jdatetime
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.calendar.models import DEADLINE_UNITS, STAGES, DeadlineRule, Holiday, WorkingCalendar
from services.calendar.worktime import HOLIDAY_COUNTRIES, PRESETS, WeekHours, hours_to_json, official_holidays
from services.catalog.models import Category
from services.i18n import ungrouped
from tenants.db import db
from tenants.errors import NotFound, Refused
from tenants.models import COUNTRIES, CURRENCIES, StaffMember, Tenant
from tenants.roles import Permission, require

PRIORITIES = ("low", "normal", "high", "urgent")
MAX_AMOUNT = 24 * 365
MAX_LEGAL_DAYS = 365


def set_week(actor: StaffMember, hours: WeekHours) -> None:
    """The working intervals of each weekday."""
    require(actor, Permission.MANAGE_SETTINGS)
    if not any(hours.get(day) for day in range(7)):
        raise Refused(_l("Give working hours for at least one day."), field="hours")
    row = db.session.scalar(sa.select(WorkingCalendar))
    if row is None:
        row = WorkingCalendar(hours={})
        db.session.add(row)
    row.hours = hours_to_json(hours)


def apply_preset(actor: StaffMember, preset: str) -> None:
    """One click: Iran's Saturday-to-Wednesday week with a half Thursday, or Kazakhstan's Monday to Friday."""
    if preset not in PRESETS:
        raise Refused(_l("Choose a preset from the list."), field="preset")
    set_week(actor, PRESETS[preset])


def add_holiday(actor: StaffMember, day: date | None, name: str) -> Holiday:
    """A day off the organization keeps."""
    require(actor, Permission.MANAGE_SETTINGS)
    if day is None:
        raise Refused(_l("Give the holiday's date."), field="day")
    name = name.strip()
    if not name or len(name) > 200:
        raise Refused(_l("Give the holiday a name of at most 200 characters."), field="name")
    if db.session.scalar(sa.select(Holiday.id).where(Holiday.day == day)) is not None:
        raise Refused(_l("This day is already a holiday."), field="day")
    holiday = Holiday(day=day, name=name)
    db.session.add(holiday)
    db.session.flush()
    return holiday


def remove_holiday(actor: StaffMember, holiday_id: int) -> None:
    """The organization works on this day after all."""
    require(actor, Permission.MANAGE_SETTINGS)
    holiday = db.session.get(Holiday, holiday_id)
    if holiday is None:
        raise NotFound(_l("There is no such holiday."))
    db.session.delete(holiday)


# Years an import accepts, Gregorian and Jalali (1379 and 1479 begin in 2000 and 2100).
GREGORIAN_YEARS = (2000, 2100)
JALALI_YEARS = (1379, 1479)
# A year below this is a Jalali one: no Gregorian year we accept comes near it.
_JALALI_BELOW = 1700


def uses_jalali(tenant: Tenant) -> bool:
    """Whether the organization counts its years in the Jalali calendar: Iranian or Persian-speaking ones."""
    return tenant.country == "IR" or tenant.default_locale == "fa"


def current_year(tenant: Tenant, today: date) -> int:
    """The year of `today` in the organization's calendar."""
    return jdatetime.date.fromgregorian(date=today).year if uses_jalali(tenant) else today.year


def year_span(year: int) -> tuple[date, date] | None:
    """The first and last Gregorian days of `year`, Jalali when below 1700; None outside the years accepted."""
    if year < _JALALI_BELOW:
        if not JALALI_YEARS[0] <= year <= JALALI_YEARS[1]:
            return None
        first = jdatetime.date(year, 1, 1).togregorian()
        return first, jdatetime.date(year + 1, 1, 1).togregorian() - timedelta(days=1)
    if not GREGORIAN_YEARS[0] <= year <= GREGORIAN_YEARS[1]:
        return None
    return date(year, 1, 1), date(year, 12, 31)


def add_official_holidays(country: str, years: Iterable[int], locale: str) -> int:
    """Add the official holidays of Iran or Kazakhstan falling in `years` (Jalali below 1700); days already
    listed are kept. Returns how many were added. For sign-up and import_official_holidays, which checks the actor.
    """
    spans = [year_span(year) for year in years]
    if country not in HOLIDAY_COUNTRIES or None in spans:
        raise ValueError(f"no official holidays for {country!r} in {years!r}")
    known = set(db.session.scalars(sa.select(Holiday.day)))
    added = 0
    for first, last in spans:  # type: ignore[misc]
        for year in range(first.year, last.year + 1):
            for day, name in official_holidays(country, year, locale):
                if day in known or not first <= day <= last:
                    continue
                db.session.add(Holiday(day=day, name=name[:200], official=True))
                known.add(day)
                added += 1
    db.session.flush()
    return added


def import_official_holidays(actor: StaffMember, tenant: Tenant, country: str, year: int, locale: str) -> int:
    """Add the official holidays of Iran or Kazakhstan in `year` of the organization's calendar (a Jalali year
    such as 1405 for an organization that counts in Jalali years, which may also give a Gregorian one)."""
    require(actor, Permission.MANAGE_SETTINGS)
    if country not in HOLIDAY_COUNTRIES:
        raise Refused(_l("Choose Iran or Kazakhstan."), field="country")
    low, high = JALALI_YEARS if uses_jalali(tenant) else GREGORIAN_YEARS
    if year_span(year) is None or (year < _JALALI_BELOW and not uses_jalali(tenant)):
        raise Refused(
            _l("Choose a year from %(low)s to %(high)s.", low=ungrouped(low), high=ungrouped(high)), field="year"
        )
    return add_official_holidays(country, [year], locale)


def official_years(tenant: Tenant) -> list[int]:
    """The years, in the organization's calendar, that hold any of its official holidays."""
    days = db.session.scalars(sa.select(Holiday.day).where(Holiday.official.is_(True)))
    if uses_jalali(tenant):
        return sorted({jdatetime.date.fromgregorian(date=day).year for day in days})
    return sorted({day.year for day in days})


def list_holidays(year: int | None = None) -> list[Holiday]:
    """The holidays, by date; of one Gregorian year when given."""
    query = sa.select(Holiday).order_by(Holiday.day)
    if year is not None:
        query = query.where(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31))
    return list(db.session.scalars(query))


def save_rule(
    actor: StaffMember,
    rule_id: int | None,
    *,
    priority: str | None,
    category_id: int | None,
    amounts: dict[str, tuple[int | None, str | None]],
    legal_days: int | None,
    legal_basis: str | None,
) -> DeadlineRule:
    """Create or change a deadline rule: the default (no priority, no category) or an override."""
    require(actor, Permission.MANAGE_SETTINGS)
    if priority is not None and priority not in PRIORITIES:
        raise Refused(_l("Choose a priority from the list."), field="priority")
    if category_id is not None and db.session.get(Category, category_id) is None:
        raise Refused(_l("Choose a category from the list."), field="category_id")
    rule = db.session.get(DeadlineRule, rule_id) if rule_id is not None else DeadlineRule()
    if rule is None:
        raise NotFound(_l("There is no such rule."))
    if rule_id is None:
        if priority is None and category_id is None:
            raise Refused(_l("An override names a priority, a category or both."), field="priority")
        duplicate = db.session.scalar(
            sa.select(DeadlineRule.id).where(
                DeadlineRule.priority.is_(None) if priority is None else DeadlineRule.priority == priority,
                DeadlineRule.category_id.is_(None) if category_id is None else DeadlineRule.category_id == category_id,
            )
        )
        if duplicate is not None:
            raise Refused(_l("There is already a rule for this priority and category."), field="priority")
        rule.priority, rule.category_id = priority, category_id
        db.session.add(rule)
    for stage in STAGES:
        amount, unit = amounts.get(stage, (None, None))
        if amount is not None and not (0 < amount <= MAX_AMOUNT and unit in DEADLINE_UNITS):
            raise Refused(_l("Give a whole number of hours or days, and its unit."), field=f"{stage}_amount")
        if amount is None and rule.is_default:
            raise Refused(_l("The default rule needs every deadline."), field=f"{stage}_amount")
        setattr(rule, f"{stage}_amount", amount)
        setattr(rule, f"{stage}_unit", unit if amount is not None else None)
    if legal_days is not None and not 0 < legal_days <= MAX_LEGAL_DAYS:
        raise Refused(_l("Give the legal deadline in days, 1 to 365."), field="legal_days")
    rule.legal_days = legal_days
    rule.legal_basis = (legal_basis or "").strip()[:500] or None
    if rule.legal_days and not rule.legal_basis:
        raise Refused(_l("Say which law sets the legal deadline."), field="legal_basis")
    db.session.flush()
    return rule


def remove_rule(actor: StaffMember, rule_id: int) -> None:
    """Drop an override (the default rule stays)."""
    require(actor, Permission.MANAGE_SETTINGS)
    rule = db.session.get(DeadlineRule, rule_id)
    if rule is None:
        raise NotFound(_l("There is no such rule."))
    if rule.is_default:
        raise Refused(_l("The default rule cannot be removed."))
    db.session.delete(rule)


def list_rules() -> list[DeadlineRule]:
    """The default rule first, then the overrides."""
    rules = list(db.session.scalars(sa.select(DeadlineRule).order_by(DeadlineRule.id)))
    return sorted(rules, key=lambda r: (not r.is_default, r.category_id or 0, r.priority or ""))


def set_region(actor: StaffMember, tenant: Tenant, country: str, currency: str) -> None:
    """Where the organization works and the currency it compensates in."""
    require(actor, Permission.MANAGE_SETTINGS)
    if country not in COUNTRIES:
        raise Refused(_l("Choose a country from the list."), field="country")
    if currency not in CURRENCIES:
        raise Refused(_l("Choose a currency from the list."), field="currency")
    tenant.country, tenant.currency = country, currency
