"""/signup: an organization becomes a tenant; its owner lands, logged in, on the console."""

from __future__ import annotations

from flask import Blueprint, g, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from services.onboarding.operations import SignUp, sign_up, slug_problem
from tenants import throttle
from tenants.errors import Refused
from web.common.views import redirect_after_change
from web.portal import guard
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
        if valid and not problem and (refused := _refusal(form)) is not None:
            return refused
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
            except Refused as exc:
                form.refuse(exc)
            else:
                g.tenant = tenant
                remember_login(owner)
                return redirect_after_change(url_for("console.home", tenant_slug=tenant.slug))
    return _page(form, form.status)


def _page(form: SignupForm, status: int):
    """The form with a fresh proof-of-work challenge and sum (each is good for one sending)."""
    a, b, token = guard.new_question(None)  # no submission key: a sign-up files once by its address
    form.question_token.data = token
    form.question_answer.data = ""
    form.altcha.data = ""
    return render_template(
        "signup/signup.html", form=form, challenge=guard.new_challenge(None), question=(a, b)
    ), status


def _refusal(form: SignupForm):
    """The page to answer a well-filled form with when no person is proven or the visitor signed up too often."""
    # A proof already used ("again") proves nothing here: sign-up has no first sending to show.
    if guard.human(form.altcha.data, form.question_token.data, form.question_answer.data, None) in (None, "again"):
        form.question_answer.errors = [_("Please answer the sum, so we know a person is signing up.")]
        return _page(form, 422)
    ip = guard.client_ip()
    if not throttle.hit("signup_ip", ip) or not throttle.hit("signup_ip_day", ip):
        form.add_errors(None, _("Too many organizations were signed up from your address. Try again later."))
        return _page(form, 429)
    return None
