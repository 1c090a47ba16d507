"""Settings → Personal data: a complainant's request to see everything kept about them, or to be erased —
found by any contact they gave, exported as one JSON file, or erased from all their complaints. Owners and
admins only; each export and erasure is recorded."""

from __future__ import annotations

import contextlib
import json

from flask import Response, current_app, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from services.files.storage import storage_from_config
from services.records.retention import complaints_of, erase_complainant, export_complainant, find_complainant
from services.tracking import format_code
from tenants.db import db
from tenants.errors import Refused
from tenants.roles import Permission
from web.common.views import redirect_after_change
from web.console.exports import attachment
from web.i18n import format_number, locale_code, localize_digits
from web.settings.blueprint import bp
from web.tenancy import access

CONTACTS = ("phone", "email", "national_id")


def _typed(source) -> dict[str, str]:
    return {name: (source.get(name) or "")[:254] for name in CONTACTS}


def _page(typed: dict[str, str], status: int = 200, error: Refused | None = None, found=None):
    return render_template(
        "settings/personal_data.html", typed=typed, error=error, found=found, format_code=format_code
    ), status


@bp.get("/personal-data")
@access(Permission.MANAGE_PERSONAL_DATA)
def personal_data():
    """Find a complainant's complaints by phone, e-mail or national ID."""
    typed = _typed(request.args)
    if not any(v.strip() for v in typed.values()):
        return _page(typed)
    try:
        who = find_complainant(current_user, g.tenant, **typed)
    except Refused as exc:
        return _page(typed, exc.status, exc)
    return _page(typed, found=complaints_of(current_user, who))


@bp.get("/personal-data/export")
@access(Permission.MANAGE_PERSONAL_DATA)
def personal_data_export():
    """Everything about the complainant as one JSON file; the export is recorded."""
    typed = _typed(request.args)
    try:
        who = find_complainant(current_user, g.tenant, **typed)
    except Refused as exc:
        return _page(typed, exc.status, exc)
    body = json.dumps(export_complainant(current_user, who), ensure_ascii=False, indent=2)
    db.session.commit()
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = attachment(f"complainant-{g.tenant.slug}.json")
    return response


@bp.post("/personal-data/erase")
@access(Permission.MANAGE_PERSONAL_DATA)
def personal_data_erase():
    """The complainant's personal data removed from all their complaints (those on legal hold kept)."""
    typed = _typed(request.form)
    try:
        who = find_complainant(current_user, g.tenant, **typed)
        if request.form.get("confirm") != "yes":
            raise Refused(_("Tick the box to confirm: this cannot be undone."), field="confirm")
        erased, held = erase_complainant(current_user, who, storage_from_config(current_app.config["UPLOAD_STORAGE"]))
    except Refused as exc:
        db.session.rollback()
        found = None
        with contextlib.suppress(Refused):  # the contacts themselves were refused: nothing to list
            found = complaints_of(current_user, find_complainant(current_user, g.tenant, **typed))
        return _page(typed, exc.status, exc, found)
    db.session.commit()
    flash(
        ngettext(
            "Personal data removed from %(count)s complaint.",
            "Personal data removed from %(count)s complaints.",
            len(erased),
            count=format_number(len(erased)),
        ),
        "success",
    )
    if held:
        comma = "، " if locale_code() == "fa" else ", "
        flash(
            _("Kept on legal hold: %(codes)s.", codes=comma.join(localize_digits(format_code(c)) for c in held)),
            "warning",
        )
    return redirect_after_change(url_for("settings.personal_data"))
