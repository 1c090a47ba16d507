"""The inbox: /<slug>/console/complaints with tabs, filters, search, keyset pages and bulk assignment."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from services.catalog.models import RootCause, Unit
from services.complaints import lifecycle
from services.complaints.filters import InboxFilter, filter_args, filter_from_args
from services.complaints.operations import bulk_assign
from services.complaints.queries import InboxPage, inbox, is_near_due, is_overdue
from services.complaints.words import ACTION_STATUS_NAMES, KIND_NAMES
from services.i18n import localized
from services.tracking import CodeError, format_code, parse_code
from tenants.db import db, utcnow
from tenants.models import StaffMember
from tenants.roles import Role
from tenants.text import parse_id
from web.common.views import error_page, redirect_after_change, render_block, wants_fragment
from web.console.blueprint import bp
from web.console.forms import BulkAssignForm, optional_id
from web.console.options import select_options
from web.forms import parse_local_date
from web.i18n import format_number, format_when, locale_code, localize_digits
from web.tenancy import STAFF, access


def _tz() -> ZoneInfo:
    return ZoneInfo(g.tenant.timezone)


def filter_from_request() -> InboxFilter:
    """The list's filters from the URL; anything malformed is ignored, never an error."""
    return filter_from_args(request.args, parse_local_date)


# The drill-down filters of the home page and the reports, shown above the list as tags that remove them.
_FLAG_WORDS = {
    "due_today": _l("Due today"),
    "waiting": _l("Waiting for the handler's step"),
    "replied": _l("The customer wrote and awaits an answer"),
    "reopened": _l("Reopened"),
    "approval": _l("Decision awaiting approval"),
    "rated": _l("Rated by the customer"),
    "action_overdue": _l("A corrective action is overdue"),
    "accepted": _l("The customer accepted the answer"),
    "repeat": _l("The same customer complained in the 90 days before"),
}
_LATE_WORDS = {
    "acknowledge": _l("Acknowledged late"),
    "respond": _l("Answered late"),
    "resolve": _l("Resolved late"),
}
_ACTION_WORDS = {"any": _l("any"), "on_time": _l("done on time"), "late": _l("done late")}
_ON_TIME_WORDS = {
    "acknowledge": _l("Acknowledged on time"),
    "respond": _l("Answered on time"),
    "resolve": _l("Resolved on time"),
}


def _action_tags(f: InboxFilter) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    if f.action:
        words = _ACTION_WORDS.get(f.action) or ACTION_STATUS_NAMES.get(f.action, f.action)
        found.append(("action", f.action, _("Corrective action: %(state)s", state=words)))
    if f.action_owner is not None:
        owner = db.session.get(StaffMember, f.action_owner)
        found.append(
            ("action_owner", str(f.action_owner), _("Action owner: %(name)s", name=owner.name if owner else "—"))
        )
    if f.action_unit is not None:
        unit = db.session.get(Unit, f.action_unit)
        name = localized(unit.names, locale_code()) if unit is not None else "—"
        found.append(("action_unit", str(f.action_unit), _("Action's unit: %(name)s", name=name)))
    return found


def extra_filters(f: InboxFilter) -> list[tuple[str, str, str]]:
    """(URL parameter, value, words) of each drill-down filter in force."""
    args = filter_args(f)
    found: list[tuple[str, str, str]] = []
    for param, words in _FLAG_WORDS.items():
        if param in args:
            found.append((param, "1", str(words)))
    if f.kind:
        found.append(("kind", f.kind, str(KIND_NAMES[f.kind])))
    if f.closed_from:
        found.append(
            (
                "closed_from",
                f.closed_from.isoformat(),
                _("Closed from %(date)s", date=format_when(f.closed_from, "date")),
            )
        )
    if f.closed_to:
        found.append(
            ("closed_to", f.closed_to.isoformat(), _("Closed to %(date)s", date=format_when(f.closed_to, "date")))
        )
    if f.late:
        found.append(("late", f.late, str(_LATE_WORDS[f.late])))
    if f.on_time:
        found.append(("on_time", f.on_time, str(_ON_TIME_WORDS[f.on_time])))
    if f.justified:
        words = {"1": _("Justified"), "0": _("Not justified"), "any": _("Decided")}
        found.append(("justified", f.justified, words[f.justified]))
    found += _action_tags(f)
    if f.level is not None:
        found.append(("level", str(f.level), _("Escalated to level %(level)s", level=format_number(f.level))))
    if f.score:
        found.append(("score", str(f.score), _("Rated %(score)s of 5", score=format_number(f.score))))
    if f.root_cause_id is not None:
        cause = db.session.get(RootCause, f.root_cause_id)
        name = localized(cause.names, locale_code()) if cause is not None else format_number(f.root_cause_id)
        found.append(("root_cause", str(f.root_cause_id), _("Root cause: %(name)s", name=name)))
    return found


@bp.get("/complaints")
@access(STAFF)  # a reading page: whoever sees complaints, an auditor too
def inbox_view():
    """The inbox: tabs with counts, filters in the URL, search, keyset pages; htmx swaps only the results."""
    f = filter_from_request()
    code_typo = _is_code_typo(f.q)
    # A mistyped tracking code is caught by its check digit, before any lookup.
    page = InboxPage(rows=[], next_cursor=None) if code_typo else inbox(current_user, f, _tz())
    context = {
        "page": page,
        "code_typo": code_typo,
        "f": f,
        "filter_args": lambda **c: filter_args(f, **c),
        "extras": extra_filters(f),
        "options": select_options(),
        "now": utcnow(),
        "is_overdue": is_overdue,
        "is_near_due": is_near_due,
        "format_code": format_code,
        "bulk_form": BulkAssignForm(formdata=None, **_assign_options()),
        "can_assign": Role(current_user.role) in lifecycle.STAFF,
    }
    if wants_fragment():
        return render_block("console/inbox.html", "results", **context)
    return render_template("console/inbox.html", **context)


def _is_code_typo(query: str | None) -> bool:
    """Whether the search is a 13-digit tracking code whose check digit does not match."""
    if not query:
        return False
    try:
        parse_code(query)
    except CodeError as exc:
        return exc.reason == "typo"
    return False


def _assign_options() -> dict[str, list[tuple[str, str]]]:
    options = select_options()
    return {"units": options["units"], "staff": options["staff"]}


@bp.post("/complaints/bulk-assign")
def bulk_assign_view():
    """Assign the ticked complaints to a unit and a handler."""
    form = BulkAssignForm(**_assign_options())
    ids = [i for i in map(parse_id, request.form.getlist("ids")) if i is not None]
    back = url_for("console.inbox_view", **{k: v for k, v in request.args.items() if k != "after"})
    if not ids:
        return error_page(422, _("Tick at least one complaint to assign."))
    if not form.validate_on_submit():
        return error_page(422, _("Choose a unit or a handler from the list."))
    result = bulk_assign(
        current_user,
        ids,
        optional_id(form.unit_id.data),
        optional_id(form.handler_id.data),
    )
    flash(_("%(n)s complaints assigned.", n=format_number(result.assigned)), "success")
    for code, reason in result.refused:
        flash(f"{localize_digits(format_code(code))}: {reason}", "warning")
    return redirect_after_change(back)
