"""Deadline policy: the tenant's rules turned into a complaint's due dates on its working calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from services.calendar.models import CALENDAR_DAYS, STAGES, WORKING_HOURS, DeadlineRule, Holiday, WorkingCalendar
from services.calendar.worktime import (
    PRESETS,
    WeekHours,
    add_calendar_days,
    add_working_time,
    hours_from_json,
    hours_to_json,
    working_time_between,
)
from services.catalog.models import Category
from tenants.db import db
from tenants.models import Tenant

# A new organization's starting policy; the tenant edits it in settings.
DEFAULT_AMOUNTS = {
    "acknowledge": (8, WORKING_HOURS),
    "respond": (40, WORKING_HOURS),
    "resolve": (20, CALENDAR_DAYS),
}
PRIORITY_AMOUNTS = {
    "urgent": {"acknowledge": 2, "respond": 16},
    "high": {"acknowledge": 4, "respond": 24},
}
KAZAKHSTAN_LEGAL_DAYS = 10
KAZAKHSTAN_LEGAL_BASIS = {
    "kk": "ҚР «Тұтынушылардың құқықтарын қорғау туралы» Заңы: тұтынушының жазбаша талабы "
    "күнтізбелік он күн ішінде қаралады.",
    "ru": "Закон РК «О защите прав потребителей»: письменная претензия потребителя рассматривается "
    "в течение десяти календарных дней.",
    "en": "Consumer protection law of the Republic of Kazakhstan: a consumer's written claim is answered "
    "within ten calendar days.",
}


@dataclass(frozen=True)
class Calendar:
    """The tenant's working time, ready for arithmetic."""

    hours: WeekHours
    holidays: frozenset[date]
    tz: ZoneInfo

    @property
    def has_hours(self) -> bool:
        return any(self.hours.get(day) for day in range(7))

    def add(self, start: datetime, amount: int, unit: str) -> datetime:
        if unit == CALENDAR_DAYS:
            return add_calendar_days(start, amount, self.tz)
        if not self.has_hours:
            # A week with no hours set counts every hour rather than never falling due.
            return start + timedelta(hours=amount)
        return add_working_time(start, timedelta(hours=amount), self.hours, self.holidays, self.tz)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end`; negative when `end` is earlier."""
        if not self.has_hours:
            return end - start
        return working_time_between(start, end, self.hours, self.holidays, self.tz)


def set_up_calendar(country: str, locale: str) -> None:
    """A new tenant's working week (its country's preset) and default deadline rules."""
    preset = "kazakhstan" if country == "KZ" else "iran"
    db.session.add(WorkingCalendar(hours=hours_to_json(PRESETS[preset])))
    default = DeadlineRule()
    for stage, (amount, unit) in DEFAULT_AMOUNTS.items():
        setattr(default, f"{stage}_amount", amount)
        setattr(default, f"{stage}_unit", unit)
    if country == "KZ":
        default.legal_days = KAZAKHSTAN_LEGAL_DAYS
        default.legal_basis = KAZAKHSTAN_LEGAL_BASIS.get(locale, KAZAKHSTAN_LEGAL_BASIS["en"])
    db.session.add(default)
    for priority, amounts in PRIORITY_AMOUNTS.items():
        rule = DeadlineRule(priority=priority)
        for stage, amount in amounts.items():
            setattr(rule, f"{stage}_amount", amount)
            setattr(rule, f"{stage}_unit", WORKING_HOURS)
        db.session.add(rule)
    db.session.flush()


def load_calendar(tenant: Tenant) -> Calendar:
    """The tenant in scope's calendar: its week and its holidays (an empty week counts every hour)."""
    row = db.session.scalar(sa.select(WorkingCalendar))
    hours = hours_from_json(row.hours) if row else PRESETS["iran"]
    days = frozenset(db.session.scalars(sa.select(Holiday.day)))
    return Calendar(hours=hours, holidays=days, tz=ZoneInfo(tenant.timezone))


def _rules_for(priority: str, category_id: int | None) -> list[DeadlineRule]:
    """The rules that apply, most specific first: category, its parent, priority, default."""
    rules = list(db.session.scalars(sa.select(DeadlineRule).order_by(DeadlineRule.id)))
    chain: list[DeadlineRule] = []
    if category_id is not None:
        parent_id = db.session.scalar(sa.select(Category.parent_id).where(Category.id == category_id))
        for cid in (category_id, parent_id):
            # For one category, its rule for this priority comes before its rule for any priority.
            chain += [r for r in rules if cid is not None and r.category_id == cid and r.priority == priority]
            chain += [r for r in rules if cid is not None and r.category_id == cid and r.priority is None]
    chain += [r for r in rules if r.category_id is None and r.priority == priority]
    chain += [r for r in rules if r.is_default]
    return chain


@dataclass
class DueDates:
    acknowledge: datetime | None
    respond: datetime | None
    resolve: datetime | None
    legal: datetime | None
    policy: dict[str, Any]


def compute_due_dates(
    calendar: Calendar, start: datetime, priority: str, category_id: int | None, stages: tuple[str, ...] = STAGES
) -> DueDates:
    """Due dates counted from `start` for `stages`, and a record of the rules and amounts that made them."""
    chain = _rules_for(priority, category_id)
    policy: dict[str, Any] = {"rules": [r.id for r in chain]}
    due: dict[str, datetime | None] = dict.fromkeys(STAGES)
    for stage in stages:
        for rule in chain:
            amount, unit = getattr(rule, f"{stage}_amount"), getattr(rule, f"{stage}_unit")
            if amount is not None and unit in (WORKING_HOURS, CALENDAR_DAYS):
                due[stage] = calendar.add(start, amount, unit)
                policy[stage] = {"amount": amount, "unit": unit, "rule": rule.id}
                break
    legal = None
    for rule in chain:
        if rule.legal_days:
            legal = add_calendar_days(start, rule.legal_days, calendar.tz)
            policy["legal"] = {"days": rule.legal_days, "basis": rule.legal_basis, "rule": rule.id}
            break
    return DueDates(due["acknowledge"], due["respond"], due["resolve"], legal, policy)


def default_rule() -> DeadlineRule | None:
    """The tenant's default deadline rule (neither a category nor a priority of its own)."""
    return db.session.scalar(
        sa.select(DeadlineRule).where(DeadlineRule.category_id.is_(None), DeadlineRule.priority.is_(None)).limit(1)
    )


def promised(rule: DeadlineRule | None) -> dict[str, tuple[int, str]]:
    """What the default rule promises a customer: {stage: (amount, unit)}, with "legal" in calendar days."""
    if rule is None:
        return {}
    found = {}
    for stage in STAGES:
        amount, unit = getattr(rule, f"{stage}_amount"), getattr(rule, f"{stage}_unit")
        if amount:
            found[stage] = (amount, unit)
    if rule.legal_days:
        found["legal"] = (rule.legal_days, CALENDAR_DAYS)
    return found
