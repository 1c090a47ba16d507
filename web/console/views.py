"""The staff console: /<slug>/console/, the home page of whoever logs in."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import g, render_template, url_for
from flask_login import current_user

from services.complaints.filters import InboxFilter, filter_args
from services.onboarding.progress import first_steps
from services.reports.home import home as home_figures
from services.reports.periods import preset_period
from tenants.db import utcnow
from tenants.roles import Permission, can
from web.console import actions, audits, complaint, exports, inbox, records, registration, reports, review  # noqa: F401 - routes on bp
from web.console.blueprint import bp
from web.i18n import locale_code
from web.tenancy import STAFF, access


def inbox_link(f: InboxFilter) -> str:
    """The inbox listing exactly the complaints `f` counts."""
    return url_for("console.inbox_view", **filter_args(f))


@bp.get("/")
@access(STAFF)
def home():
    """The work of the person who logs in, their unit's if they head one, and the organization's figures for
    those who see reports; a new organization's first steps until they are done."""
    tz = ZoneInfo(g.tenant.timezone)
    now = utcnow()
    today = now.astimezone(tz).date()
    period = preset_period("this_month", today, jalali=locale_code() == "fa")
    steps = first_steps(g.tenant, today) if can(current_user.role, Permission.MANAGE_SETTINGS) else []
    return render_template(
        "console/home.html",
        page=home_figures(current_user, period, tz, now),
        period=period,
        steps=steps if not all(step.done for step in steps) else [],
        inbox_link=inbox_link,
    )
