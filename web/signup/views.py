"""/signup: an organization becomes a tenant; its owner lands, logged in, on the console."""

from __future__ import annotations

from flask import Blueprint, g, render_template, url_for
from flask_babel import get_locale

from services.onboarding.operations import SignUp, sign_up, slug_problem
from tenants.accounts import AccountError
from web.common.views import redirect_after_change
from web.signup.forms import DEFAULT_TIMEZONE, SignupForm
from web.tenancy import remember_login

bp = Blueprint("signup", __name__)


@bp.route("/", methods=["GET"])
@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Show and take the sign-up form; a refused form answers 422 with everything typed kept."""
    form = SignupForm()
    if not form.is_submitted():
        locale = str(get_locale())
        form.locale.data = locale
        form.timezone.data = DEFAULT_TIMEZONE.get(locale, "UTC")
    if form.is_submitted():
        valid = form.validate()
        # Every refusal in one round: the address is judged even when another field is wrong.
        problem = None if form.slug.errors else slug_problem(form.slug.data or "")
        if problem:
            form.add_errors("slug", problem)
        if valid and not problem:
            try:
                tenant, owner = sign_up(
                    SignUp(
                        name=form.name.data,
                        slug=form.slug.data,
                        industry=form.industry.data,
                        locale=form.locale.data,
                        timezone=form.timezone.data,
                        owner_name=form.owner_name.data,
                        owner_email=form.owner_email.data,
                        password=form.password.data,
                    )
                )
            except AccountError as exc:
                form.add_errors(exc.field, exc.message)
            else:
                g.tenant = tenant
                remember_login(owner)
                return redirect_after_change(url_for("console.home", tenant_slug=tenant.slug))
    status = 422 if form.is_submitted() else 200
    return render_template("signup/signup.html", form=form), status
