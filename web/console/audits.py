"""Audits of the handling (ISO 10002 8.5), /<slug>/console/audits: draw a random sample of the complaints closed
in a period, score each against the checklist, open findings as corrective actions, print the sample."""

from __future__ import annotations

import contextlib
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Response, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from services.records.audits import (
    ANSWERS,
    conformity,
    draw_sample,
    get_sample,
    open_finding,
    sample_items,
    samples,
    score,
)
from services.reports.periods import PRESETS, period_from_args
from services.tracking import format_code
from tenants.db import db, utcnow
from tenants.errors import Refused
from tenants.models import StaffMember
from tenants.roles import Permission
from web.common.pdf import render_pdf, static_file_url
from web.common.views import redirect_after_change
from web.console.blueprint import bp
from web.console.exports import attachment
from web.console.records import css_string, page_counter
from web.console.reports import PRESET_WORDS, _range_values
from web.forms import parse_local_date
from web.i18n import locale_code
from web.tenancy import access


def _answer_words() -> dict[str, str]:
    return {"yes": _("Yes"), "no": _("No"), "na": _("Not applicable")}


def _period(values: Any) -> Any:
    """The period the form chose ("last month", or from … to … in the reader's calendar)."""
    today = utcnow().astimezone(ZoneInfo(g.tenant.timezone)).date()
    return period_from_args(values, today, locale_code() == "fa", parse_local_date)


def _index(status: int = 200, error: Refused | None = None):
    typed = {key: (request.values.get(key) or "")[:40] for key in ("period", "from", "to")}
    values = typed | {"size": (request.values.get("size") or "20")[:6]}
    values["period"] = values["period"] or "last_month"
    with contextlib.suppress(Refused):  # a period refused is said by `error`; the fields keep what was typed
        period = _period(values)
        for key, value in _range_values(period).items():
            values[key] = values[key] or value
    return render_template(
        "console/audits/index.html",
        samples=samples(),
        preset_words=PRESET_WORDS,
        presets=PRESETS,
        values=values,
        error=error,
    ), status


@bp.get("/audits")
@access(Permission.AUDIT_COMPLAINTS)
def audits():
    """The samples drawn, and the form to draw one."""
    return _index()


@bp.post("/audits")
@access(Permission.AUDIT_COMPLAINTS)
def audit_draw():
    """Draw a sample of the period's closed complaints."""
    size_text = (request.form.get("size") or "").strip()
    try:
        if not size_text.isdigit():
            raise Refused(_("Type how many complaints to sample, as a whole number."), field="size")
        period = _period(request.form)
        sample = draw_sample(current_user, period.first, period.last, int(size_text), ZoneInfo(g.tenant.timezone))
    except Refused as exc:
        db.session.rollback()
        return _index(exc.status, exc)
    db.session.commit()
    return redirect_after_change(url_for("console.audit_sample", sample_id=sample.id))


def _sample_context(sample_id: int) -> dict[str, Any]:
    sample = get_sample(sample_id)
    items = sample_items(sample.id)
    return {
        "sample": sample,
        "items": items,
        "summary": conformity([item for item, _c in items]),
        "answers": ANSWERS,
        "answer_words": _answer_words(),
        "format_code": format_code,
        "scorers": dict(db.session.execute(sa.select(StaffMember.id, StaffMember.name)).all()),
    }


@bp.get("/audits/<int:sample_id>")
@access(Permission.AUDIT_COMPLAINTS)
def audit_sample(sample_id: int, status: int = 200, error: Refused | None = None, error_item: int | None = None):
    """The sample: each complaint with its answers, note and finding; the conformity rate."""
    context = _sample_context(sample_id) | {"error": error, "error_item": error_item}
    return render_template("console/audits/sample.html", **context), status


@bp.post("/audits/<int:sample_id>/items/<int:item_id>")
@access(Permission.AUDIT_COMPLAINTS)
def audit_score(sample_id: int, item_id: int):
    """One complaint's answers and note."""
    sample = get_sample(sample_id)
    answers = {q["key"]: (request.form.get(q["key"]) or "") for q in sample.checklist}
    try:
        score(current_user, sample_id, item_id, answers, (request.form.get("note") or "")[:5000])
    except Refused as exc:
        db.session.rollback()
        return audit_sample(sample_id, exc.status, exc, item_id)
    db.session.commit()
    return redirect_after_change(url_for("console.audit_sample", sample_id=sample_id, _anchor=f"item-{item_id}"))


@bp.post("/audits/<int:sample_id>/items/<int:item_id>/finding")
@access(Permission.AUDIT_COMPLAINTS)
def audit_finding(sample_id: int, item_id: int):
    """A finding on one complaint, opened as a corrective action on it."""
    try:
        open_finding(current_user, sample_id, item_id, (request.form.get("finding") or "")[:5000])
    except Refused as exc:
        db.session.rollback()
        return audit_sample(sample_id, exc.status, exc, item_id)
    db.session.commit()
    return redirect_after_change(url_for("console.audit_sample", sample_id=sample_id, _anchor=f"item-{item_id}"))


@bp.get("/audits/<int:sample_id>/print")
@access(Permission.AUDIT_COMPLAINTS)
def audit_print(sample_id: int):
    """The sample, its scores and findings as a printable page or (`format=pdf`) an A4 PDF."""
    fmt = request.args.get("format", "html")
    if fmt not in ("html", "pdf"):
        raise Refused(_("Choose PDF or the printable page."), field="format")
    title = _("Audit sample")
    page = render_template(
        "records/audit_sample.html",
        **_sample_context(sample_id),
        title=title,
        static=lambda filename: static_file_url(filename, for_pdf=fmt == "pdf"),
        for_pdf=fmt == "pdf",
        page_counter=page_counter(locale_code()),
        footer=css_string(title),
        now_moment=utcnow(),
        printed_by=current_user.name,
    )
    if fmt == "html":
        return page
    response = Response(render_pdf(page), mimetype="application/pdf")
    response.headers["Content-Disposition"] = attachment(f"audit-sample-{sample_id}.pdf")
    return response
