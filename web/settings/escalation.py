"""Settings → escalation: the ordered rules the sweep applies, with a preview of what each would hit now."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Optional

from services.catalog.models import Unit
from services.complaints.models import OPEN_STATES
from services.escalation import rules as escalation
from services.escalation.sweep import preview
from services.i18n import localized
from tenants.db import db
from tenants.errors import Refused
from tenants.models import StaffMember
from web.common.views import ROLE_NAMES, redirect_after_change
from web.console.forms import optional_id
from web.console.labels import CHANNEL_NAMES, PRIORITY_NAMES, STATE_NAMES
from web.forms import BaseForm, CodeField, Length, NumberRange, category_choices, choices
from web.i18n import locale_code, localize_digits
from web.portal.forms import MultiCheckboxField
from web.settings.blueprint import bp

TRIGGER_NAMES = {
    "due_near": _l("A deadline is near (within the time below)"),
    "overdue": _l("A deadline has passed (by at least the time below)"),
    "idle": _l("No update for the time below"),
}
DEADLINE_NAMES = {
    "any": _l("Whichever the complaint works towards"),
    "acknowledge": _l("Acknowledging receipt"),
    "respond": _l("Answering"),
    "legal": _l("The legal deadline"),
    "resolve": _l("Resolving"),
}
UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 24 * 60}
UNIT_NAMES = {"minutes": _l("minutes"), "hours": _l("hours"), "days": _l("days")}


class EscalationForm(BaseForm):
    name = StringField(_l("Rule name"), validators=[InputRequired(), Length(max=120)])
    is_active = BooleanField(_l("In use"), default=True)
    trigger = SelectField(_l("When"))
    deadline = SelectField(_l("Which deadline"))
    amount = IntegerField(_l("Time"), validators=[InputRequired(), NumberRange(min=0, max=365 * 24 * 60)])
    unit = SelectField(_l("Unit of time"), default="hours")
    states = MultiCheckboxField(_l("Only in these states (none ticked: any)"))
    priorities = MultiCheckboxField(_l("Only of these priorities (none ticked: any)"))
    channels = MultiCheckboxField(_l("Only from these channels (none ticked: any)"))
    category_ids = SelectMultipleField(_l("Only in these categories (none chosen: any)"), coerce=str)
    notify_handler = BooleanField(_l("Tell the handler"))
    notify_unit_head = BooleanField(_l("Tell the head of the complaint's unit"))
    notify_roles = MultiCheckboxField(_l("Tell everyone in these roles"))
    notify_member_ids = SelectMultipleField(_l("Tell these people"), coerce=str)
    notify_email = CodeField(_l("Tell this e-mail address outside the staff"), validators=[Optional(), Length(max=254)])
    raise_priority = BooleanField(_l("Raise the priority one step"))
    raise_level = BooleanField(_l("Raise the escalation level"))
    reassign_unit_id = SelectField(_l("Move to this unit"), validate_choice=False)
    reassign_handler_id = SelectField(_l("Give to this person"), validate_choice=False)


def _form(prefix: str, formdata=None) -> EscalationForm:
    form = EscalationForm(formdata=formdata, prefix=prefix)
    locale = locale_code()
    members = [
        (str(m.id), m.name)
        for m in db.session.scalars(
            sa.select(StaffMember).where(StaffMember.is_active.is_(True)).order_by(StaffMember.name)
        )
    ]
    units = [
        (str(u.id), localized(u.names, locale)) for u in db.session.scalars(sa.select(Unit).order_by(Unit.position))
    ]
    # Labels in the reader's language: the choices are made per request, not when the class is defined.
    form.trigger.choices = choices(TRIGGER_NAMES)
    form.deadline.choices = choices(DEADLINE_NAMES)
    form.unit.choices = choices(UNIT_NAMES)
    form.states.choices = [(s, str(STATE_NAMES[s])) for s in STATE_NAMES if s in {o.value for o in OPEN_STATES}]
    form.priorities.choices = choices(PRIORITY_NAMES)
    form.channels.choices = choices(CHANNEL_NAMES)
    form.category_ids.choices = category_choices()
    form.notify_roles.choices = choices(ROLE_NAMES)
    form.notify_member_ids.choices = members
    form.reassign_unit_id.choices = [("", _("Leave as it is")), *units]
    form.reassign_handler_id.choices = [("", _("Leave as it is")), *members]
    return form


def _fill(form: EscalationForm, rule) -> None:
    form.name.data = rule.name
    form.is_active.data = rule.is_active
    form.trigger.data = rule.trigger
    form.deadline.data = rule.deadline
    unit = next((u for u in ("days", "hours") if rule.minutes and rule.minutes % UNIT_MINUTES[u] == 0), "minutes")
    form.unit.data = unit if rule.minutes else "hours"
    form.amount.data = rule.minutes // UNIT_MINUTES[form.unit.data]
    form.states.data = list(rule.states)
    form.priorities.data = list(rule.priorities)
    form.channels.data = list(rule.channels)
    form.category_ids.data = [str(i) for i in rule.category_ids]
    form.notify_handler.data = rule.notify_handler
    form.notify_unit_head.data = rule.notify_unit_head
    form.notify_roles.data = list(rule.notify_roles)
    form.notify_member_ids.data = [str(i) for i in rule.notify_member_ids]
    form.notify_email.data = rule.notify_email or ""
    form.raise_priority.data = rule.raise_priority
    form.raise_level.data = rule.raise_level
    form.reassign_unit_id.data = str(rule.reassign_unit_id or "")
    form.reassign_handler_id.data = str(rule.reassign_handler_id or "")


def _input(form: EscalationForm) -> escalation.RuleInput:
    def ids(values) -> list[int]:
        return [optional_id(v) for v in values or [] if optional_id(v) is not None]

    return escalation.RuleInput(
        name=form.name.data or "",
        trigger=form.trigger.data,
        minutes=(form.amount.data or 0) * UNIT_MINUTES.get(form.unit.data, 60),
        deadline=form.deadline.data,
        is_active=bool(form.is_active.data),
        states=form.states.data or [],
        priorities=form.priorities.data or [],
        category_ids=ids(form.category_ids.data),
        channels=form.channels.data or [],
        notify_roles=form.notify_roles.data or [],
        notify_member_ids=ids(form.notify_member_ids.data),
        notify_handler=bool(form.notify_handler.data),
        notify_unit_head=bool(form.notify_unit_head.data),
        notify_email=form.notify_email.data or None,
        raise_priority=bool(form.raise_priority.data),
        reassign_unit_id=optional_id(form.reassign_unit_id.data),
        reassign_handler_id=optional_id(form.reassign_handler_id.data),
        raise_level=bool(form.raise_level.data),
    )


def _span(minutes: int) -> str:
    """A rule's time as the editor wrote it: "3 days", "4 hours", "0 minutes"."""
    from flask_babel import ngettext

    if minutes and minutes % (24 * 60) == 0:
        text = ngettext("%(num)d day", "%(num)d days", minutes // (24 * 60))
    elif minutes and minutes % 60 == 0:
        text = ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
    else:
        text = ngettext("%(num)d minute", "%(num)d minutes", minutes)
    return localize_digits(text)


def _list_page(status: int = 200, new_form: EscalationForm | None = None):
    return (
        render_template(
            "settings/escalation.html",
            rules=escalation.list_rules(),
            new_form=new_form or _form("new"),
            TRIGGER_NAMES=TRIGGER_NAMES,
            DEADLINE_NAMES=DEADLINE_NAMES,
            spans={r.id: _span(r.minutes) for r in escalation.list_rules()},
        ),
        status,
    )


@bp.get("/escalation")
def escalation_rules():
    """The rules, in the order the sweep applies them."""
    return _list_page()


@bp.post("/escalation")
def escalation_add():
    form = _form("new", request.form)
    if not form.validate_on_submit():
        return _list_page(422, new_form=form)
    try:
        escalation.save_rule(current_user, None, _input(form))
    except Refused as exc:
        form.add_errors(exc.field, str(exc.message))
        return _list_page(exc.status, new_form=form)
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.escalation_rules"))


def _rule_page(rule_id: int, status: int = 200, form: EscalationForm | None = None):
    rule = escalation.get_rule(rule_id)
    if form is None:
        form = _form(f"rule-{rule.id}")
        _fill(form, rule)
    return (
        render_template(
            "settings/escalation_rule.html",
            rule=rule,
            form=form,
            hits=preview(rule),
            DEADLINE_WORDS={**DEADLINE_NAMES, "idle": _("No update")},
        ),
        status,
    )


@bp.get("/escalation/<int:rule_id>")
def escalation_rule(rule_id: int):
    """One rule, and the open complaints it would hit now."""
    return _rule_page(rule_id)


@bp.post("/escalation/<int:rule_id>")
def escalation_save(rule_id: int):
    form = _form(f"rule-{rule_id}", request.form)
    if not form.validate_on_submit():
        return _rule_page(rule_id, 422, form)
    try:
        escalation.save_rule(current_user, rule_id, _input(form))
    except Refused as exc:
        if exc.status == 404:
            raise  # no such thing: the app's 404 page
        form.add_errors(exc.field, str(exc.message))
        return _rule_page(rule_id, exc.status, form)
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.escalation_rule", rule_id=rule_id))


@bp.post("/escalation/<int:rule_id>/move")
def escalation_move(rule_id: int):
    escalation.move_rule(current_user, rule_id, -1 if request.form.get("to") == "up" else 1)
    return redirect_after_change(url_for("settings.escalation_rules"))


@bp.post("/escalation/<int:rule_id>/delete")
def escalation_delete(rule_id: int):
    escalation.remove_rule(current_user, rule_id)
    flash(_("Removed."), "success")
    return redirect_after_change(url_for("settings.escalation_rules"))
