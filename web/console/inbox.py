"""The inbox: /<slug>/console/complaints with tabs, filters, search, keyset pages and bulk assignment."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from services.complaints import lifecycle
from services.complaints.operations import bulk_assign
from services.complaints.queries import SORTS, TABS, InboxFilter, InboxPage, inbox, is_near_due, is_overdue
from services.tracking import CodeError, format_code, parse_code
from tenants.db import utcnow
from tenants.roles import Role
from tenants.text import parse_id
from web.common.views import error_page, redirect_after_change, render_block, wants_fragment
from web.console.blueprint import bp
from web.console.forms import BulkAssignForm, optional_id
from web.console.labels import CHANNEL_NAMES, PRIORITY_NAMES
from web.console.options import select_options
from web.forms import parse_local_date
from web.i18n import format_number, localize_digits


def _tz() -> ZoneInfo:
    return ZoneInfo(g.tenant.timezone)


def _int_arg(name: str) -> int | None:
    return parse_id(request.args.get(name))


def _filter_from_args() -> InboxFilter:
    """The inbox's filters from the URL; anything malformed is ignored, never an error."""
    args = request.args
    tab = args.get("tab", "open")
    sort = args.get("sort", "newest")
    return InboxFilter(
        tab=tab if tab in TABS else "open",
        category_id=_int_arg("category"),
        unit_id=_int_arg("unit"),
        handler=args.get("handler") or None,
        priority=args.get("priority") if args.get("priority") in PRIORITY_NAMES else None,
        channel=args.get("channel") if args.get("channel") in CHANNEL_NAMES else None,
        overdue=args.get("overdue") == "1",
        escalated=args.get("escalated") == "1",
        safety=args.get("safety") == "1",
        received_from=parse_local_date(args.get("from", "")),
        received_to=parse_local_date(args.get("to", "")),
        q=(args.get("q") or "").strip()[:200] or None,
        sort=sort if sort in SORTS else "newest",
        after=args.get("after") or None,
    )


def _filter_args(f: InboxFilter, **changes: Any) -> dict[str, Any]:
    """The URL parameters of `f`, with `changes`; empty values left out."""
    values = {
        "tab": f.tab,
        "category": f.category_id,
        "unit": f.unit_id,
        "handler": f.handler,
        "priority": f.priority,
        "channel": f.channel,
        "overdue": "1" if f.overdue else None,
        "escalated": "1" if f.escalated else None,
        "safety": "1" if f.safety else None,
        "from": request.args.get("from") if f.received_from else None,
        "to": request.args.get("to") if f.received_to else None,
        "q": f.q,
        "sort": f.sort if f.sort != "newest" else None,
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v not in (None, "")}


@bp.get("/complaints")
def inbox_view():
    """The inbox: tabs with counts, filters in the URL, search, keyset pages; htmx swaps only the results."""
    f = _filter_from_args()
    code_typo = _is_code_typo(f.q)
    # A mistyped tracking code is caught by its check digit, before any lookup.
    page = InboxPage(rows=[], next_cursor=None) if code_typo else inbox(current_user, f, _tz())
    context = {
        "page": page,
        "code_typo": code_typo,
        "f": f,
        "filter_args": lambda **c: _filter_args(f, **c),
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
