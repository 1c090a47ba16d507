"""Settings: the region and currency, the working week, holidays, and the deadline policy."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from services.calendar import operations as calendar_ops
from services.calendar.models import STAGES, WorkingCalendar
from services.calendar.worktime import PRESETS, hours_from_json
from services.catalog.queries import category_tree
from services.i18n import localized
from tenants.db import db, utcnow
from tenants.errors import Refused
from tenants.text import normalize_input
from web.common.views import redirect_after_change
from web.console.forms import optional_id
from web.console.labels import PRIORITY_NAMES
from web.i18n import format_number, locale_code, localize_digits
from web.settings.blueprint import bp
from web.settings.forms import HolidayForm, ImportHolidaysForm, RegionForm, RuleForm

# Saturday first, as the week is read in Iran; Python numbers Monday 0.
WEEKDAYS = (5, 6, 0, 1, 2, 3, 4)
INTERVALS = 2


def _week_rows() -> dict[int, list[tuple[str, str]]]:
    row = db.session.scalar(sa.select(WorkingCalendar))
    data = row.hours if row else {}
    return {day: [tuple(pair) for pair in data.get(str(day), [])] for day in range(7)}


def _this_year() -> int:
    """This year in the organization's calendar and time zone."""
    return calendar_ops.current_year(g.tenant, utcnow().astimezone(ZoneInfo(g.tenant.timezone)).date())


# Each form on the calendar page has its own prefix, so that no two inputs share an id.
REGION, IMPORT, HOLIDAY = "region", "import", "holiday"


def _calendar_page(status: int = 200, **context):
    """The calendar page; a refused form comes in as submitted, the others are filled from what is stored."""
    region = context.pop("region_form", None) or RegionForm(
        formdata=None, prefix=REGION, data={"country": g.tenant.country, "currency": g.tenant.currency}
    )
    year = _this_year()
    importer = context.pop("import_form", None)
    if importer is None:
        importer = ImportHolidaysForm(
            formdata=None, prefix=IMPORT, data={"country": g.tenant.country}, example_year=year
        )
        importer.year.data = localize_digits(str(year))  # after the form's filters, which read digits as Latin
    context.setdefault("week", _week_rows())
    return render_template(
        "settings/calendar.html",
        region_form=region,
        import_form=importer,
        holiday_form=context.pop("holiday_form", None) or HolidayForm(formdata=None, prefix=HOLIDAY),
        holidays=calendar_ops.list_holidays(),
        official_years=calendar_ops.official_years(g.tenant),
        current_year=year,
        jalali=calendar_ops.uses_jalali(g.tenant),
        weekdays=WEEKDAYS,
        intervals=INTERVALS,
        presets=PRESETS,
        **context,
    ), status


@bp.get("/calendar")
def calendar():
    """The working week with its presets, the holidays, and the region."""
    return _calendar_page()


@bp.post("/calendar/region")
def region():
    """Country and currency."""
    form = RegionForm(prefix=REGION)
    if not form.validate_on_submit():
        return _calendar_page(422, region_form=form)
    try:
        calendar_ops.set_region(current_user, g.tenant, form.country.data, form.currency.data)
    except Refused as exc:
        form.add_errors(exc.field, str(exc.message))
        return _calendar_page(exc.status, region_form=form)
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.calendar"))


def _clock(name: str) -> str:
    return (normalize_input(request.form.get(name, "")) or "").replace("٫", ":").replace(".", ":")


@bp.post("/calendar/week")
def week():
    """Working intervals for each weekday."""
    data: dict[str, list[list[str]]] = {}
    typed: dict[int, list[tuple[str, str]]] = {}
    for day in range(7):
        pairs = [(_clock(f"d{day}_start{i}"), _clock(f"d{day}_end{i}")) for i in range(1, INTERVALS + 1)]
        typed[day] = pairs
        filled = [[start, end] for start, end in pairs if start or end]
        if filled:
            data[str(day)] = filled
    try:
        hours = hours_from_json(data)
        calendar_ops.set_week(current_user, hours)
    except ValueError:
        error = _("Check the hours: each interval needs a start before its end, like 08:00 to 16:00, without overlaps.")
        return _calendar_page(422, week=typed, week_error=error)
    except Refused as exc:
        return _calendar_page(exc.status, week=typed, week_error=str(exc.message))
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.calendar"))


@bp.post("/calendar/preset")
def preset():
    """Iran's or Kazakhstan's working week in one click."""
    calendar_ops.apply_preset(current_user, request.form.get("preset", ""))
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.calendar"))


@bp.post("/calendar/holidays")
def add_holiday():
    """Add a day off."""
    form = HolidayForm(prefix=HOLIDAY)
    if not form.validate_on_submit():
        return _calendar_page(422, holiday_form=form)
    try:
        calendar_ops.add_holiday(current_user, form.day.date_value, form.name.data)
    except Refused as exc:
        form.add_errors(exc.field, str(exc.message))
        return _calendar_page(exc.status, holiday_form=form)
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.calendar"))


@bp.post("/calendar/holidays/<int:holiday_id>/delete")
def remove_holiday(holiday_id: int):
    """The organization works on this day after all."""
    calendar_ops.remove_holiday(current_user, holiday_id)
    return redirect_after_change(url_for("settings.calendar"))


@bp.post("/calendar/holidays/import")
def import_holidays():
    """The year's official holidays of Iran or Kazakhstan."""
    form = ImportHolidaysForm(prefix=IMPORT, example_year=_this_year())
    if not form.validate_on_submit():
        return _calendar_page(422, import_form=form)
    try:
        added = calendar_ops.import_official_holidays(
            current_user, g.tenant, form.country.data, form.year_value(), locale_code()
        )
    except Refused as exc:
        form.add_errors(exc.field, str(exc.message))
        return _calendar_page(exc.status, import_form=form)
    flash(_("%(n)s official holidays added.", n=format_number(added)), "success")
    return redirect_after_change(url_for("settings.calendar"))


# The deadline policy


def _category_choices() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for node in category_tree():
        top = localized(node.category.names, locale_code())
        out.append((str(node.category.id), top))
        out += [(str(c.id), f"{top} › {localized(c.names, locale_code())}") for c in node.children]
    return out


def _rule_form(prefix: str, formdata=None, categories=None) -> RuleForm:
    """A rule's form: prefix `rule-<id>` for a rule, `new` for the add form, so that ids stay apart."""
    return RuleForm(
        formdata=formdata,
        prefix=prefix,
        priorities=list(PRIORITY_NAMES.items()),
        categories=_category_choices() if categories is None else categories,
    )


def _deadlines_page(
    status: int = 200,
    *,
    new_form: RuleForm | None = None,
    errors: dict[int, str] | None = None,
    typed: dict[int, RuleForm] | None = None,
):
    """The rules page; `typed` holds refused rules' forms as submitted, shown instead of the stored values."""
    rules = calendar_ops.list_rules()
    categories = _category_choices()
    forms = {}
    for rule in rules:
        form = _rule_form(f"rule-{rule.id}", categories=categories)
        form.process(obj=rule)
        form.priority.data = rule.priority or ""
        form.category_id.data = str(rule.category_id or "")
        forms[rule.id] = form
    if typed:
        forms.update(typed)
    return render_template(
        "settings/deadlines.html",
        rules=rules,
        forms=forms,
        new_form=new_form or _rule_form("new", categories=categories),
        errors=errors or {},
        categories=dict(categories),
    ), status


@bp.get("/deadlines")
def deadlines():
    """The default deadlines, the overrides per priority and category, and the legal deadline."""
    return _deadlines_page()


def _save(rule_id: int | None, form: RuleForm) -> None:
    amounts = {stage: (getattr(form, f"{stage}_amount").data, getattr(form, f"{stage}_unit").data) for stage in STAGES}
    calendar_ops.save_rule(
        current_user,
        rule_id,
        priority=form.priority.data or None,
        category_id=optional_id(form.category_id.data),
        amounts=amounts,
        legal_days=form.legal_days.data,
        legal_basis=form.legal_basis.data,
    )


@bp.post("/deadlines")
def add_rule():
    """Add an override for a priority or a category."""
    form = _rule_form("new", request.form)
    if not form.validate_on_submit():
        return _deadlines_page(422, new_form=form)
    try:
        _save(None, form)
    except Refused as exc:
        form.add_errors(exc.field, str(exc.message))
        return _deadlines_page(exc.status, new_form=form)
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.deadlines"))


@bp.post("/deadlines/<int:rule_id>")
def save_rule(rule_id: int):
    """Change a rule."""
    form = _rule_form(f"rule-{rule_id}", request.form)
    if not form.validate_on_submit():
        return _deadlines_page(422, errors={rule_id: _("Correct the marked fields.")}, typed={rule_id: form})
    try:
        _save(rule_id, form)
    except Refused as exc:
        if exc.status == 404:
            raise  # no such thing: the app's 404 page
        form.add_errors(exc.field, str(exc.message))
        return _deadlines_page(exc.status, errors={rule_id: str(exc.message)}, typed={rule_id: form})
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.deadlines"))


@bp.post("/deadlines/<int:rule_id>/delete")
def remove_rule(rule_id: int):
    """Drop an override."""
    calendar_ops.remove_rule(current_user, rule_id)
    return redirect_after_change(url_for("settings.deadlines"))
