"""A staff member's security page: their open sessions, their second factors, their recent sign-ins.

Every page here stays reachable for someone the organization's two-factor policy stops: setting up a factor is
what they must do. Adding or removing a factor, and new recovery codes, ask for the password (and the current
factor) again unless that was done in the last few minutes.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import segno
import sqlalchemy as sa
from flask import abort, current_app, flash, g, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from services.gateways.secrets import seal, unseal
from services.notifications.outbox import notify_account
from services.security.factors import (
    confirm_totp,
    factors_of,
    has_factor,
    make_recovery_codes,
    pending_totp,
    recovery_codes_left,
    remove_factor,
    start_totp,
    use_recovery_code,
    verify_totp,
)
from services.security.passkeys import add_passkey, authentication_options, registration_options, verify_passkey
from services.security.sso import enabled_provider, link_of, passwords_refused, unlink_own
from tenants.accounts import ask_email_change, change_email, check_own_password
from tenants.db import db, utcnow
from tenants.errors import Refused
from tenants.security import SecurityEvent
from tenants.sessions import end_session, end_sessions, get_session, open_sessions, record_event
from tenants.text import normalize_email
from web.account.forms import ConfirmForm, EmailForm, PasskeyForm, TotpForm
from web.account.passkeys import answer_of, keep_challenge, relying_party, take_challenge
from web.account.words import browser_name, event_name
from web.auth import sso
from web.common.views import error_page, external_url, redirect_after_change, safe_next
from web.tenancy import (
    STAFF,
    confirmed_again,
    current_session,
    forget_login,
    open_during_enrolment,
    tenant_blueprint,
)

bp = tenant_blueprint("account", __name__, "/<tenant_slug>/console/account", access=STAFF)

# How long a password typed again lets the factors be changed.
CONFIRM_SECONDS = 600
SIGN_IN_KINDS = ("login", "sso_login", "login_failed", "sso_failed", "second_factor_failed", "logout")


def _row():
    return current_session()[0]


def _recently_confirmed() -> bool:
    confirmed = _row().confirmed_at
    return confirmed is not None and utcnow() - confirmed < timedelta(seconds=CONFIRM_SECONDS)


def confirm_first():
    """Unless the password was typed again lately, the way to the page that asks it (then back here)."""
    if _recently_confirmed():
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else url_for("account.security")
    return redirect_after_change(url_for("account.confirm", next=target))


def _qr(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _sign_ins(member_id: int) -> list[SecurityEvent]:
    return list(
        db.session.scalars(
            sa.select(SecurityEvent)
            .where(SecurityEvent.staff_member_id == member_id, SecurityEvent.kind.in_(SIGN_IN_KINDS))
            .order_by(SecurityEvent.at.desc(), SecurityEvent.id.desc())
            .limit(20)
        )
    )


@bp.get("/security")
@open_during_enrolment
def security():
    """The staff member's sessions, factors and recent sign-ins."""
    return _security_page()


def _security_page(email_form: EmailForm | None = None, status: int = 200):
    member = current_user
    factors = factors_of(member)
    return render_template(
        "account/security.html",
        sessions=open_sessions(g.tenant, member.id),
        this_session=_row(),
        factors=factors,
        totp=[f for f in factors if f.kind == "totp"],
        passkeys=[f for f in factors if f.kind == "passkey"],
        codes_left=recovery_codes_left(member) if factors else 0,
        new_codes=_shown_codes(),
        sign_ins=_sign_ins(member.id),
        provider=enabled_provider(),
        link=link_of(member),
        email_form=email_form or EmailForm(formdata=None),
    ), status


@bp.post("/sessions/<int:session_id>/end")
@open_during_enrolment
def end_one(session_id: int):
    """End one of one's own sessions (another browser, a lost phone)."""
    row = get_session(session_id)
    if row is None or row.staff_member_id != current_user.id:
        abort(404)
    if row.id == _row().id:
        forget_login("ended")  # this one: that is logging out
        return redirect_after_change(url_for("auth.login"))
    end_session(row, "ended")
    record_event("session_ended", current_user, detail=str(row.id))
    flash(_("That session has ended."), "success")
    return redirect_after_change(url_for("account.security"))


@bp.post("/sessions/end-others")
@open_during_enrolment
def end_others():
    """End every session of one's own but this one."""
    ended = end_sessions(current_user.id, "ended", keep=_row())
    record_event("sessions_ended", current_user, detail=str(ended))
    flash(_("Your other sessions have ended."), "success")
    return redirect_after_change(url_for("account.security"))


@bp.route("/security/confirm", methods=["GET", "POST"])
@open_during_enrolment
def confirm():
    """The password (and a second factor, if one is set up) asked again before the factors change."""
    member = current_user
    target = safe_next(request.values.get("next"), url_for("account.security"))
    kinds = {factor.kind for factor in factors_of(member)}
    form = ConfirmForm(with_code="totp" in kinds or bool(kinds))
    if form.validate_on_submit():
        try:
            check_own_password(member, form.password.data)
            if kinds:
                code = form.code.data or ""
                if re.fullmatch(r"[\s0-9۰-۹٠-٩]{6,10}", code) and "totp" in kinds:
                    verify_totp(member, code)
                else:
                    use_recovery_code(member, code)
        except Refused as exc:
            form.refuse(exc)
        else:
            confirmed_again()
            return redirect_after_change(target)
    provider = enabled_provider()
    # The provider confirms for someone who signed in there, where it stands for any second factor too.
    by_provider = (
        provider is not None
        and _row().method == "sso"
        and link_of(member) is not None
        and (not kinds or provider.trust_mfa)
    )
    return render_template(
        "account/confirm.html",
        form=form,
        target=target,
        passkey_only=kinds == {"passkey"},
        provider=provider if by_provider else None,
    ), form.status


@bp.post("/security/confirm/sso")
@open_during_enrolment
def confirm_sso():
    """Confirm at the organization's provider (for whoever signed in there and has no password to type)."""
    if _row().method != "sso":
        return error_page(403, _("You signed in with your password: confirm with it."))
    return sso.start("confirm", safe_next(request.form.get("next"), url_for("account.security")))


@bp.post("/security/confirm/passkey/options")
@open_during_enrolment
def confirm_passkey_options():
    rp_id, _origin = relying_party()
    options, challenge = authentication_options(current_user, rp_id)
    keep_challenge("confirm", challenge)
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/security/confirm/passkey")
@open_during_enrolment
def confirm_passkey():
    """The passkey in place of the code when the password is asked again (the password comes in the same post)."""
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    target = body.get("next") if isinstance(body.get("next"), str) else None
    try:
        check_own_password(current_user, str(body.get("password") or "")[:128])
        rp_id, origin = relying_party()
        verify_passkey(current_user, answer_of(body), take_challenge("confirm"), rp_id=rp_id, origin=origin)
    except Refused as exc:
        return error_page(exc.status if exc.status != 422 else 400, str(exc.message))
    confirmed_again()
    return {"redirect": safe_next(target, url_for("account.security"))}


def _keep_codes(codes: list[str]) -> None:
    """New recovery codes kept, sealed, on this session's row until the next page shows them (never in the
    cookie, which is signed but readable)."""
    _row().codes_sealed = seal(json.dumps(codes))


def _shown_codes() -> list[str] | None:
    row = _row()
    if not row.codes_sealed:
        return None
    codes = json.loads(unseal(row.codes_sealed) or "null")
    row.codes_sealed = None
    return codes


def _first_factor_codes() -> None:
    """With the first factor in use come the recovery codes, shown once on the next page."""
    if len(factors_of(current_user)) == 1:
        _keep_codes(make_recovery_codes(current_user))


@bp.route("/security/app", methods=["GET", "POST"])
@open_during_enrolment
def totp():
    """Set up an authenticator app: its QR code and secret, then its first code."""
    if (asked := confirm_first()) is not None:
        return asked
    form = TotpForm()
    if request.method == "GET" or pending_totp(current_user) is None:
        _factor, secret, uri = start_totp(current_user, g.tenant)
    else:
        _factor, secret = pending_totp(current_user)
        uri = None
        if form.validate_on_submit():
            try:
                confirm_totp(current_user, form.code.data, form.name.data)
            except Refused as exc:
                form.refuse(exc)
            else:
                _first_factor_codes()
                flash(_("The authenticator app is set up. Each log-in now asks for its code."), "success")
                return redirect_after_change(url_for("account.security"))
    if uri is None:
        import pyotp

        uri = pyotp.TOTP(secret).provisioning_uri(name=current_user.email, issuer_name=f"Dadras {g.tenant.name}")
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template("account/totp.html", form=form, qr=_qr(uri), secret=grouped), form.status


@bp.post("/security/factors/<int:factor_id>/remove")
@open_during_enrolment
def remove(factor_id: int):
    """Stop using one of one's factors."""
    if (asked := confirm_first()) is not None:
        return asked
    remove_factor(current_user, factor_id)
    flash(_("The sign-in method has been removed."), "success")
    if not has_factor(current_user):
        flash(_("You have no second factor now: a password alone lets you in."), "warning")
    return redirect_after_change(url_for("account.security"))


@bp.post("/security/recovery-codes")
@open_during_enrolment
def recovery_codes():
    """Ten new recovery codes; the old ones stop working."""
    if (asked := confirm_first()) is not None:
        return asked
    if not has_factor(current_user):
        return error_page(409, _("Set up a second factor first."))
    _keep_codes(make_recovery_codes(current_user))
    return redirect_after_change(url_for("account.security"))


@bp.post("/security/passkeys/options")
@open_during_enrolment
def passkey_options():
    """The options for making a new passkey (JSON)."""
    if not _recently_confirmed():
        return error_page(403, _("Type your password again first: reload the page."))
    rp_id, _origin = relying_party()
    try:
        options, challenge = registration_options(current_user, g.tenant, rp_id)
    except Refused as exc:
        return error_page(exc.status, str(exc.message))
    keep_challenge("register", challenge)
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/security/passkeys")
@open_during_enrolment
def passkey_add():
    """Keep the passkey the browser made (JSON: credential, name)."""
    if not _recently_confirmed():
        return error_page(403, _("Type your password again first: reload the page."))
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    try:
        challenge = take_challenge("register")
        rp_id, origin = relying_party()
        name = str(body.get("name") or "")[:60]
        add_passkey(current_user, name, answer_of(body), challenge, rp_id=rp_id, origin=origin)
    except Refused as exc:
        return error_page(exc.status if exc.status != 422 else 400, str(exc.message))
    _first_factor_codes()
    flash(_("The passkey has been added."), "success")
    return {"redirect": url_for("account.security")}


@bp.post("/security/sso/link")
@open_during_enrolment
def sso_link():
    """Prove the identity at the organization's provider, and link it to this account."""
    if (asked := confirm_first()) is not None:
        return asked
    return sso.start("link", url_for("account.security"))


@bp.post("/security/sso/unlink")
@open_during_enrolment
def sso_unlink():
    """Stop signing in through the provider."""
    if (asked := confirm_first()) is not None:
        return asked
    if passwords_refused(current_user):
        return error_page(409, _("Your organization signs in only through its provider: ask an administrator."))
    unlink_own(current_user, keep=_row())
    flash(_("Your account is no longer linked to the provider."), "success")
    return redirect_after_change(url_for("account.security"))


@bp.post("/security/email")
@open_during_enrolment
def email_change():
    """Ask to move to another e-mail address: a link goes to the new one, which changes it when opened."""
    if (asked := confirm_first()) is not None:
        return asked
    form = EmailForm()
    if form.validate_on_submit():
        try:
            token = ask_email_change(current_user, form.email.data)
        except Refused as exc:
            form.refuse(exc)
        else:
            locale = current_user.locale or g.tenant.default_locale
            with force_locale(locale):
                notify_account(
                    "email_change",
                    normalize_email(form.email.data),
                    locale,
                    _("Confirm your new e-mail address at %(org)s", org=g.tenant.name),
                    render_template(
                        "mail/email_change.txt",
                        member=current_user,
                        link=external_url("account.email_confirm", token=token),
                    ),
                    key=f"{current_user.id}:{utcnow().isoformat()}",
                    secret=token,
                )
            flash(_("A link is on its way to the new address. Your address changes when you open it."), "info")
            return redirect_after_change(url_for("account.security"))
    return _security_page(form, form.status)


@bp.route("/email/<token>", methods=["GET", "POST"])
@open_during_enrolment
def email_confirm(token: str):
    """The link from the new mailbox: shown, then the change made with one press (a link alone changes nothing)."""
    if request.method == "GET":
        return render_template("account/email_confirm.html", token=token)
    member, old = change_email(token)
    if member.id != current_user.id:
        abort(404)  # another's link: nothing changes (the refusal rolls the change back)
    locale = member.locale or g.tenant.default_locale
    with force_locale(locale):
        notify_account(
            "email_changed",
            old,
            locale,
            _("Your e-mail address at %(org)s was changed", org=g.tenant.name),
            render_template("mail/email_changed.txt", member=member, old=old),
            key=f"{member.id}:{member.email}",
        )
    flash(_("Your e-mail address is now %(email)s.", email=member.email), "success")
    return redirect_after_change(url_for("account.security"))


@bp.get("/security/passkeys/new")
@open_during_enrolment
def passkey_new():
    """Name a new passkey, then let the browser make it."""
    if (asked := confirm_first()) is not None:
        return asked
    return render_template("account/passkey.html", form=PasskeyForm(formdata=None))


@bp.app_template_filter("browser")
def _browser(user_agent: str | None) -> str:
    return browser_name(user_agent)


@bp.app_template_global("security_event_name")
def _event_name(kind: str) -> str:
    return event_name(kind)
