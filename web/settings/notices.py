"""Settings → notices: which events are told, and each notice's wording per channel and language, previewed."""

from __future__ import annotations

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField, TextAreaField

from services.connections.queries import staff_group
from services.notifications import settings as notice_settings
from services.notifications.defaults import EMAIL_CHANNELS
from services.notifications.templates import PLACEHOLDERS
from tenants.errors import Refused
from tenants.models import LOCALES
from web.common.views import redirect_after_change
from web.forms import BaseForm, Length
from web.i18n import LANGUAGE_NAMES, RTL_LOCALES
from web.settings.blueprint import bp


class WordingForm(BaseForm):
    subject = StringField(_l("Subject"), validators=[Length(max=notice_settings.MAX_SUBJECT)])
    body = TextAreaField(_l("Text"), validators=[Length(max=notice_settings.MAX_BODY)])


@bp.get("/notices")
def notices():
    """Every event a notice can tell, on or off, with a link to its wording."""
    return render_template(
        "settings/notices.html",
        customer_events=notice_settings.CUSTOMER_EVENTS,
        staff_events=notice_settings.STAFF_EVENTS,
        off=notice_settings.switched_off(),
        always=notice_settings.ALWAYS,
        copies=notice_settings.copies(),
        group=staff_group(),
        default_locale=g.tenant.default_locale,
    )


@bp.post("/notices")
def notices_save():
    events = (*notice_settings.CUSTOMER_EVENTS, *notice_settings.STAFF_EVENTS)
    copied = {event: set(request.form.getlist(f"copy-{event}")) for event in events}
    notice_settings.set_rules(current_user, set(request.form.getlist("enabled")), copied)
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.notices"))


def _key() -> tuple[str, str]:
    """(channel, language) from the query string, for an editor of the notice settings; 404 otherwise."""
    channel = request.args.get("channel", "email")
    locale = request.args.get("lang") or g.tenant.default_locale
    if channel not in notice_settings.CHANNELS or locale not in LOCALES:
        abort(404, _("There is no such notice."))
    return channel, locale


def _wording_page(event: str, channel: str, locale: str, form: WordingForm | None = None, status: int = 200, **extra):
    subject, body, own = notice_settings.wording(event, channel, locale)
    if form is None:
        form = WordingForm(formdata=None)
        form.subject.data, form.body.data = subject, body
    return (
        render_template(
            "settings/notice_wording.html",
            event=event,
            channel=channel,
            lang=locale,
            form=form,
            own=own,
            email=channel in EMAIL_CHANNELS,
            placeholders=PLACEHOLDERS,
            channels=notice_settings.CHANNELS,
            locales=LOCALES,
            LANGUAGE_NAMES=LANGUAGE_NAMES,
            text_dir="rtl" if locale in RTL_LOCALES else "ltr",
            **extra,
        ),
        status,
    )


@bp.get("/notices/<kind>")
def notice_wording(kind: str):
    """One notice's wording on one channel in one language (the default until the organization writes its own)."""
    return _wording_page(kind, *_key())


@bp.post("/notices/<kind>")
def notice_wording_save(kind: str):
    """Preview, save, or go back to the default."""
    channel, locale = _key()
    event = kind
    form = WordingForm()
    if not form.validate_on_submit():
        return _wording_page(event, channel, locale, form, 422)
    action = request.form.get("do", "preview")
    try:
        if action == "reset":
            notice_settings.reset_wording(current_user, event, channel, locale)
        elif action == "save":
            notice_settings.save_wording(
                current_user, event, channel, locale, subject=form.subject.data or "", body=form.body.data or ""
            )
        else:
            subject, body = notice_settings.preview(
                g.tenant, channel, locale, form.subject.data or "", form.body.data or ""
            )
            return _wording_page(event, channel, locale, form, preview=(subject, body))
    except Refused as exc:
        if exc.status == 404:
            raise  # no such notice: the app's 404 page
        form.add_errors(exc.field, str(exc.message))
        return _wording_page(event, channel, locale, form, exc.status)
    flash(_("Saved.") if action == "save" else _("Back to the default wording."), "success")
    return redirect_after_change(url_for("settings.notice_wording", kind=event, channel=channel, lang=locale))
