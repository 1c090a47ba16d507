"""The portal's forms: the tenant's complaint form (core fields and its own, built per version), tracking,
proofs and the customer's answers."""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from services.connections.queries import has_connection
from services.forms.models import FormVersion
from services.forms.schema import CORE_FIELDS, core_state, fields_for
from services.i18n import localized
from web.console.labels import KIND_NAMES
from web.country import NATIONAL_ID_LABEL, PHONE_PLACEHOLDER
from web.forms import BaseForm, CodeField, Length, LocalDateField, choices
from web.i18n import format_number, locale_code

NONE = ""
CONTACT_CHOICES = {"sms": _l("SMS"), "email": _l("E-mail"), "phone": _l("A phone call"), "whatsapp": _l("WhatsApp")}


class MultiCheckboxField(SelectMultipleField):
    """Several options as checkboxes (a list box is hard to use on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NumberField(CodeField):
    """A number typed with any digits (normalized by the base form); `number` is the parsed Decimal."""

    number: Decimal | None = None

    def pre_validate(self, form):
        self.number = None
        text = (self.data or "").replace(" ", "").replace("\u00a0", "").replace("٬", "").replace("٫", ".")
        # A comma is the decimal separator in Russian and Kazakh, a thousands separator in Persian and English.
        text = text.replace(",", ".") if locale_code() in ("ru", "kk") else text.replace(",", "")
        if not text:
            return
        try:
            self.number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(_l("Enter a number.")) from None
        if not self.number.is_finite():
            raise ValidationError(_l("Enter a number."))


class CustomFields:
    """The tenant's own fields on a form: their keys, and their answers parsed."""

    custom_keys: tuple[str, ...] = ()
    custom_items: dict[str, dict[str, Any]] = {}  # noqa: RUF012 - set per form class by add_custom_fields

    def custom_values(self) -> dict[str, Any]:
        """The answers to the tenant's own fields, parsed: text, Decimal, date, option keys, bool."""
        values: dict[str, Any] = {}
        for key in self.custom_keys:
            f = getattr(self, key)
            if isinstance(f, NumberField):
                values[key] = f.number
            elif isinstance(f, LocalDateField):
                values[key] = f.date_value
            elif isinstance(f, MultipleFileField):
                continue
            else:
                values[key] = f.data
        return values

    def custom_files(self) -> list[tuple[str, Any]]:
        """(field key, uploaded file) for each file given to the tenant's own file fields."""
        found = []
        for key in self.custom_keys:
            f = getattr(self, key)
            if isinstance(f, MultipleFileField):
                found += [(key, upload) for upload in (f.data or []) if getattr(upload, "filename", "")]
        return found

    def custom_file_groups(self, check) -> dict[str, list[Any]]:
        """The tenant's own file fields' uploads, each `check`ed, by field key."""
        groups: dict[str, list[Any]] = {}
        for key, upload in self.custom_files():
            groups.setdefault(key, []).append(check(upload))
        return groups


class PortalComplaintForm(CustomFields, BaseForm):
    """The core of the tenant's form; `build_form` adds the tenant's own fields and drops the hidden ones."""

    kind = RadioField(_l("What would you like to send?"), default="complaint")
    complainant_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    phone = CodeField(_l("Mobile phone"), validators=[Optional(), Length(max=40)])
    email = CodeField(_l("E-mail address"), validators=[Optional(), Length(max=254)])
    national_id = CodeField(NATIONAL_ID_LABEL, validators=[Optional(), Length(max=30)])
    preferred_contact = RadioField(_l("How should we reach you?"), validators=[Optional()])
    representative_name = StringField(
        _l("Filing for someone else? Your name as their representative"), validators=[Optional(), Length(max=200)]
    )
    representative_relation = StringField(_l("Your relation to them"), validators=[Optional(), Length(max=200)])
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("What happened?"), validators=[DataRequired(), Length(max=20000)])
    remedy_sought = TextAreaField(_l("What would put it right for you?"), validators=[Optional(), Length(max=5000)])
    category_id = SelectField(_l("Topic"), default=NONE)
    attachments = MultipleFileField(_l("Files (photos, receipts, documents)"))
    submission_key = HiddenField(validators=[Optional(), Length(max=64)])
    # Anti-abuse: a field people never see (bots fill it), and a proof of work or, without JavaScript, a sum.
    website = StringField(_l("Leave this empty"), validators=[Optional(), Length(max=200)])
    altcha = HiddenField(validators=[Optional(), Length(max=4000)])
    question_token = HiddenField(validators=[Optional(), Length(max=400)])
    question_answer = CodeField(_l("Your answer"), validators=[Optional(), Length(max=10)])

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices(KIND_NAMES)
        if getattr(self, "preferred_contact", None) is not None:
            offered = {
                k: v
                for k, v in CONTACT_CHOICES.items()
                if (k == "email" and getattr(self, "email", None) is not None)
                or (k != "email" and getattr(self, "phone", None) is not None)
                if k != "whatsapp" or has_connection("whatsapp")
            }
            self.preferred_contact.choices = choices(offered)
        if getattr(self, "category_id", None) is not None:
            # An empty first choice, chosen until the visitor picks one: a required topic is never preselected.
            self.category_id.choices = choices({NONE: "—", **dict(categories)})
        for name, state in getattr(self, "core_states", {}).items():
            # The service enforces what the tenant requires; the mark tells the visitor before they send.
            if state == "required" and getattr(self, name, None) is not None:
                getattr(self, name).flags.required = True
        if not self.is_submitted():
            self.submission_key.data = secrets.token_urlsafe(24)


def _custom_field(item: dict[str, Any], locale: str):
    """The WTForms field for one of the tenant's own fields, labelled in `locale`."""
    kind = item["type"]
    # A field for some categories only is checked once the category is known (by the service): the form may
    # hide it for the topic chosen.
    required = item["required"] and not item.get("categories")
    kwargs: dict[str, Any] = {
        "label": localized(item["labels"], locale),
        "description": localized(item.get("help") or {}, locale) if item.get("help") else "",
    }
    presence = [DataRequired()] if required else [Optional()]
    if kind in ("choice", "multi_choice"):
        kwargs["choices"] = choices({o["key"]: localized(o["labels"], locale) for o in item.get("options", [])})
        presence = [InputRequired()] if required else [Optional()]
    if kind == "checkbox":
        presence = [InputRequired()] if required else []
    if kind == "phone":
        kwargs["render_kw"] = {"placeholder": PHONE_PLACEHOLDER, "inputmode": "tel"}
    factory, limit = _FIELD_CLASSES[kind]
    validators = [*presence, Length(max=limit)] if limit else presence
    return factory(validators=validators, **kwargs)


_FIELD_CLASSES: dict[str, tuple[Any, int | None]] = {
    "short_text": (StringField, 500),
    "long_text": (TextAreaField, 5000),
    "number": (NumberField, 40),
    "date": (LocalDateField, None),
    "choice": (RadioField, None),
    "multi_choice": (MultiCheckboxField, None),
    "checkbox": (BooleanField, None),
    "phone": (CodeField, 40),
    "email": (CodeField, 254),
    "file": (MultipleFileField, None),
}


def build_form(version: FormVersion | None, locale: str, *, audience: str = "customer"):
    """The form class for `version` in `locale`: core fields as the tenant set them, then its own fields.

    Fields limited to some categories are all present; the page shows the ones for the chosen topic and the
    service keeps only their answers.
    """
    attrs: dict[str, Any] = {}
    for name in CORE_FIELDS:
        # A hidden core field is not on the form; a required one is enforced by the service, on its field.
        if core_state(version, name) == "hidden":
            attrs[name] = None
    attrs["core_states"] = {name: core_state(version, name) for name in CORE_FIELDS}
    return add_custom_fields(PortalComplaintForm, version, locale, audience=audience, attrs=attrs)


def add_custom_fields(base: type, version: FormVersion | None, locale: str, *, audience: str, attrs=None) -> type:
    """`base` (a CustomFields form) with the tenant's own fields of `version` for `audience`, labelled in `locale`."""
    attrs = dict(attrs or {})
    items = fields_for(version, audience=audience, category_id=None)
    for item in items:
        attrs[item["key"]] = _custom_field(item, locale)
    attrs["custom_keys"] = tuple(item["key"] for item in items)
    attrs["custom_items"] = {item["key"]: item for item in items}
    return type(base.__name__, (base,), attrs)


class TrackForm(BaseForm):
    code = CodeField(_l("Tracking code"), validators=[DataRequired(), Length(max=60)])


class ProofRequestForm(BaseForm):
    channel = RadioField(_l("Send the code to"), validators=[InputRequired()])


class ProofForm(BaseForm):
    code = CodeField(_l("The code you received"), validators=[DataRequired(), Length(max=20)])


class MessageForm(BaseForm):
    body = TextAreaField(_l("Your message"), validators=[Optional(), Length(max=5000)])
    files = MultipleFileField(_l("Files"))


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Why?"), validators=[DataRequired(), Length(max=2000)])


class AcceptForm(BaseForm):
    pass


class RatingForm(BaseForm):
    score = RadioField(_l("How well was your complaint handled?"), validators=[InputRequired()])
    comment = TextAreaField(_l("What could we do better?"), validators=[Optional(), Length(max=5000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.score.choices = choices({str(n): format_number(n) for n in range(1, 6)})
