"""The tenant's public portal: how to complain, the complaint form, the receipt, tracking by code, proof of
being the complainant, and the customer's answers. Every page works without JavaScript.

This module holds the portal's home page and brand; filing (web/portal/filing.py) and tracking
(web/portal/tracking.py) add their routes to the same blueprint when imported here.
"""

from __future__ import annotations

from flask import abort, current_app, render_template, send_file

from services.calendar import deadlines
from web.portal import filing, tracking  # noqa: F401  (their routes join bp)
from web.portal.blueprint import bp, current_settings, storage


@bp.get("/")
def home():
    """The organization's portal: how to complain, through which channels, what it promises, where else to turn."""
    rule = deadlines.default_rule()
    return render_template("portal/home.html", promised=deadlines.promised(rule), default_rule=rule)


@bp.get("/brand.css")
def brand_css():
    """The organization's colour as a style sheet (the pages allow no inline styles)."""
    colour = current_settings().colour
    response = current_app.response_class(f":root {{ --brand: {colour}; }}\n", mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/logo")
def logo():
    settings = current_settings()
    if not settings.logo_key:
        abort(404)
    try:
        handle = storage().open(settings.logo_key)
    except (FileNotFoundError, ValueError):
        abort(404)
    response = send_file(handle, mimetype=settings.logo_type or "image/png", max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
