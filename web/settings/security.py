"""Settings → security: the organization's two-factor policy and session limits, every open session of its staff
(each can be ended), and its security log, read here and exported as CSV."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, g, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import aliased

from services.i18n import format_moment
from services.reports.writers import csv_chunks
from services.security.policy import SecuritySettings, save_settings, settings_of
from services.security.sso import (
    ProviderSettings,
    get_provider,
    linked_staff,
    remove_provider,
    save_provider,
    unlink_staff,
)
from tenants.context import tenant_scope
from tenants.db import db
from tenants.errors import Refused
from tenants.models import StaffMember
from tenants.roles import Permission
from tenants.security import SecurityEvent, SsoProvider
from tenants.sessions import end_session, get_session, open_sessions, record_event
from web.account.views import confirm_first
from web.account.words import browser_name, event_name
from web.auth.sso import callback_url
from web.common.views import redirect_after_change
from web.console.exports import FORMATS, attachment
from web.i18n import locale_code
from web.settings.blueprint import bp
from web.settings.forms import SecuritySettingsForm, SsoForm
from web.tenancy import access, current_session

LOG_SHOWN = 100


def _log_query() -> sa.Select:
    """The security log, newest first, with whom each line is about and who did it."""
    actor = aliased(StaffMember)
    return (
        sa.select(SecurityEvent, StaffMember.name, actor.name)
        .outerjoin(StaffMember, StaffMember.id == SecurityEvent.staff_member_id)
        .outerjoin(actor, actor.id == SecurityEvent.actor_id)
        .order_by(SecurityEvent.at.desc(), SecurityEvent.id.desc())
    )


def _page(form: SecuritySettingsForm, status: int = 200):
    staff = {m.id: m for m in db.session.scalars(sa.select(StaffMember))}
    return render_template(
        "settings/security.html",
        form=form,
        sessions=open_sessions(g.tenant),
        staff=staff,
        log=db.session.execute(_log_query().limit(LOG_SHOWN)).all(),
        provider=get_provider(),
        this_session=current_session()[0],
    ), status


@bp.route("/security", methods=["GET", "POST"])
@access(Permission.MANAGE_SECURITY)
def security():
    """The sign-in rules, the open sessions and the security log."""
    form = SecuritySettingsForm(obj=settings_of(g.tenant) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            save_settings(
                current_user,
                g.tenant,
                SecuritySettings(
                    form.two_factor_policy.data,
                    form.two_factor_grace_days.data,
                    form.session_idle_hours.data,
                    form.session_max_days.data,
                ),
            )
        except Refused as exc:
            form.refuse(exc)
        else:
            flash(_("The security settings are saved."), "success")
            return redirect_after_change(url_for("settings.security"))
    return _page(form, form.status)


@bp.post("/security/sessions/<int:session_id>/end")
@access(Permission.MANAGE_SECURITY)
def end_staff_session(session_id: int):
    """End any open session of the organization's staff."""
    row = get_session(session_id)
    if row is None or row.ended_at is not None:
        abort(404)
    end_session(row, "ended_by_admin")
    record_event(
        "session_ended", db.session.get(StaffMember, row.staff_member_id), actor=current_user, detail=str(row.id)
    )
    flash(_("That session has ended."), "success")
    return redirect_after_change(url_for("settings.security"))


@bp.get("/security/log.csv")
@access(Permission.MANAGE_SECURITY)
def security_log_csv():
    """The whole security log as CSV, in the reader's language and calendar. The lines are read while the file
    goes out, a batch at a time, in an application context and tenant scope of their own (the request's
    database session is gone by then); the few words they share are put into the reader's language first."""
    header = [_("When"), _("What"), _("Staff member"), _("E-mail address"), _("By"), _("Address"), _("Browser")]
    header.append(_("Details"))
    locale, timezone = locale_code(), str(get_timezone())
    kinds = {kind: event_name(kind) for kind in db.session.scalars(sa.select(SecurityEvent.kind).distinct())}
    browsers = {
        agent: browser_name(agent) for agent in db.session.scalars(sa.select(SecurityEvent.user_agent).distinct())
    }
    app, tenant_id = current_app._get_current_object(), g.tenant.id

    def rows() -> Iterator[list[str]]:
        with app.app_context(), tenant_scope(tenant_id):
            for event, name, actor in db.session.execute(_log_query().execution_options(yield_per=500)):
                yield [
                    format_moment(event.at, locale, timezone),
                    kinds.get(event.kind) or event_name(event.kind),
                    name or "",
                    event.email,
                    actor or "",
                    event.ip,
                    browsers.get(event.user_agent) or event.user_agent,
                    event.detail,
                ]

    response = Response(csv_chunks(header, rows(), locale), mimetype=FORMATS["csv"])
    response.headers["Content-Disposition"] = attachment(f"{g.tenant.slug}-security-log.csv")
    return response


def _sso_form(provider: SsoProvider | None) -> SsoForm:
    if request.method == "POST":
        return SsoForm()
    if provider is None:
        return SsoForm(formdata=None, data={"mode": "oidc", "scopes": "openid email profile", "is_enabled": True})
    endpoints = provider.endpoints or {}
    return SsoForm(
        formdata=None,
        obj=provider,
        data={
            "authorize_url": endpoints.get("authorization_endpoint", "") if provider.mode == "oauth2" else "",
            "token_url": endpoints.get("token_endpoint", "") if provider.mode == "oauth2" else "",
            "userinfo_url": endpoints.get("userinfo_endpoint", "") if provider.mode == "oauth2" else "",
            "issuer": provider.issuer if provider.mode == "oidc" else "",
        },
    )


@bp.route("/security/sso", methods=["GET", "POST"])
@access(Permission.MANAGE_SECURITY)
def sso():
    """The organization's identity provider: found, tried and kept. Who changes it decides who may sign in as
    whom, so the password (and factor) are asked again first."""
    if (asked := confirm_first()) is not None:
        return asked
    provider = get_provider()
    form = _sso_form(provider)
    if form.validate_on_submit():
        try:
            save_provider(
                current_user,
                ProviderSettings(
                    mode=form.mode.data,
                    name=form.name.data,
                    issuer=form.issuer.data or "",
                    authorize_url=form.authorize_url.data or "",
                    token_url=form.token_url.data or "",
                    userinfo_url=form.userinfo_url.data or "",
                    client_id=form.client_id.data,
                    client_secret=form.client_secret.data or "",
                    scopes=form.scopes.data or "",
                    email_domains=form.email_domains.data or "",
                    create_staff=form.create_staff.data,
                    default_role=form.default_role.data,
                    trust_mfa=form.trust_mfa.data,
                    sso_only=form.sso_only.data,
                    is_enabled=form.is_enabled.data,
                    trust_email=form.trust_email.data,
                ),
                callback_url(),
            )
        except Refused as exc:
            form.refuse(exc)
        else:
            flash(_("Single sign-on is saved: the provider answered and accepted the client."), "success")
            return redirect_after_change(url_for("settings.sso"))
    linked = linked_staff()
    return render_template(
        "settings/sso.html", form=form, provider=provider, callback=callback_url(), linked=linked
    ), form.status


@bp.post("/security/sso/links/<int:member_id>/remove")
@access(Permission.MANAGE_SECURITY)
def sso_unlink_member(member_id: int):
    """Unlink a staff member from the provider (they left it, or were linked by mistake)."""
    if (asked := confirm_first()) is not None:
        return asked
    unlink_staff(current_user, member_id)
    flash(_("That staff member is no longer linked to the provider."), "success")
    return redirect_after_change(url_for("settings.sso"))


@bp.post("/security/sso/remove")
@access(Permission.MANAGE_SECURITY)
def sso_remove():
    """No single sign-on any more."""
    if (asked := confirm_first()) is not None:
        return asked
    remove_provider(current_user)
    flash(_("Single sign-on is removed: everyone logs in with their password again."), "success")
    return redirect_after_change(url_for("settings.security"))
