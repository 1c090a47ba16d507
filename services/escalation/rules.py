"""Changing the tenant's escalation rules (owners and admins): an ordered list, each checked by the sweep."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from services.catalog.models import Category, Unit
from services.complaints.models import OPEN_STATES, IntakeChannel, Priority
from services.contacts import ContactError, check_email
from services.escalation.models import DEADLINES, TRIGGERS, EscalationRule
from services.i18n import number
from tenants.db import db, utcnow
from tenants.errors import NotFound, Refused
from tenants.models import StaffMember
from tenants.roles import Permission, Role, require

MAX_MINUTES = 365 * 24 * 60
MAX_RULES = 50


@dataclass
class RuleInput:
    name: str
    trigger: str
    minutes: int
    deadline: str = "any"
    is_active: bool = True
    states: list[str] = field(default_factory=list)
    priorities: list[str] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    notify_roles: list[str] = field(default_factory=list)
    notify_member_ids: list[int] = field(default_factory=list)
    notify_handler: bool = False
    notify_unit_head: bool = False
    notify_email: str | None = None
    raise_priority: bool = False
    reassign_unit_id: int | None = None
    reassign_handler_id: int | None = None
    raise_level: bool = False


# Every tenant starts with these; the warning time is the first rule's.
DEFAULTS = (
    RuleInput(_l("Warn the handler before a deadline"), "due_near", 240, notify_handler=True),
    RuleInput(
        _l("Tell the handler and the unit head when a deadline passes"),
        "overdue",
        0,
        notify_handler=True,
        notify_unit_head=True,
    ),
)


def list_rules() -> list[EscalationRule]:
    return list(db.session.scalars(sa.select(EscalationRule).order_by(EscalationRule.position, EscalationRule.id)))


def get_rule(rule_id: int) -> EscalationRule:
    rule = db.session.get(EscalationRule, rule_id)
    if rule is None:
        raise NotFound(_l("There is no such rule."))
    return rule


def _subset(values: list, allowed, field_name: str) -> list:
    allowed = {str(a) for a in allowed}
    chosen = list(dict.fromkeys(str(v) for v in values))
    if any(v not in allowed for v in chosen):
        raise Refused(_l("Choose from the list."), field=field_name)
    return chosen


def _ids(model, ids: list[int], field_name: str) -> list[int]:
    chosen = sorted({int(i) for i in ids})
    if chosen:
        found = set(db.session.scalars(sa.select(model.id).where(model.id.in_(chosen))))
        if found != set(chosen):
            raise Refused(_l("Choose from the list."), field=field_name)
    return chosen


def _check(data: RuleInput) -> RuleInput:
    name = " ".join((data.name or "").split())
    if not name:
        raise Refused(_l("Give the rule a name."), field="name")
    if len(name) > 120:
        raise Refused(_l("At most %(n)s characters.", n=number(120)), field="name")
    if data.trigger not in TRIGGERS:
        raise Refused(_l("Choose when the rule acts."), field="trigger")
    if data.deadline not in DEADLINES:
        raise Refused(_l("Choose from the list."), field="deadline")
    if not isinstance(data.minutes, int) or not 0 <= data.minutes <= MAX_MINUTES:
        raise Refused(_l("Give a time between 0 and a year."), field="minutes")
    if data.trigger == "idle" and data.minutes == 0:
        raise Refused(_l("Give how long without an update."), field="minutes")
    email = None
    if data.notify_email:
        try:
            email = check_email(data.notify_email)
        except ContactError as exc:
            raise Refused(exc.message, field="notify_email") from exc
    checked = RuleInput(
        name=name,
        trigger=data.trigger,
        minutes=data.minutes,
        deadline=data.deadline,
        is_active=bool(data.is_active),
        states=_subset(data.states, (s.value for s in OPEN_STATES), "states"),
        priorities=_subset(data.priorities, (p.value for p in Priority), "priorities"),
        category_ids=_ids(Category, data.category_ids, "category_ids"),
        channels=_subset(data.channels, (c.value for c in IntakeChannel), "channels"),
        notify_roles=_subset(data.notify_roles, (r.value for r in Role), "notify_roles"),
        notify_member_ids=_ids(StaffMember, data.notify_member_ids, "notify_member_ids"),
        notify_handler=bool(data.notify_handler),
        notify_unit_head=bool(data.notify_unit_head),
        notify_email=email,
        raise_priority=bool(data.raise_priority),
        reassign_unit_id=(_ids(Unit, [data.reassign_unit_id], "reassign_unit_id") or [None])[0]
        if data.reassign_unit_id
        else None,
        reassign_handler_id=(_ids(StaffMember, [data.reassign_handler_id], "reassign_handler_id") or [None])[0]
        if data.reassign_handler_id
        else None,
        raise_level=bool(data.raise_level),
    )
    acts = (
        checked.notify_roles
        or checked.notify_member_ids
        or checked.notify_handler
        or checked.notify_unit_head
        or checked.notify_email
        or checked.raise_priority
        or checked.reassign_unit_id
        or checked.reassign_handler_id
        or checked.raise_level
    )
    if not acts:
        raise Refused(_l("Choose at least one thing the rule does."), field="actions")
    return checked


def _apply(rule: EscalationRule, data: RuleInput) -> None:
    for name, value in vars(data).items():
        setattr(rule, name, value)
    rule.updated_at = utcnow()


def add_defaults(locale: str) -> None:
    """A new tenant's first rules, named in its language."""
    with force_locale(locale):
        for position, data in enumerate(DEFAULTS):
            rule = EscalationRule(position=position)
            _apply(rule, replace(data, name=str(data.name)))
            db.session.add(rule)


def save_rule(actor: StaffMember, rule_id: int | None, data: RuleInput) -> EscalationRule:
    """Add a rule at the end of the list, or change one."""
    require(actor, Permission.MANAGE_SETTINGS)
    checked = _check(data)
    if rule_id is None:
        if db.session.scalar(sa.select(sa.func.count()).select_from(EscalationRule)) >= MAX_RULES:
            raise Refused(_l("At most %(n)s rules.", n=number(MAX_RULES)))
        last = db.session.scalar(sa.select(sa.func.max(EscalationRule.position)))
        rule = EscalationRule(position=(last if last is not None else -1) + 1)
        db.session.add(rule)
    else:
        rule = get_rule(rule_id)
    _apply(rule, checked)
    db.session.flush()
    return rule


def remove_rule(actor: StaffMember, rule_id: int) -> None:
    require(actor, Permission.MANAGE_SETTINGS)
    db.session.delete(get_rule(rule_id))


def move_rule(actor: StaffMember, rule_id: int, offset: int) -> None:
    """One place up (-1) or down (+1) in the list."""
    require(actor, Permission.MANAGE_SETTINGS)
    rules = list_rules()
    index = next((i for i, r in enumerate(rules) if r.id == rule_id), None)
    if index is None:
        raise NotFound(_l("There is no such rule."))
    target = index + (1 if offset > 0 else -1)
    if 0 <= target < len(rules):
        rules[index], rules[target] = rules[target], rules[index]
    for position, rule in enumerate(rules):
        rule.position = position
