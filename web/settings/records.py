"""Settings → Records: the header of the organization's printed forms — their codes, revision, its date and the
title of who approved them, as its document control has them (the seed's F-06-02-01 and F-06-02-02 by default) —
and after how many months a closed complaint's personal data is removed."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from services.records.audits import checklist_texts, save_checklist
from services.records.forms import record_settings, save_record_settings
from tenants.db import db
from tenants.errors import Refused
from web.common.views import redirect_after_change
from web.forms import date_input_value, parse_local_date
from web.i18n import localize_digits
from web.settings.blueprint import bp

FIELDS = ("registration_code", "follow_up_code", "revision", "revision_date", "approver_title", "retention_months")
FIELDS += ("audit_checklist",)


def _page(status: int = 200, error: Refused | None = None, typed: dict[str, str] | None = None):
    header = record_settings()
    shown = typed or {
        "registration_code": header.registration_code,
        "follow_up_code": header.follow_up_code,
        "revision": header.revision,
        "revision_date": date_input_value(header.revision_date) if header.revision_date else "",
        "approver_title": header.approver_title or "",
        "retention_months": localize_digits(str(header.retention_months)),
        "audit_checklist": "\n".join(checklist_texts()),
    }
    return render_template("settings/records.html", typed=shown, error=error), status


@bp.get("/records")
def records():
    """The forms' header."""
    return _page()


@bp.post("/records")
def records_save():
    """Keep the header; on a refusal nothing changes and what was typed is shown again."""
    typed = {name: (request.form.get(name) or "")[: 20000 if name == "audit_checklist" else 200] for name in FIELDS}
    try:
        revision_date = None
        if typed["revision_date"].strip():
            revision_date = parse_local_date(typed["revision_date"])
            if revision_date is None:
                raise Refused(_l("This is not a date in your calendar."), field="revision_date")
        save_record_settings(current_user, typed, revision_date)
        save_checklist(current_user, typed["audit_checklist"])
    except Refused as exc:
        db.session.rollback()
        return _page(exc.status, exc, typed)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.records"))
