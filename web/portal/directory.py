"""/track without an organization: codes are unique across tenants, so the code finds its organization and
the visitor is sent to that organization's tracking page. A short SMS can carry this one address."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services.portal import operations as portal
from services.tracking import CodeError, parse_code
from tenants import throttle
from web.portal import guard
from web.portal.forms import TrackForm
from web.portal.tracking import code_message

bp = Blueprint("directory", __name__)


@bp.route("/track", methods=["GET", "POST"])
def track():
    """Find the organization from the code and go to its tracking page."""
    typed = request.values.get("code")
    form = TrackForm(formdata=None)
    if typed is None:
        return render_template("portal/directory.html", form=form)
    form.code.data = typed
    ip = guard.client_ip()
    if throttle.exceeded("portal_track_ip", ip):
        form.code.errors = [_("Too many attempts. Wait a few minutes and try again.")]
        return render_template("portal/directory.html", form=form), 429
    throttle.record("portal_track_ip", ip)
    try:
        tenant = portal.tenant_for_code(typed)
    except CodeError as exc:
        form.code.errors = [code_message(exc)]
        return render_template("portal/directory.html", form=form), 422
    if tenant is None:
        return render_template("portal/directory.html", form=form, not_found=True), 404
    return redirect(url_for("portal.status", tenant_slug=tenant.slug, code=parse_code(typed)), code=303)
