"""Downloads: the inbox under any filter (/complaints.csv, /complaints.xlsx) and any report's table
(/reports/<name>/<table>.csv|xlsx), streamed, in the reader's language, each recorded before its first byte."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jdatetime
from flask import Response, abort, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from services.complaints.filters import filter_args
from services.complaints.words import CHANNEL_NAMES, KIND_NAMES, PRIORITY_NAMES, STATE_NAMES
from services.i18n import localized
from services.reports.exports import complaint_rows, count_rows, may_export_personal_data, record_export
from services.reports.tables import Cell, Table
from services.reports.writers import csv_chunks, file_chunks, xlsx_file
from services.tracking import format_code
from tenants.context import tenant_scope
from tenants.db import db, utcnow
from tenants.models import StaffMember
from web.console.blueprint import bp
from web.console.inbox import filter_from_request
from web.console.reports import REPORTS, build_report, report_scope, row_label
from web.i18n import locale_code
from web.tenancy import STAFF, access

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@lru_cache(maxsize=4096)
def _jalali_day(day: date) -> str:
    j = jdatetime.date.fromgregorian(date=day)
    return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"


def _jalali(moment: datetime | None) -> str:
    """A local moment as Jalali text ("1405/09/12 14:30"); the day's conversion is kept, rows share days."""
    if moment is None:
        return ""
    return f"{_jalali_day(moment.date())} {moment.hour:02d}:{moment.minute:02d}"


def attachment(filename: str) -> str:
    """A Content-Disposition that names the file (RFC 6266): a Persian or Cyrillic name as filename* in UTF-8,
    with an ASCII filename beside it for the clients that know no other (HTTP headers are Latin-1)."""
    try:
        filename.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii") or "export"
        return f"attachment; filename=\"{simple}\"; filename*=UTF-8''{quote(filename, safe='!#$&+-.^_`|~')}"
    return f'attachment; filename="{filename}"'


def _download(rows: Iterable[list[Any]], header: list[str], name: str, file_format: str) -> Response:
    locale = locale_code()
    if file_format == "csv":
        body: Iterator[bytes] = csv_chunks(header, rows, locale)
    else:
        body = file_chunks(xlsx_file(header, rows, sheet=name, rtl=locale == "fa"))
    response = Response(body, mimetype=FORMATS[file_format])
    stamp = utcnow().astimezone(ZoneInfo(g.tenant.timezone)).strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = attachment(f"{g.tenant.slug}-{name}-{stamp}.{file_format}")
    return response


def _words(names: dict[str, Any]) -> dict[str, str]:
    """Lazy words turned into the reader's, before the response leaves the request."""
    return {key: str(value) for key, value in names.items()}


@bp.get("/complaints.<file_format>")
@access(STAFF)  # a reading page: whoever sees complaints, an auditor too
def export_complaints(file_format: str):
    """The complaints the inbox lists under the URL's filters, every one (no cap), newest first. The rows are
    read while the file goes out, in an application context and tenant scope of their own: the request's
    database session is gone by then."""
    if file_format not in FORMATS:
        abort(404)
    tz, now = ZoneInfo(g.tenant.timezone), utcnow()
    f = filter_from_request().but(after=None)
    personal = may_export_personal_data(current_user)
    rows_total = count_rows(current_user, f, tz, now)
    record_export(current_user, "complaints", file_format, filter_args(f), rows_total, personal=personal)
    db.session.commit()
    app, tenant_id, actor_id = current_app._get_current_object(), g.tenant.id, current_user.id
    locale = locale_code()
    jalali = locale == "fa"
    header = [
        _("Tracking code"),
        _("Received"),
        *([_("Received (Jalali)")] if jalali else []),
        _("Kind"),
        _("State"),
        _("Channel"),
        _("Priority"),
        _("Safety"),
        _("Category"),
        _("Unit"),
        _("Handler"),
        _("Complainant"),
        _("Phone"),
        _("E-mail"),
        _("National ID"),
        _("Subject"),
        _("Due"),
        _("Closed"),
        _("Escalation level"),
        _("Times reopened"),
    ]
    kinds, states = _words(KIND_NAMES), _words(STATE_NAMES)
    channels, priorities = _words(CHANNEL_NAMES), _words(PRIORITY_NAMES)
    yes, no = _("Yes"), _("No")

    names: dict[int, str] = {}

    def name_of(found: dict[str, str] | None) -> str:
        # The same few catalog entries on every row: each put into the reader's language once.
        if not found:
            return ""
        key = id(found)
        if key not in names:
            names[key] = localized(found, locale)
        return names[key]

    def rows() -> Iterator[list[Any]]:
        with app.app_context(), tenant_scope(tenant_id):
            actor = db.session.get(StaffMember, actor_id)
            for r in complaint_rows(actor, f, tz, now):
                received = r.received_at.astimezone(tz)
                yield [
                    format_code(r.code),
                    received,
                    *([_jalali(received)] if jalali else []),
                    kinds.get(r.kind, r.kind),
                    states.get(r.state, r.state),
                    channels.get(r.channel, r.channel),
                    priorities.get(r.priority, r.priority),
                    yes if r.safety else no,
                    name_of(r.category),
                    name_of(r.unit),
                    r.handler or "",
                    r.complainant,
                    r.phone,
                    r.email,
                    r.national_id,
                    r.subject,
                    r.next_due_at.astimezone(tz) if r.next_due_at else None,
                    r.closed_at.astimezone(tz) if r.closed_at else None,
                    r.escalation_level,
                    r.reopen_count,
                ]

    return _download(rows(), header, _("complaints"), file_format)


def _value(cell: Cell) -> Any:
    if cell.value is None:
        return None
    if cell.kind == "share":
        return round(cell.value * 100, 1)
    if cell.kind == "mean":
        return round(cell.value, 2)
    if cell.kind == "hours":
        return round(cell.value, 1)
    return cell.value


@bp.get("/reports/<name>/<table_key>.<file_format>")
@access(STAFF)  # a reading page: whoever sees complaints, an auditor too
def export_report_table(name: str, table_key: str, file_format: str):
    """One table of a report, as shown (shares in percent)."""
    if name not in REPORTS or file_format not in FORMATS:
        abort(404)
    scope = report_scope()
    table: Table | None = next((t for t in build_report(name, scope).tables if t.key == table_key), None)
    if table is None:
        abort(404)
    record_export(
        current_user, f"report:{name}:{table_key}", file_format, dict(request.args), len(table.rows), personal=False
    )
    db.session.commit()
    header = ["", *(str(c) + (" (%)" if _is_share(table, i) else "") for i, c in enumerate(table.columns))]
    rows = ([row_label(row), *(_value(c) for c in row.cells)] for row in table.rows)
    return _download(rows, header, f"{name}-{table_key}", file_format)


def _is_share(table: Table, column: int) -> bool:
    return any(row.cells[column].kind == "share" for row in table.rows if column < len(row.cells))
