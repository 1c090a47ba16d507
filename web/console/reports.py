"""Reports: /<slug>/console/reports/<name>, for a period in the reader's calendar, narrowed by category, unit,
channel, priority and handler; every figure links to the inbox listing what it counts, every table downloads."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from services import i18n as shown
from services.calendar.deadlines import load_calendar
from services.calendar.operations import uses_jalali
from services.complaints.filters import InboxFilter, filter_args
from services.i18n import localized
from services.reports.actions import actions
from services.reports.outcomes import outcomes
from services.reports.periods import PRESETS, Period, period_from_args, week_start
from services.reports.recurrence import recurrence
from services.reports.satisfaction import comments, satisfaction
from services.reports.tables import FILTER_PARAMS, Report, Row, Scope, Table, report_base
from services.reports.timeliness import timeliness
from services.reports.volume import volume
from services.tracking import format_code
from tenants.db import utcnow
from tenants.errors import Refused
from web.console.blueprint import bp
from web.console.labels import score_words
from web.console.options import select_options
from web.forms import date_input_value, parse_local_date
from web.i18n import format_number, format_when, locale_code, text_direction
from web.tenancy import STAFF, access

REPORTS: dict[str, tuple[Any, Any]] = {
    "volume": (
        _l("Volume and mix"),
        _l("What arrived, over time and by kind, category, root cause, channel, unit and priority."),
    ),
    "timeliness": (
        _l("Timeliness"),
        _l("How many met their deadlines to acknowledge, answer and resolve; the backlog by age."),
    ),
    "outcomes": (_l("Outcomes"), _l("Justified and accepted rates, reopened, withdrawn and escalated complaints.")),
    "satisfaction": (_l("Satisfaction"), _l("The customers' ratings of the handling and what they wrote.")),
    "actions": (
        _l("Corrective actions"),
        _l("The register of actions, closed on time, verified effective, and what came back after them."),
    ),
    "recurrence": (
        _l("Recurrence"),
        _l("Customers who complain again, and categories or root causes well above their usual."),
    ),
}
PRESET_WORDS = {
    "this_month": _l("This month"),
    "last_month": _l("Last month"),
    "this_quarter": _l("This quarter"),
    "last_quarter": _l("Last quarter"),
    "this_year": _l("This year"),
    "last_year": _l("Last year"),
    "range": _l("From … to …"),
}


def _tz() -> ZoneInfo:
    return ZoneInfo(g.tenant.timezone)


def report_scope() -> Scope:
    """The report's scope from the URL: who, what, when. Refused when the URL's period or filters are not ones."""
    now = utcnow()
    tz = _tz()
    jalali = locale_code() == "fa"
    period = period_from_args(request.args, now.astimezone(tz).date(), jalali, parse_local_date)
    base = report_base(current_user, request.args)
    return Scope(current_user, base, period, tz, now, week_start(g.tenant.country), uses_jalali(g.tenant))


def build_report(name: str, scope: Scope) -> Report:
    """The report `name` counted over `scope`."""
    if name == "volume":
        return volume(scope)
    if name == "timeliness":
        return timeliness(scope, load_calendar(g.tenant))
    if name == "outcomes":
        return outcomes(scope)
    if name == "recurrence":
        return recurrence(scope)
    if name == "actions":
        return actions(scope)
    return satisfaction(scope)


def _form_values() -> dict[str, str]:
    """What the reader typed or chose, to show again (also after a refusal)."""
    return {key: (request.args.get(key) or "")[:40] for key in ("period", "from", "to", *FILTER_PARAMS)}


def inbox_link(f: InboxFilter | None) -> str | None:
    return url_for("console.inbox_view", **filter_args(f)) if f is not None else None


@bp.get("/reports/")
@access(STAFF)  # a reading page: whoever sees complaints, an auditor too
def reports_index():
    """The list of reports."""
    return render_template("console/reports/index.html", reports=REPORTS)


@bp.get("/reports/<name>")
@access(STAFF)  # a reading page: whoever sees complaints, an auditor too
def report(name: str):
    """One report: a period, filters, and its tables with their charts."""
    if name not in REPORTS:
        abort(404)
    context: dict[str, Any] = {
        "name": name,
        "reports": REPORTS,
        "preset_words": PRESET_WORDS,
        "presets": PRESETS,
        "values": _form_values(),
        "options": select_options(),
        "inbox_link": inbox_link,
        "row_label": row_label,
        "chart_data": chart_data,
        "format_code": format_code,
        "error": None,
    }
    try:
        scope = report_scope()
    except Refused as exc:
        context["error"] = exc
        return render_template("console/reports/report.html", **context), exc.status
    context.update(report=build_report(name, scope), period=scope.period, scope=scope)
    if name == "satisfaction":
        context["comments"] = comments(scope)
    for key, value in _range_values(scope.period).items():
        context["values"][key] = context["values"][key] or value
    return render_template("console/reports/report.html", **context)


def _range_values(period: Period) -> dict[str, str]:
    """The period's first and last days as the reader types them, for the "from … to …" fields."""
    return {"from": date_input_value(period.first), "to": date_input_value(period.last)}


def _age_words(label: tuple[int, int | None]) -> str:
    fewest, most = label
    if most is None:
        return _("%(n)s working days or more", n=format_number(fewest))
    return _("%(fewest)s to %(most)s working days", fewest=format_number(fewest), most=format_number(most))


# How each kind of row label is put into words (Row.label_kind).
_LABELS: dict[str, Any] = {
    "names": lambda label: localized(label, locale_code()) if label else _("(removed)"),
    "day": lambda label: format_when(label, "date"),
    "week": lambda label: _("Week of %(date)s", date=format_when(label, "date")),
    "month": lambda label: shown.format_span(label, label, "month", locale_code()),
    "level": lambda label: _("Level %(level)s", level=format_number(label)),
    "score": lambda label: str(score_words(label)),
    "age": _age_words,
}


def row_label(row: Row) -> str:
    """A row's label in the reader's language, calendar and digits."""
    words = _LABELS.get(row.label_kind)
    return words(row.label) if words else str(row.label)


def chart_data(table: Table) -> dict[str, Any]:
    """What the page's script draws above a table: its labels, the first column, and for a Pareto the running
    share in percent."""
    data: dict[str, Any] = {
        "type": table.chart,
        "labels": [row_label(row) for row in table.rows],
        "values": [row.cells[0].value or 0 for row in table.rows],
        "label": str(table.columns[0]),
        "locale": locale_code(),
        "rtl": text_direction() == "rtl",
    }
    if table.chart == "pareto":
        data["running"] = [round((row.cells[2].value or 0) * 100, 1) for row in table.rows]
        data["running_label"] = str(table.columns[2])
        data["line_label"] = _("%(share)s line", share=shown.format_share(0.8, locale_code()))
    return data
