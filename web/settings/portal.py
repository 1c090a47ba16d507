"""Settings: the portal's look (colour, logo, welcome), its channels and where else customers may turn."""

from __future__ import annotations

from flask import current_app, flash, g, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, FileField, IntegerField, StringField, TextAreaField
from wtforms.validators import Optional, Regexp

from services.files.checking import check_upload
from services.files.storage import storage_from_config
from services.portal import settings as portal_settings
from services.portal.labels import CHANNEL_WORDS
from tenants.errors import Refused
from tenants.models import LOCALES
from web.common.views import redirect_after_change
from web.forms import BaseForm, CodeField, Length, NumberRange
from web.i18n import LANGUAGE_NAMES
from web.settings.blueprint import bp


def _texts(prefix: str, label: str, area: bool = False) -> dict[str, object]:
    kind = TextAreaField if area else StringField
    return {
        f"{prefix}_{lang}": kind(f"{label} ({LANGUAGE_NAMES[lang]})", validators=[Optional(), Length(max=500)])
        for lang in LOCALES
    }


def _portal_form_class():
    attrs: dict[str, object] = {
        # A colour input sends "#rrggbb"; maxlength has no meaning on it.
        "colour": CodeField(_l("Colour"), validators=[Regexp(r"#[0-9a-fA-F]{6}\Z", message=_l("Choose a colour."))]),
        "show_staff_names": BooleanField(_l("Show staff names on the tracking page")),
        "auto_close_days": IntegerField(
            _l("Close an answered complaint after so many days without a word from the customer"),
            validators=[Optional(), NumberRange(min=0, max=365)],
        ),
        "auto_close_notice_days": IntegerField(
            _l("Tell the customer so many days before"), validators=[Optional(), NumberRange(min=0, max=60)]
        ),
        "rating_reminder_days": IntegerField(
            _l("Remind an unrated closed complaint after so many days"),
            validators=[Optional(), NumberRange(min=0, max=60)],
        ),
        "inside_contact": StringField(_l("How to reach them"), validators=[Optional(), Length(max=500)]),
    }
    attrs.update(_texts("intro", str(_l("Welcome text")), area=True))
    attrs.update(_texts("inside_name", str(_l("A higher manager inside the organization"))))
    for kind in portal_settings.CHANNEL_KINDS:
        attrs[f"channel_{kind}"] = StringField(CHANNEL_WORDS[kind], validators=[Optional(), Length(max=500)])
    for index in range(portal_settings.MAX_OUTSIDE):
        attrs.update(_texts(f"outside_{index}_name", str(_l("Name of the body"))))
        attrs[f"outside_{index}_contact"] = StringField(
            _l("Phone or address"), validators=[Optional(), Length(max=500)]
        )
        attrs[f"outside_{index}_url"] = CodeField(_l("Web address"), validators=[Optional(), Length(max=500)])
    return type("PortalSettingsForm", (BaseForm,), attrs)


class LogoForm(BaseForm):
    logo = FileField(_l("Logo (PNG, JPEG or WebP, up to 1 MB)"))


def _fill(form, row) -> None:
    form.colour.data = row.colour
    form.show_staff_names.data = row.show_staff_names
    form.auto_close_days.data = row.auto_close_days
    form.auto_close_notice_days.data = row.auto_close_notice_days
    form.rating_reminder_days.data = row.rating_reminder_days
    for lang in LOCALES:
        getattr(form, f"intro_{lang}").data = (row.intro or {}).get(lang, "")
        getattr(form, f"inside_name_{lang}").data = (row.inside_body or {}).get("name", {}).get(lang, "")
    form.inside_contact.data = (row.inside_body or {}).get("contact", "")
    values = {c["kind"]: c["value"] for c in row.channels or []}
    for kind in portal_settings.CHANNEL_KINDS:
        getattr(form, f"channel_{kind}").data = values.get(kind, "")
    for index, body in enumerate((row.outside_bodies or [])[: portal_settings.MAX_OUTSIDE]):
        for lang in LOCALES:
            getattr(form, f"outside_{index}_name_{lang}").data = body.get("name", {}).get(lang, "")
        getattr(form, f"outside_{index}_contact").data = body.get("contact", "")
        getattr(form, f"outside_{index}_url").data = body.get("url", "")


def _days(value: int | None, default: int) -> int:
    return default if value is None else value


def _input(form) -> portal_settings.PortalInput:
    def texts(prefix: str) -> dict[str, str]:
        return {lang: getattr(form, f"{prefix}_{lang}").data or "" for lang in LOCALES}

    return portal_settings.PortalInput(
        colour=(form.colour.data or "").strip(),
        intro=texts("intro"),
        channels={kind: getattr(form, f"channel_{kind}").data or "" for kind in portal_settings.CHANNEL_KINDS},
        inside_name=texts("inside_name"),
        inside_contact=form.inside_contact.data or "",
        outside=[
            {
                "name": texts(f"outside_{i}_name"),
                "contact": getattr(form, f"outside_{i}_contact").data or "",
                "url": getattr(form, f"outside_{i}_url").data or "",
            }
            for i in range(portal_settings.MAX_OUTSIDE)
        ],
        show_staff_names=bool(form.show_staff_names.data),
        # Left empty: the defaults.
        auto_close_days=_days(form.auto_close_days.data, 14),
        auto_close_notice_days=_days(form.auto_close_notice_days.data, 3),
        rating_reminder_days=_days(form.rating_reminder_days.data, 3),
    )


def _page(status: int = 200, *, form=None, logo_form=None):
    row = portal_settings.current(g.tenant)
    if form is None:
        form = _portal_form_class()(formdata=None)
        _fill(form, row)
    return (
        render_template(
            "settings/portal.html",
            form=form,
            logo_form=logo_form or LogoForm(formdata=None, prefix="logo"),
            row=row,
            kinds=portal_settings.CHANNEL_KINDS,
            outside_rows=range(portal_settings.MAX_OUTSIDE),
        ),
        status,
    )


@bp.get("/portal")
def portal():
    """The portal's settings."""
    return _page()


@bp.post("/portal")
def portal_save():
    form = _portal_form_class()()
    if not form.validate_on_submit():
        return _page(422, form=form)
    try:
        portal_settings.save(current_user, g.tenant, _input(form))
    except Refused as exc:
        form.add_errors(exc.field, str(exc.message))
        return _page(exc.status, form=form)
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.portal"))


@bp.post("/portal/logo")
def portal_logo():
    form = LogoForm(prefix="logo")
    storage = storage_from_config(current_app.config["UPLOAD_STORAGE"])
    upload = form.logo.data if form.validate_on_submit() else None
    if not upload or not getattr(upload, "filename", ""):
        form.logo.errors = [_("Choose an image.")]
        return _page(422, logo_form=form)
    try:
        checked = check_upload(upload.read(), upload.filename, max_bytes=portal_settings.MAX_LOGO_BYTES)
        portal_settings.set_logo(current_user, g.tenant, checked, storage)
    except Refused as exc:
        form.logo.errors = [str(exc.message)]
        return _page(exc.status, logo_form=form)
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.portal"))


@bp.post("/portal/logo/remove")
def portal_logo_remove():
    form = LogoForm(prefix="logo")
    if form.validate_on_submit():
        portal_settings.remove_logo(current_user, g.tenant, storage_from_config(current_app.config["UPLOAD_STORAGE"]))
        flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.portal"))
