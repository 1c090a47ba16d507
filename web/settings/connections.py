"""Settings → connections: the organization's mail server and mailbox, SMS provider, bots and messengers, WhatsApp
number, Eitaa group and webhook. Credentials are sealed and never shown back. (The page's addresses keep their
earlier /channels paths.)"""

from __future__ import annotations

from flask import Response, flash, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import PasswordField, SelectField
from wtforms.validators import Optional

from services.connections import operations as connection_ops
from services.connections.queries import connection, whatsapp_verify_token
from services.gateways.bots import BOT_PROVIDERS
from services.gateways.messengers import MESSENGERS
from services.gateways.sms import PROVIDERS
from services.intake import inbound_mail
from tenants.errors import Refused
from web.common.views import error_page, external_url, redirect_after_change
from web.forms import BaseForm, CodeField, Length
from web.settings.blueprint import bp


class SmsForm(BaseForm):
    provider = SelectField(_l("Provider"))
    sender = CodeField(_l("Sender line or name"), validators=[Optional(), Length(max=40)])
    base_url = CodeField(
        _l("API address (only to change the provider's own)"), validators=[Optional(), Length(max=300)]
    )
    secret = PasswordField(_l("API key"), validators=[Optional(), Length(max=connection_ops.MAX_SECRET)])


class WebhookForm(BaseForm):
    webhook_url = CodeField(_l("Address of your system"), validators=[Optional(), Length(max=300)])
    webhook_secret = PasswordField(
        _l("Signing secret (at least 16 characters)"), validators=[Optional(), Length(max=connection_ops.MAX_SECRET)]
    )


class MailForm(BaseForm):
    mail_url = PasswordField(
        _l("Mail server (smtp:// or smtps://, with its login)"), validators=[Optional(), Length(max=500)]
    )
    mail_sender = CodeField(_l("E-mails come from"), validators=[Optional(), Length(max=200)])


class MailboxForm(BaseForm):
    mailbox_url = PasswordField(
        _l("Mailbox (imaps:// or imap://, with its login and folder)"), validators=[Optional(), Length(max=500)]
    )


class BotForm(BaseForm):
    bot_provider = SelectField(_l("Messenger"))
    bot_token = PasswordField(_l("The bot's token"), validators=[Optional(), Length(max=connection_ops.MAX_SECRET)])


class EitaaForm(BaseForm):
    eitaa_token = PasswordField(_l("Eitaayar token"), validators=[Optional(), Length(max=connection_ops.MAX_SECRET)])
    eitaa_chat = CodeField(_l("ID of your group or channel"), validators=[Optional(), Length(max=80)])


class WhatsAppForm(BaseForm):
    whatsapp_number = CodeField(_l("Phone number ID"), validators=[Optional(), Length(max=30)])
    whatsapp_token = PasswordField(_l("Access token"), validators=[Optional(), Length(max=connection_ops.MAX_SECRET)])
    whatsapp_template = CodeField(
        _l("Approved template for notices (one body parameter)"), validators=[Optional(), Length(max=100)]
    )
    whatsapp_app_secret = PasswordField(
        _l("App secret (to take what customers write)"), validators=[Optional(), Length(max=200)]
    )


# The bots a customer can talk to: Telegram and Bale (one protocol), and Rubika.
BOTS = {**{key: name for key, (name, _url) in BOT_PROVIDERS.items()}, "rubika": MESSENGERS["rubika"][0]}


def _bot_form(**kwargs) -> BotForm:
    form = BotForm(prefix="bot", **kwargs)
    form.bot_provider.choices = list(BOTS.items())
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
    mailbox_form: MailboxForm | None = None,
    eitaa_form: EitaaForm | None = None,
    whatsapp_form: WhatsAppForm | None = None,
):
    row = connection("sms")
    hook = connection("webhook")
    if hook_form is None:
        hook_form = WebhookForm(formdata=None, prefix="hook")
        hook_form.webhook_url.data = (hook.settings or {}).get("url", "") if hook else ""
    if form is None:
        form = _form(formdata=None)
        if row is not None:
            form.provider.data = row.provider
            form.sender.data = (row.settings or {}).get("sender", "")
            form.base_url.data = (row.settings or {}).get("base_url", "")
    bots = {key: connection(key) for key in BOTS}
    eitaa, whatsapp = connection("eitaa"), connection("whatsapp")
    if eitaa_form is None:
        eitaa_form = EitaaForm(formdata=None, prefix="eitaa")
        eitaa_form.eitaa_chat.data = (eitaa.settings or {}).get("chat_id", "") if eitaa else ""
    if whatsapp_form is None:
        whatsapp_form = WhatsAppForm(formdata=None, prefix="whatsapp")
        if whatsapp is not None:
            whatsapp_form.whatsapp_number.data = (whatsapp.settings or {}).get("phone_number_id", "")
            whatsapp_form.whatsapp_template.data = (whatsapp.settings or {}).get("template", "")
    mail = connection("email")
    if mail_form is None:
        mail_form = MailForm(formdata=None, prefix="mail")
        mail_form.mail_sender.data = (mail.settings or {}).get("sender", "") if mail else ""
    return (
        render_template(
            "settings/connections.html",
            form=form,
            row=row,
            hook=hook,
            hook_form=hook_form,
            bots=bots,
            bot_form=bot_form or _bot_form(formdata=None),
            BOT_NAMES=BOTS,
            eitaa=eitaa,
            eitaa_form=eitaa_form,
            whatsapp=whatsapp,
            whatsapp_form=whatsapp_form,
            whatsapp_hook=_whatsapp_hook(whatsapp),
            inbound=inbound,
            mail=mail,
            mail_form=mail_form,
            mailbox=connection("imap"),
            mailbox_form=mailbox_form or MailboxForm(formdata=None, prefix="mailbox"),
            mails=inbound_mail.recent(),
            mailbox_reasons=connection_ops.MAILBOX_REASONS,
        ),
        status,
    )


def _whatsapp_hook(row) -> tuple[str, str, bool] | None:
    """(the callback address, the verify token, whether the app secret is saved) to give Meta's dashboard."""
    token = whatsapp_verify_token() if row is not None else None
    if token is None:
        return None
    return external_url("intake.whatsapp_update"), token, bool((row.settings or {}).get("app_secret_sealed"))


@bp.get("/channels")
def connections():
    """The text-message provider."""
    return _page()


def _saved(form, form_key: str, save) -> Response | tuple[str, int]:
    """Validate `form`, hand it to `save`; the page again with the refusal, or back to it with "Saved."."""
    if not form.validate_on_submit():
        return _page(status=422, **{form_key: form})
    try:
        save(form)
    except Refused as exc:
        form.add_errors(exc.field, str(exc.message))
        return _page(status=exc.status, **{form_key: form})
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.connections"))


@bp.post("/channels")
def connections_save():
    """The text-message provider and its key."""
    return _saved(
        _form(),
        "form",
        lambda f: connection_ops.save_sms_gateway(
            current_user,
            provider=f.provider.data,
            sender=f.sender.data or "",
            base_url=f.base_url.data or "",
            secret=f.secret.data or "",
        ),
    )


@bp.post("/channels/webhook")
def connections_webhook():
    """Where the organization's own systems hear of every complaint event."""
    return _saved(
        WebhookForm(prefix="hook"),
        "hook_form",
        lambda f: connection_ops.save_webhook(
            current_user, url=f.webhook_url.data or "", secret=f.webhook_secret.data or ""
        ),
    )


@bp.post("/channels/bot")
def connections_bot():
    """Connect the organization's Telegram, Bale or Rubika bot: complaints by conversation, notices back to the
    chat."""
    return _saved(
        _bot_form(),
        "bot_form",
        # Every bot, Rubika's too, posts to /<slug>/bots/<provider>.
        lambda f: connection_ops.save_bot(
            current_user,
            provider=f.bot_provider.data,
            token=f.bot_token.data or "",
            webhook_url=external_url("intake.update", provider=f.bot_provider.data),
        ),
    )


@bp.post("/channels/eitaa")
def connections_eitaa():
    """The organization's Eitaa group, where the staff notices the notice rules send there are posted."""
    return _saved(
        EitaaForm(prefix="eitaa"),
        "eitaa_form",
        lambda f: connection_ops.save_eitaa(
            current_user, token=f.eitaa_token.data or "", chat_id=f.eitaa_chat.data or ""
        ),
    )


@bp.post("/channels/whatsapp")
def connections_whatsapp():
    """The organization's WhatsApp Business number: notices to customers who prefer WhatsApp, and with the app's
    secret, complaints from what customers write to it."""
    return _saved(
        WhatsAppForm(prefix="whatsapp"),
        "whatsapp_form",
        lambda f: connection_ops.save_whatsapp(
            current_user,
            phone_number_id=f.whatsapp_number.data or "",
            token=f.whatsapp_token.data or "",
            template=f.whatsapp_template.data or "",
            app_secret=f.whatsapp_app_secret.data or "",
        ),
    )


@bp.post("/channels/mail")
def connections_mail():
    """The organization's own mail server; without one, the platform's sends its e-mails."""
    return _saved(
        MailForm(prefix="mail"),
        "mail_form",
        lambda f: connection_ops.save_mail_server(
            current_user, url=f.mail_url.data or "", sender=f.mail_sender.data or ""
        ),
    )


@bp.post("/channels/mailbox")
def connections_mailbox():
    """The organization's mailbox: the mail arriving there becomes complaints."""
    return _saved(
        MailboxForm(prefix="mailbox"),
        "mailbox_form",
        lambda f: connection_ops.save_mailbox(current_user, url=f.mailbox_url.data or ""),
    )


# What each remove button names, and the kind of connection it removes.
REMOVABLE = {
    "sms": "sms",
    "webhook": "webhook",
    "mail": "email",
    "mailbox": "imap",
    "eitaa": "eitaa",
    "whatsapp": "whatsapp",
    **{key: key for key in BOTS},
}


@bp.post("/channels/<kind>/remove")
def connections_remove(kind: str):
    """Remove the text-message provider, the webhook, the mail server, the mailbox or a bot."""
    if kind not in REMOVABLE:
        return error_page(404, _("There is no such connection."))
    connection_ops.remove_connection(current_user, REMOVABLE[kind])
    flash(_("Removed."), "success")
    return redirect_after_change(url_for("settings.connections"))


@bp.post("/channels/inbound")
def connections_inbound():
    """A fresh token for received text messages; shown on this answer only."""
    try:
        token = connection_ops.new_sms_inbound_token(current_user)
    except Refused as exc:
        flash(str(exc.message), "error")
        return _page(status=exc.status)
    return _page(inbound=(external_url("intake.sms_inbound"), token))
