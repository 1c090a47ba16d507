"""Settings: what the reports measure complaints against — the organization's customers, visits or transactions
in each of the last twelve months of its calendar, for complaints per 1,000."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from services.calendar.operations import uses_jalali
from services.reports.exposure import KIND_WORDS, KINDS, exposure_form, recent_months, save_exposure
from tenants.db import db, utcnow
from tenants.errors import Refused
from web.common.views import redirect_after_change
from web.settings.blueprint import bp


def _today() -> date:
    return utcnow().astimezone(ZoneInfo(g.tenant.timezone)).date()


def _page(status: int = 200, error: Refused | None = None, typed: dict[str, str] | None = None):
    jalali = uses_jalali(g.tenant)
    kind, months = exposure_form(_today(), jalali)
    return render_template(
        "settings/reporting.html",
        kind=(typed or {}).get("kind", kind),
        months=months,
        typed=typed or {},
        kinds=KINDS,
        kind_words=KIND_WORDS,
        jalali=jalali,
        error=error,
    ), status


@bp.get("/reporting")
def reporting():
    """The monthly numbers complaints are measured against."""
    return _page()


@bp.post("/reporting")
def reporting_save():
    """Keep the kind and the months' numbers; on a refusal nothing changes and what was typed is shown again."""
    months = recent_months(_today(), uses_jalali(g.tenant))
    typed = {month.isoformat(): (request.form.get(f"m-{month.isoformat()}") or "")[:30] for month in months}
    kind = request.form.get("kind", "")
    try:
        save_exposure(current_user, kind, {month: typed[month.isoformat()] for month in months})
    except Refused as exc:
        db.session.rollback()
        return _page(exc.status, exc, {**typed, "kind": kind})
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.reporting"))
