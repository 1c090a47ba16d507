"""The management review (ISO 10002 8.6), /<slug>/console/reports/review: the pack for a period — every report's
figures with charts drawn for print, the previous review's decisions and their status, a page for this review's
decisions — as a printable page or an A4 PDF; and the reviews held, each with its decisions kept up."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response, current_app, g, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

from services.records.models import REVIEW_STATUSES, SUBSCRIBABLE
from services.records.reviews import DecisionInput, previous_review, record_review, reviews, update_decision
from services.records.subscriptions import RENDERER_KEY, subscribe, subscriptions_of, unsubscribe
from services.reports.periods import Period
from services.reports.tables import Table
from tenants.context import current_tenant_id, enter_tenant
from tenants.db import db, utcnow
from tenants.errors import Refused
from tenants.models import StaffMember, Tenant
from tenants.roles import Permission
from web.common.pdf import render_pdf, static_file_url
from web.common.views import redirect_after_change
from web.console.blueprint import bp
from web.console.exports import attachment
from web.console.options import select_options
from web.console.records import css_string, page_counter
from web.console.reports import (
    PRESET_WORDS,
    REPORTS,
    _form_values,
    _range_values,
    build_report,
    report_scope,
    row_label,
)
from web.forms import parse_local_date
from web.i18n import format_period, locale_code
from web.tenancy import access

# The reports in the pack, in the order a review reads them.
PACK = ("volume", "timeliness", "outcomes", "satisfaction", "recurrence", "actions")
STATUS_WORDS = {"open": _l("Not done yet"), "done": _l("Done"), "dropped": _l("Dropped")}
DECISION_ROWS = 5


def chart_rows(table: Table) -> list[dict[str, Any]]:
    """A table's first column as bars for print: each row's label, value, its bar's length (0–100, of the
    largest) and, for a Pareto, the running share (0–100)."""
    values = [(row.cells[0].value or 0) for row in table.rows]
    top = max(values, default=0) or 1
    found = []
    for row, value in zip(table.rows, values, strict=True):
        entry = {"label": row_label(row), "value": value, "length": round(100 * value / top, 1)}
        if table.chart == "pareto" and len(row.cells) > 2 and row.cells[2].value is not None:
            entry["running"] = round(100 * row.cells[2].value, 1)
        found.append(entry)
    return found


def _pack(for_pdf: bool, names: tuple[str, ...] = PACK) -> str:
    """The pack (or, for `names` other than the whole pack, those reports alone) for the URL's period."""
    scope = report_scope()
    built = [(name, REPORTS[name][0], build_report(name, scope)) for name in names]
    whole = names == PACK
    followed = previous_review(scope.period.first) if whole else None
    staff = dict(db.session.execute(sa.select(StaffMember.id, StaffMember.name)).all())
    title = _("Management review") if whole else str(REPORTS[names[0]][0])
    return render_template(
        "records/review_pack.html",
        built=built,
        whole=whole,
        period=scope.period,
        followed=followed,
        staff=staff,
        status_words=STATUS_WORDS,
        chart_rows=chart_rows,
        row_label=row_label,
        title=title,
        static=lambda filename: static_file_url(filename, for_pdf=for_pdf),
        for_pdf=for_pdf,
        page_counter=page_counter(locale_code()),
        footer=css_string(title),
        now_moment=utcnow(),
        printed_by=current_user.name,
        blank_rows=range(8),
        pdf_link=url_for("console.review_pack", **(request.args.to_dict() | {"format": "pdf"})),
    )


def render_for_mail(tenant: Tenant, member: StaffMember, what: str, period: Period) -> tuple[str, bytes, str, str]:
    """The pack or one report for `period` as the subscriber would download it — their scope, their language —
    with the e-mail's subject and text (services.records.subscriptions)."""
    app = current_app._get_current_object()
    query = {"period": "range", "from": period.first.isoformat(), "to": period.last.isoformat()}
    kept = current_tenant_id()
    with app.test_request_context(
        f"/{tenant.slug}/console/reports/review/pack", query_string=query, base_url=app.config["BASE_URL"]
    ):
        g.tenant = tenant
        login_user(member)
        with force_locale(member.locale or tenant.default_locale):
            html = _pack(for_pdf=True, names=PACK if what == "pack" else (what,))
            name = _("Management review") if what == "pack" else str(REPORTS[what][0])
            shown = format_period(report_scope().period)
            subject = _("%(report)s: %(period)s", report=name, period=shown)
            body = _(
                "%(report)s of %(organization)s for %(period)s is attached as a PDF. You receive it because you "
                "subscribed to it in the reports; you can end the subscription there.",
                report=name,
                organization=tenant.name,
                period=shown,
            )
    enter_tenant(kept)  # the request's end left the scope; the job goes on in it
    filename = f"{'management-review' if what == 'pack' else what} {period.first.isoformat()}.pdf"
    return filename, render_pdf(html), subject, body


def init_app(app) -> None:
    """Hand the scheduled reports' job (a worker, which knows no templates) the way to make their files."""
    app.extensions[RENDERER_KEY] = render_for_mail


@bp.get("/reports/review")
@access(Permission.MANAGE_REVIEWS)
def review_page(status: int = 200, error: Refused | None = None, typed: dict[str, str] | None = None):
    """The pack's period and links, the form to record a review, and the reviews held."""
    context: dict[str, Any] = {
        "name": "review",
        "reports": REPORTS,
        "preset_words": PRESET_WORDS,
        "values": _form_values(),
        "options": select_options(),
        "reviews": reviews(),
        "statuses": REVIEW_STATUSES,
        "status_words": STATUS_WORDS,
        "decision_rows": range(DECISION_ROWS),
        "subscriptions": subscriptions_of(current_user),
        "subscribable": SUBSCRIBABLE,
        "frequency_words": {"weekly": _l("Every week"), "monthly": _l("Every month")},
        "typed": typed or {},
        "error": error,
        "period": None,
    }
    try:
        scope = report_scope()
        context["period"] = scope.period
        for key, value in _range_values(scope.period).items():
            context["values"][key] = context["values"][key] or value
    except Refused as exc:
        context["error"] = context["error"] or exc
        status = max(status, exc.status)
    return render_template("console/reports/review.html", **context), status


@bp.get("/reports/review/pack")
@access(Permission.MANAGE_REVIEWS)
def review_pack():
    """The pack for the period: `format` html (printable page) or pdf, in the reader's language."""
    fmt = request.args.get("format", "html")
    if fmt not in ("html", "pdf"):
        raise Refused(_("Choose PDF or the printable page."), field="format")
    lang = request.args.get("lang") or locale_code()
    with force_locale(lang):
        page = _pack(for_pdf=fmt == "pdf")
    if fmt == "html":
        return page
    response = Response(render_pdf(page), mimetype="application/pdf")
    scope = report_scope()
    name = f"management-review {scope.period.first.isoformat()} {scope.period.last.isoformat()}.pdf"
    response.headers["Content-Disposition"] = attachment(name)
    return response


def _date(name: str) -> Any:
    text = (request.form.get(name) or "").strip()
    if not text:
        return None
    found = parse_local_date(text)
    if found is None:
        raise Refused(_("This is not a date in your calendar."), field=name)
    return found


@bp.post("/reports/review")
@access(Permission.MANAGE_REVIEWS)
def review_record():
    """Keep a review of the period with its decisions; refused, keeping nothing and showing what was typed."""
    typed = {key: (value or "")[:4000] for key, value in request.form.items()}
    try:
        scope = report_scope()
        decisions = []
        for n in range(DECISION_ROWS):
            text = (request.form.get(f"decision-{n}-text") or "").strip()
            if not text:
                continue
            owner = (request.form.get(f"decision-{n}-owner") or "").strip()
            if owner and not owner.isdigit():
                raise Refused(_("Choose a staff member from the list."), field=f"decision-{n}-owner")
            decisions.append(DecisionInput(text, int(owner) if owner else None, _date(f"decision-{n}-due")))
        record_review(
            current_user,
            first=scope.period.first,
            last=scope.period.last,
            held_on=_date("held_on"),
            attendees=request.form.get("attendees") or "",
            notes=request.form.get("notes") or "",
            decisions=decisions,
        )
    except Refused as exc:
        db.session.rollback()
        return review_page(exc.status, exc, typed)
    db.session.commit()
    return redirect_after_change(url_for("console.review_page", **request.args))


@bp.post("/reports/review/decisions/<int:decision_id>")
@access(Permission.MANAGE_REVIEWS)
def review_decision(decision_id: int):
    """A decision's status and note."""
    try:
        update_decision(
            current_user, decision_id, request.form.get("status") or "", (request.form.get("note") or "")[:4000]
        )
    except Refused as exc:
        db.session.rollback()
        return review_page(exc.status, exc)
    db.session.commit()
    return redirect_after_change(url_for("console.review_page", **request.args))


@bp.post("/reports/subscriptions")
@access(Permission.MANAGE_REVIEWS)
def subscription_add():
    """Subscribe to the pack or a report by e-mail, weekly or monthly."""
    try:
        subscribe(current_user, request.form.get("what") or "", request.form.get("frequency") or "")
    except Refused as exc:
        db.session.rollback()
        return review_page(exc.status, exc)
    db.session.commit()
    return redirect_after_change(url_for("console.review_page", **request.args))


@bp.post("/reports/subscriptions/<int:subscription_id>/delete")
@access(Permission.MANAGE_REVIEWS)
def subscription_remove(subscription_id: int):
    """End one of one's own subscriptions."""
    unsubscribe(current_user, subscription_id)
    db.session.commit()
    return redirect_after_change(url_for("console.review_page", **request.args))
