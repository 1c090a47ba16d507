"""The staff console: /<slug>/console/."""

from __future__ import annotations

from flask import render_template

from services.catalog.queries import category_tree, list_units
from tenants.accounts import count_active_staff, list_open_invitations
from web.console import actions, complaint, inbox, registration  # noqa: F401 - their routes, on bp
from web.console.blueprint import bp
from web.tenancy import STAFF, access


@bp.get("/")
@access(STAFF)
def home():
    """The overview: who is on the staff and the configuration the organization starts from."""
    categories = category_tree()
    overview = {
        "staff": count_active_staff(),
        "units": list_units(),
        "categories": categories,
        "category_count": sum(1 + len(node.children) for node in categories),
        "invitations": len(list_open_invitations()),
    }
    return render_template("console/home.html", overview=overview)
