"""Staff log-in and log-out, accepting an invitation, and resetting a password, per tenant."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from tenants import throttle
from tenants.accounts import (
    accept_invitation,
    authenticate,
    open_invitation,
    open_password_reset,
    reset_password,
)
from tenants.errors import Refused
from web.auth.forms import AcceptInvitationForm, ForgotPasswordForm, LoginForm, ResetPasswordForm
from web.auth.mail import ask_for_password_reset
from web.common.views import redirect_after_change, safe_next
from web.tenancy import PUBLIC, STAFF, access, forget_login, remember_login, tenant_blueprint

bp = tenant_blueprint("auth", __name__, "/<tenant_slug>/console", access=PUBLIC)


def _client_ip() -> str:
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The tenant's staff log-in; failures are throttled per account and per IP."""
    if current_user.is_authenticated:
        return redirect(url_for("console.home"), code=303)
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.is_submitted():
        status = 422
    if form.validate_on_submit():
        try:
            member = authenticate(form.email.data, form.password.data, _client_ip())
        except Refused as exc:
            form.add_errors(None, exc.message)
            status = exc.status if exc.status == 429 else 401
        else:
            remember_login(member)
            login_user(member)
            target = safe_next(form.next.data, url_for("console.home"))
            return redirect_after_change(target)
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@access(STAFF)
def logout():
    """Log out of this tenant's console only."""
    forget_login()
    flash(_("You have logged out."), "info")
    return redirect_after_change(url_for("auth.login"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept(token: str):
    """Join the staff from an e-mailed invitation: name and password, then logged in."""
    invitation = open_invitation(token)
    form = AcceptInvitationForm()
    form.about = (invitation.email, g.tenant.name, g.tenant.slug)
    if form.validate_on_submit():
        try:
            member = accept_invitation(token, form.name.data, form.password.data)
        except Refused as exc:
            form.refuse(exc)
        else:
            remember_login(member)
            login_user(member)
            flash(_("Welcome to %(name)s.", name=g.tenant.name), "success")
            return redirect_after_change(url_for("console.home"))
    return render_template("auth/accept.html", form=form, invitation=invitation), form.status


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link; the answer, and the work done before it, is the same whether the address is on the
    staff or not."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        ip = _client_ip()
        if not throttle.hit("reset_request", ip):
            form.add_errors(None, _("Too many requests. Wait a few minutes and try again."))
            return render_template("auth/forgot.html", form=form), 429
        # The same answer, in the same time, for every address: the lookup and the e-mail happen in a job.
        ask_for_password_reset(g.tenant.id, form.email.data)
        flash(_("If this address belongs to an active staff member, a reset link is on its way."), "info")
        return redirect_after_change(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), form.status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    """Choose a new password from an e-mailed link; the link works once."""
    member = open_password_reset(token)
    form = ResetPasswordForm()
    form.about = (member.email, member.name, g.tenant.name, g.tenant.slug)
    if form.validate_on_submit():
        try:
            member = reset_password(token, form.password.data)
        except Refused as exc:
            form.refuse(exc)
        else:
            remember_login(member)
            login_user(member)
            flash(_("Your password has been changed."), "success")
            return redirect_after_change(url_for("console.home"))
    return render_template("auth/reset.html", form=form), form.status
