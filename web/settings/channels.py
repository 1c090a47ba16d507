"""Settings → text messages: the organization's SMS provider and its credentials (never shown back)."""

from __future__ import annotations

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import Length, Optional

from services.channels import accounts
from services.channels.bots import BOT_PROVIDERS
from services.channels.sms import PROVIDERS
from services.errors import ServiceError
from tenants.db import db
from tenants.roles import Permission, require
from web.common.views import external_url, redirect_after_change
from web.forms import BaseForm
from web.settings.blueprint import bp


class SmsForm(BaseForm):
    provider = SelectField(_l("Provider"))
    sender = StringField(_l("Sender line or name"), validators=[Optional(), Length(max=40)])
    base_url = StringField(
        _l("API address (only to change the provider's own)"), validators=[Optional(), Length(max=300)]
    )
    secret = PasswordField(_l("API key"), validators=[Optional(), Length(max=accounts.MAX_SECRET)])


class WebhookForm(BaseForm):
    webhook_url = StringField(_l("Address of your system"), validators=[Optional(), Length(max=300)])
    webhook_secret = PasswordField(
        _l("Signing secret (at least 16 characters)"), validators=[Optional(), Length(max=accounts.MAX_SECRET)]
    )


class MailForm(BaseForm):
    mail_url = PasswordField(
        _l("Mail server (smtp:// or smtps://, with its login)"), validators=[Optional(), Length(max=500)]
    )
    mail_sender = StringField(_l("E-mails come from"), validators=[Optional(), Length(max=200)])


class BotForm(BaseForm):
    bot_provider = SelectField(_l("Messenger"))
    bot_token = PasswordField(_l("The bot's token"), validators=[Optional(), Length(max=accounts.MAX_SECRET)])


def _bot_form(**kwargs) -> BotForm:
    form = BotForm(prefix="bot", **kwargs)
    form.bot_provider.choices = [(key, name) for key, (name, _url) in BOT_PROVIDERS.items()]
    return form


def _form(**kwargs) -> SmsForm:
    form = SmsForm(**kwargs)
    form.provider.choices = [
        (p.key, p.name if p.key != "http" else _("Another HTTP gateway")) for p in PROVIDERS.values()
    ]
    return form


def _page(
    form: SmsForm | None = None,
    status: int = 200,
    *,
    hook_form: WebhookForm | None = None,
    bot_form: BotForm | None = None,
    inbound: tuple[str, str] | None = None,
    mail_form: MailForm | None = None,
):
    row = accounts.account("sms")
    hook = accounts.account("webhook")
    if hook_form is None:
        hook_form = WebhookForm(formdata=None, prefix="hook")
        hook_form.webhook_url.data = (hook.settings or {}).get("url", "") if hook else ""
    if form is None:
        form = _form(formdata=None)
        if row is not None:
            form.provider.data = row.provider
            form.sender.data = (row.settings or {}).get("sender", "")
            form.base_url.data = (row.settings or {}).get("base_url", "")
    bots = {key: accounts.bot_account(key) for key in BOT_PROVIDERS}
    mail = accounts.account("email")
    if mail_form is None:
        mail_form = MailForm(formdata=None, prefix="mail")
        mail_form.mail_sender.data = (mail.settings or {}).get("sender", "") if mail else ""
    return (
        render_template(
            "settings/channels.html",
            form=form,
            row=row,
            hook=hook,
            hook_form=hook_form,
            bots=bots,
            bot_form=bot_form or _bot_form(formdata=None),
            BOT_NAMES={key: name for key, (name, _url) in BOT_PROVIDERS.items()},
            inbound=inbound,
            mail=mail,
            mail_form=mail_form,
        ),
        status,
    )


@bp.get("/channels")
@login_required
def channels():
    """The text-message provider."""
    require(current_user, Permission.MANAGE_SETTINGS)
    return _page()


@bp.post("/channels")
@login_required
def channels_save():
    require(current_user, Permission.MANAGE_SETTINGS)
    form = _form()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        accounts.save_account(
            current_user,
            provider=form.provider.data,
            sender=form.sender.data or "",
            base_url=form.base_url.data or "",
            secret=form.secret.data or "",
        )
    except ServiceError as exc:
        form.add_errors(exc.field, str(exc.message))
        return _page(form, exc.status)
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.channels"))


@bp.post("/channels/remove")
@login_required
def channels_remove():
    require(current_user, Permission.MANAGE_SETTINGS)
    accounts.remove_account(current_user)
    flash(_("Removed."), "success")
    return redirect_after_change(url_for("settings.channels"))


@bp.post("/channels/webhook")
@login_required
def channels_webhook():
    """Where the organization's own systems hear of every complaint event."""
    require(current_user, Permission.MANAGE_SETTINGS)
    form = WebhookForm(prefix="hook")
    if not form.validate_on_submit():
        return _page(status=422, hook_form=form)
    try:
        accounts.save_webhook(current_user, url=form.webhook_url.data or "", secret=form.webhook_secret.data or "")
    except ServiceError as exc:
        form.add_errors(exc.field, str(exc.message))
        return _page(status=exc.status, hook_form=form)
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.channels"))


@bp.post("/channels/webhook/remove")
@login_required
def channels_webhook_remove():
    require(current_user, Permission.MANAGE_SETTINGS)
    accounts.remove_account(current_user, "webhook")
    flash(_("Removed."), "success")
    return redirect_after_change(url_for("settings.channels"))


@bp.post("/channels/bot")
@login_required
def channels_bot():
    """Connect the organization's Telegram or Bale bot: complaints by conversation, notices back to the chat."""
    require(current_user, Permission.MANAGE_SETTINGS)
    form = _bot_form()
    if not form.validate_on_submit():
        return _page(status=422, bot_form=form)
    provider = form.bot_provider.data
    try:
        accounts.save_bot(
            current_user,
            provider=provider,
            token=form.bot_token.data or "",
            webhook_url=external_url("intake.update", provider=provider),
        )
    except ServiceError as exc:
        form.add_errors(exc.field, str(exc.message))
        return _page(status=exc.status, bot_form=form)
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.channels"))


@bp.post("/channels/bot/<provider>/remove")
@login_required
def channels_bot_remove(provider: str):
    require(current_user, Permission.MANAGE_SETTINGS)
    if provider in BOT_PROVIDERS:
        accounts.remove_account(current_user, provider)
    flash(_("Removed."), "success")
    return redirect_after_change(url_for("settings.channels"))


@bp.post("/channels/inbound")
@login_required
def channels_inbound():
    """A fresh token for received text messages; shown on this answer only."""
    require(current_user, Permission.MANAGE_SETTINGS)
    try:
        token = accounts.new_inbound_token(current_user)
    except ServiceError as exc:
        flash(str(exc.message), "error")
        return _page(status=exc.status)
    db.session.commit()
    return _page(inbound=(external_url("intake.sms_inbound"), token))


@bp.post("/channels/mail")
@login_required
def channels_mail():
    """The organization's own mail server; without one, the platform's sends its e-mails."""
    require(current_user, Permission.MANAGE_SETTINGS)
    form = MailForm(prefix="mail")
    if not form.validate_on_submit():
        return _page(status=422, mail_form=form)
    try:
        accounts.save_mail_server(current_user, url=form.mail_url.data or "", sender=form.mail_sender.data or "")
    except ServiceError as exc:
        form.add_errors(exc.field, str(exc.message))
        return _page(status=exc.status, mail_form=form)
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.channels"))


@bp.post("/channels/mail/remove")
@login_required
def channels_mail_remove():
    require(current_user, Permission.MANAGE_SETTINGS)
    accounts.remove_account(current_user, "email")
    flash(_("Removed."), "success")
    return redirect_after_change(url_for("settings.channels"))
