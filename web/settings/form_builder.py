"""Settings: the complaint form. The tenant's own fields (add, edit, reorder, remove, translate), the core
fields it hides or requires, a live preview in each language, and publishing as a new version."""

from __future__ import annotations

from typing import Any

from flask import flash, g, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from services.forms import schema
from services.forms.schema import FieldInput
from tenants.errors import Refused
from tenants.models import LOCALES
from web.common.views import error_page, redirect_after_change
from web.country import NATIONAL_ID_LABEL
from web.forms import BaseForm, Length, category_choices, choices
from web.i18n import LANGUAGE_NAMES, localize_digits
from web.portal.forms import MultiCheckboxField, build_form
from web.settings.blueprint import bp

TYPE_NAMES = {
    "short_text": _l("Short text"),
    "long_text": _l("Long text"),
    "number": _l("Number"),
    "date": _l("Date"),
    "choice": _l("One choice"),
    "multi_choice": _l("Several choices"),
    "checkbox": _l("Checkbox"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
    "file": _l("File"),
}
AUDIENCE_NAMES = {"customer": _l("Customers and staff"), "staff": _l("Staff only")}
CORE_NAMES = {
    "phone": _l("Mobile phone"),
    "email": _l("E-mail address"),
    "national_id": NATIONAL_ID_LABEL,
    "preferred_contact": _l("Preferred contact"),
    "representative_name": _l("Representative"),
    "remedy_sought": _l("Remedy sought"),
    "category_id": _l("Category"),
    "attachments": _l("Files"),
}
CORE_STATE_NAMES = {"required": _l("Required"), "optional": _l("Optional"), "hidden": _l("Hidden")}


def _field_form_class():
    attrs: dict[str, Any] = {
        "type": SelectField(_l("Type")),
        "required": BooleanField(_l("Required")),
        "audience": SelectField(_l("Who fills it in")),
        "categories": MultiCheckboxField(_l("Only for these categories (none ticked: all)")),
    }
    for lang in LOCALES:
        name = LANGUAGE_NAMES[lang]
        attrs[f"label_{lang}"] = StringField(
            _("Label (%(language)s)", language=name), validators=[Optional(), Length(max=200)]
        )
        attrs[f"help_{lang}"] = StringField(
            _("Help text (%(language)s)", language=name), validators=[Optional(), Length(max=500)]
        )
        attrs[f"options_{lang}"] = TextAreaField(
            _("Options, one per line (%(language)s)", language=name), validators=[Optional(), Length(max=5000)]
        )
    return type("FieldForm", (BaseForm,), attrs)


def _field_form(prefix: str, item: dict[str, Any] | None = None, formdata: Any = None):
    form = _field_form_class()(formdata=formdata, prefix=prefix)
    form.type.choices = choices(TYPE_NAMES)
    form.audience.choices = choices(AUDIENCE_NAMES)
    form.categories.choices = choices(dict(category_choices()))
    if item is not None and formdata is None:
        form.type.data, form.required.data, form.audience.data = item["type"], item["required"], item["audience"]
        form.categories.data = [str(c) for c in item["categories"]]
        for lang in LOCALES:
            getattr(form, f"label_{lang}").data = item["labels"].get(lang, "")
            getattr(form, f"help_{lang}").data = (item.get("help") or {}).get(lang, "")
            lines = [o["labels"].get(lang, "") for o in item.get("options", [])]
            getattr(form, f"options_{lang}").data = "\n".join(lines)
    return form


def _field_input(form, existing: dict[str, Any] | None) -> FieldInput:
    """The form's values as the service takes them; options line up across languages by their line."""
    per_lang = {}
    for lang in LOCALES:
        text = (getattr(form, f"options_{lang}").data or "").strip("\n")
        per_lang[lang] = text.split("\n") if text.strip() else []
    count = max(len(lines) for lines in per_lang.values())
    known = (existing or {}).get("options", [])
    used: set[str] = set()
    options = []
    for index in range(count):
        labels = {lang: lines[index].strip() for lang, lines in per_lang.items() if index < len(lines)}
        options.append({"key": _known_key(known, labels, used), "labels": labels})
    return FieldInput(
        type=form.type.data,
        labels={lang: getattr(form, f"label_{lang}").data or "" for lang in LOCALES},
        help={lang: getattr(form, f"help_{lang}").data or "" for lang in LOCALES},
        required=bool(form.required.data),
        audience=form.audience.data,
        categories=[int(c) for c in form.categories.data or [] if c.isascii() and c.isdigit()],
        options=options,
    )


def _known_key(known: list[dict[str, Any]], labels: dict[str, str], used: set[str]) -> str:
    """An existing option's key when one of its labels is unchanged, so that answers keep their meaning when
    options are added, removed or reordered; "" (a new key) otherwise."""
    for option in known:
        if option["key"] in used:
            continue
        if any(text and option["labels"].get(lang) == text for lang, text in labels.items()):
            used.add(option["key"])
            return option["key"]
    return ""


def _core_form_class():
    attrs = {name: SelectField(label) for name, label in CORE_NAMES.items()}
    return type("CoreForm", (BaseForm,), attrs)


def _core_form(version, formdata: Any = None):
    form = _core_form_class()(formdata=formdata, prefix="core")
    for name in CORE_NAMES:
        getattr(form, name).choices = choices(CORE_STATE_NAMES)
        if formdata is None:
            getattr(form, name).data = schema.core_state(version, name)
    return form


def _preview(version, lang: str) -> str:
    """The form as a customer reading `lang` sees it."""
    with force_locale(lang):
        form = build_form(version, lang)(formdata=None, categories=category_choices(), meta={"csrf": False})
        return render_template("settings/_form_preview.html", form=form, lang=lang)


def _page(
    status: int = 200,
    *,
    typed: dict[str, Any] | None = None,
    error_key: str | None = None,
    publish_error: str | None = None,
):
    version = schema.editing()
    items = list(version.fields) if version else []
    typed = typed or {}
    forms = {item["key"]: typed.get(item["key"]) or _field_form(f"f-{item['key']}", item) for item in items}
    lang = request.args.get("preview", "")
    lang = lang if lang in LOCALES else g.tenant.default_locale
    return (
        render_template(
            "settings/form.html",
            items=items,
            forms=forms,
            new_form=typed.get("new") or _field_form("new"),
            core_form=typed.get("core") or _core_form(version),
            has_draft=schema.has_draft(),
            versions=schema.versions(),
            preview=_preview(version, lang),
            preview_lang=lang,
            error_key=error_key,
            publish_error=publish_error,
            TYPE_NAMES=TYPE_NAMES,
            CORE_STATE_NAMES=CORE_STATE_NAMES,
        ),
        status,
    )


def _back():
    return redirect_after_change(url_for("settings.complaint_form", preview=request.args.get("preview") or None))


def _refused(exc: Refused, form, key: str):
    form.add_errors(exc.field, str(exc.message))
    return _page(exc.status, typed={key: form}, error_key=key)


@bp.get("/form")
def complaint_form():
    """The complaint form's builder and its preview."""
    return _page()


@bp.post("/form/fields")
def form_add_field():
    form = _field_form("new", formdata=request.form)
    if not form.validate_on_submit():
        return _page(422, typed={"new": form}, error_key="new")
    try:
        schema.add_field(current_user, _field_input(form, None))
    except Refused as exc:
        return _refused(exc, form, "new")
    return _back()


def _item(key: str) -> dict[str, Any] | None:
    version = schema.editing()
    return next((f for f in (version.fields if version else []) if f["key"] == key), None)


@bp.post("/form/fields/<key>")
def form_edit_field(key: str):
    item = _item(key)
    if item is None:
        return error_page(404, _("There is no such field."))
    form = _field_form(f"f-{key}", formdata=request.form)
    form.type.data = item["type"]  # a field's type never changes
    if not form.validate_on_submit():
        return _page(422, typed={key: form}, error_key=key)
    try:
        schema.update_field(current_user, key, _field_input(form, item))
    except Refused as exc:
        return _refused(exc, form, key)
    return _back()


@bp.post("/form/fields/<key>/<any(up, down, remove):change>")
def form_change_field(key: str, change: str):
    form = BaseForm()
    if not form.validate_on_submit() or _item(key) is None:
        return error_page(404, _("There is no such field."))
    if change == "remove":
        schema.remove_field(current_user, key)
    else:
        schema.move_field(current_user, key, -1 if change == "up" else 1)
    return _back()


@bp.post("/form/core")
def form_core():
    form = _core_form(None, formdata=request.form)
    if not form.validate_on_submit():
        return _page(422, typed={"core": form}, error_key="core")
    try:
        schema.set_core(current_user, {name: getattr(form, name).data for name in CORE_NAMES})
    except Refused as exc:
        form.add_errors(exc.field.removeprefix("core_") if exc.field else None, str(exc.message))
        return _page(exc.status, typed={"core": form}, error_key="core")
    return _back()


@bp.post("/form/<any(publish, discard):change>")
def form_publish(change: str):
    form = BaseForm()
    if not form.validate_on_submit():
        return _page(422)
    try:
        if change == "publish":
            version = schema.publish(current_user)
        else:
            schema.discard_draft(current_user)
    except Refused as exc:
        return _page(exc.status, error_key="publish", publish_error=str(exc.message))
    if change == "publish":
        flash(_("Version %(n)s of the form is now in use.", n=localize_digits(str(version.number))), "success")
    return _back()
