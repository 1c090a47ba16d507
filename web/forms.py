"""The base form: every text input goes through tenants.text.normalize_input."""

from __future__ import annotations

import re
from datetime import date

import jdatetime
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, SelectChoice, StringField, TextAreaField, ValidationError

from tenants.passwords import password_problem
from tenants.text import normalize_input
from web.i18n import locale_code, localize_digits

_DATE = re.compile(r"(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})")


class BaseForm(FlaskForm):
    """A FlaskForm (with CSRF) whose text fields normalize digits, letters and white space."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                multiline = issubclass(field_class, TextAreaField)
                options["filters"] = [
                    lambda v, multiline=multiline: normalize_input(v, multiline),
                    *unbound_field.kwargs.get("filters", ()),
                ]
            return unbound_field.bind(form=form, **options)

    def add_errors(self, field: str | None, message: str) -> None:
        """Attach a service's refusal to the field it names, or to the form as a whole."""
        target = getattr(self, field, None) if field else None
        shown = target.errors if isinstance(target, Field) else self.form_errors
        if str(message) in map(str, shown):
            return  # each refusal shown once
        if isinstance(target, Field):
            target.errors = [*target.errors, message]
        else:
            self.form_errors.append(message)


class PasswordPolicy:
    """A form that chooses a password: the one policy is judged with the other fields, in the same round."""

    about: tuple[str, ...] = ()  # the person's e-mail and name and the organization's, as the view knows them

    def own_words(self) -> tuple[str, ...]:
        """What the form itself says about the person (a name typed beside the password)."""
        return ()

    def validate_password(self, field: Field) -> None:
        problem = password_problem(field.data or "", *self.about, *self.own_words())
        if problem:
            raise ValidationError(str(problem))


def choices(labels: dict[str, object]) -> list[SelectChoice]:
    """Select choices from value → label (labels may be lazy translations)."""
    return [SelectChoice(value, str(label)) for value, label in labels.items()]


class LocalDateField(StringField):
    """A date typed in the reader's calendar (Jalali on Persian pages) with any digits; stored Gregorian.

    Accepts "1403/05/12" or "1403-05-12"; on a Persian page a year before 1700 is read as Jalali.
    """

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.date_value = None

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.date_value = None
        text = normalize_input(self.data or "") or ""
        if not text:
            self.data = None
            return
        self.data = text
        parsed = parse_local_date(text)
        if parsed is None:
            raise ValueError(date_hint())
        self.date_value = parsed

    def process_data(self, value):
        self.date_value = value
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.date_value is None:
            return ""
        return date_input_value(self.date_value)


_EARLIEST, _LATEST = date(1900, 1, 1), date(2100, 12, 31)


def parse_local_date(text: str) -> date | None:
    """A Gregorian date from "Y/M/D" in the reader's calendar, or None."""
    match = _DATE.fullmatch(text.strip())
    if not match:
        return None
    year, month, day = (int(x) for x in match.groups())
    try:
        if locale_code() == "fa" and year < 1700:
            found = jdatetime.date(year, month, day).togregorian()
        else:
            found = date(year, month, day)
    except ValueError:
        return None
    # Beyond these a date is a typo, and arithmetic on it would overflow.
    return found if _EARLIEST <= found <= _LATEST else None


def date_input_value(value: date) -> str:
    """A date as typed back into a form: Jalali with Persian digits on Persian pages."""
    if locale_code() == "fa":
        j = jdatetime.date.fromgregorian(date=value)
        return localize_digits(f"{j.year:04d}/{j.month:02d}/{j.day:02d}")
    return value.isoformat()


def date_hint() -> str:
    """How to type a date, in the reader's calendar."""
    if locale_code() == "fa":
        return _("Enter a date like %(example)s.", example="۱۴۰۵/۰۹/۰۲")
    return _("Enter a date like %(example)s.", example="2026-11-23")


def category_choices() -> list[tuple[str, str]]:
    """The categories in use as select choices: each top category, then its children as "top › child"."""
    from services.catalog.queries import category_tree
    from services.i18n import localized

    locale = locale_code()
    options: list[tuple[str, str]] = []
    for node in category_tree():
        if not node.category.is_active:
            continue
        top = localized(node.category.names, locale)
        options.append((str(node.category.id), top))
        options += [(str(c.id), f"{top} › {localized(c.names, locale)}") for c in node.children if c.is_active]
    return options
