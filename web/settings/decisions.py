"""Settings: who approves a decision, shown on the deadlines page beside the rest of how complaints are handled."""

from __future__ import annotations

from flask import flash, g, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField

from services.complaints.settings import set_second_approval
from tenants.errors import Refused
from web.common.views import redirect_after_change
from web.forms import BaseForm
from web.settings.blueprint import bp
from web.settings.calendar import deadlines


class DecisionRulesForm(BaseForm):
    second_approval = BooleanField(_l("Every decision is approved by someone other than whoever made it"))


@bp.post("/decisions")
def decision_rules():
    """Turn the second person's approval on or off."""
    form = DecisionRulesForm(prefix="decisions")  # its token is checked for every post, before this view
    try:
        set_second_approval(current_user, g.tenant, bool(form.second_approval.data))
    except Refused as exc:
        flash(str(exc.message), "danger")
        page, _status = deadlines()
        return page, exc.status
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.deadlines") + "#decisions")
