"""Staff log-in and log-out, accepting an invitation, and resetting a password, per tenant."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from services.security.factors import factors_of, recovery_codes_left, use_recovery_code, verify_totp
from services.security.passkeys import authentication_options, verify_passkey
from services.security.sso import enabled_provider, passwords_refused
from tenants import throttle
from tenants.accounts import (
    accept_invitation,
    authenticate,
    open_invitation,
    open_password_reset,
    reset_password,
)
from tenants.errors import Refused
from tenants.sessions import record_event
from tenants.text import number
from web.account.passkeys import answer_of, keep_challenge, relying_party, take_challenge
from web.auth import sso
from web.auth.forms import (
    AcceptInvitationForm,
    ForgotPasswordForm,
    LoginForm,
    RecoveryCodeForm,
    ResetPasswordForm,
    SecondFactorForm,
)
from web.auth.mail import ask_for_password_reset
from web.common.views import error_page, redirect_after_change, safe_next
from web.tenancy import (
    PUBLIC,
    current_session,
    forget_login,
    passed_second_factor,
    remember_login,
    tenant_blueprint,
)

bp = tenant_blueprint("auth", __name__, "/<tenant_slug>/console", access=PUBLIC)


def _client_ip() -> str:
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The tenant's staff log-in; failures are throttled per account and per IP."""
    if current_user.is_authenticated:
        return redirect(url_for("console.home"), code=303)
    if current_session() is not None:
        return redirect(url_for("auth.second_factor"), code=303)  # the password is done: the factor is asked
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
            return _logged_in(member, safe_next(form.next.data, url_for("console.home")))
    return render_template("auth/login.html", form=form, provider=enabled_provider()), status


_NEXT = "dadras_login_next"


def _sso_only_refusal(member):
    record_event("login_failed", member, detail="sso only", survives_refusal=True)
    return error_page(
        403, _("Your organization signs in through its identity provider. Use the button on the log-in page.")
    )


def _logged_in(member, target: str, *, method: str = "password", factor_done: str | None = None):
    """The password (the invitation, the reset link) or the identity provider proved who this is: in, or on to
    the second factor. Where the organization signs in only through its provider, a password proves nothing but
    for an owner."""
    if method == "password" and passwords_refused(member):
        return _sso_only_refusal(member)
    if remember_login(member, method=method, factor_done=factor_done):
        return redirect_after_change(target)
    session[_NEXT] = target
    return redirect_after_change(url_for("auth.second_factor"))


@bp.get("/login/sso")
def sso_start():
    """Off to the organization's identity provider."""
    if current_user.is_authenticated:
        return redirect(url_for("console.home"), code=303)
    return sso.start("login", safe_next(request.args.get("next"), url_for("console.home")))


@bp.get("/login/sso/callback")
def sso_callback():
    """Back from the identity provider."""
    return sso.callback(_logged_in)


@bp.route("/login/verify", methods=["GET", "POST"])
def second_factor():
    """The second step of a log-in: a code from the authenticator app, a passkey, or a recovery code."""
    found = current_session()
    if current_user.is_authenticated or found is None:
        return redirect(url_for("console.home" if current_user.is_authenticated else "auth.login"), code=303)
    member = found[1]
    kinds = {factor.kind for factor in factors_of(member)}
    form, recovery = SecondFactorForm(), RecoveryCodeForm()
    status = 200
    used = recovery if "recovery_code" in request.form else form
    if request.method == "POST" and used.validate_on_submit():
        try:
            if used is recovery:
                use_recovery_code(member, recovery.recovery_code.data)
            else:
                verify_totp(member, form.code.data)
        except Refused as exc:
            used.refuse(exc)
        else:
            how = "recovery" if used is recovery else "totp"
            passed_second_factor(how)
            if how == "recovery":
                left = recovery_codes_left(member)
                flash(_("You used a recovery code. Recovery codes left: %(n)s.", n=number(left)), "warning")
            return redirect_after_change(safe_next(session.pop(_NEXT, None), url_for("console.home")))
    if request.method == "POST":
        status = used.status
    return render_template(
        "auth/second_factor.html", form=form, recovery=recovery, member=member, kinds=kinds, used=used
    ), status


@bp.post("/login/passkey/options")
def passkey_options():
    """The options for logging in with one of the waiting staff member's passkeys."""
    found = current_session()
    if current_user.is_authenticated or found is None:
        return error_page(409, _("Log in with your password first."))
    rp_id, _origin = relying_party()
    options, challenge = authentication_options(found[1], rp_id)
    keep_challenge("login", challenge)
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/login/passkey")
def passkey_verify():
    """The browser's signature with a passkey: the second factor passed, or why not."""
    found = current_session()
    if current_user.is_authenticated or found is None:
        return error_page(409, _("Log in with your password first."))
    try:
        challenge = take_challenge("login")
        rp_id, origin = relying_party()
        verify_passkey(found[1], answer_of(request.get_json(silent=True)), challenge, rp_id=rp_id, origin=origin)
    except Refused as exc:
        return error_page(exc.status if exc.status != 422 else 400, str(exc.message))
    passed_second_factor("passkey")
    return {"redirect": safe_next(session.pop(_NEXT, None), url_for("console.home"))}


@bp.post("/logout")
def logout():
    """Log out of this tenant's console only (a log-in waiting for its second factor included)."""
    if current_session() is not None:
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
            flash(_("Welcome to %(name)s.", name=g.tenant.name), "success")
            return _logged_in(member, url_for("console.home"))
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
    if passwords_refused(member):  # a link sent before the organization turned to its provider alone
        return _sso_only_refusal(member)
    form = ResetPasswordForm()
    form.about = (member.email, member.name, g.tenant.name, g.tenant.slug)
    if form.validate_on_submit():
        try:
            member = reset_password(token, form.password.data)
        except Refused as exc:
            form.refuse(exc)
        else:
            flash(_("Your password has been changed."), "success")
            # A reset proves the mailbox, not the second factor: that is still asked.
            return _logged_in(member, url_for("console.home"))
    return render_template("auth/reset.html", form=form), form.status
