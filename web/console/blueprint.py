"""The console's blueprint, shared by its view modules: every route is for staff who handle complaints, and a
route under /complaints/<complaint_id> works on that complaint, loaded once before the view as g.complaint."""

from __future__ import annotations

from flask import g, request
from flask_login import current_user

from services.complaints.access import get_complaint
from tenants.roles import Permission
from web.tenancy import tenant_blueprint

bp = tenant_blueprint("console", __name__, "/<tenant_slug>/console", access=Permission.HANDLE_COMPLAINTS)


@bp.before_request
def _load_complaint() -> None:
    """The complaint of the URL, if the staff member may see it; NotFound (the app's 404) otherwise, with no
    hint that it exists. Runs after the blueprint's log-in check, so a visitor never causes a lookup."""
    complaint_id = (request.view_args or {}).pop("complaint_id", None)
    if complaint_id is not None:
        # A page that only shows the complaint may be read by whoever sees it; a change needs one who handles it.
        g.complaint = get_complaint(current_user, complaint_id, reading=request.method == "GET")
