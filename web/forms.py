"""The base form and the fields and checks every form shares: free text kept as typed, codes and numbers
with Latin digits, dates in the reader's own format, numbers in messages in the reader's digits."""

from __future__ import annotations

import math
import re
from datetime import date

import jdatetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, Field, PasswordField, SelectChoice, StringField, TextAreaField, validators
from wtforms.validators import ValidationError

from services.i18n import number
from tenants.passwords import password_problem
from tenants.text import normalize_input, normalize_text
from web.i18n import locale_code, localize_digits

# Year first (ISO, and Jalali as Iranians write it) or day first with a four-digit year (Russian and Kazakh).
_YEAR_FIRST = re.compile(r"(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})[.\/\-](\d{1,2})[.\/\-](\d{4})")
# Where the day comes first: a dotted date is how Russian and Kazakh readers write every date.
_DAY_FIRST_LOCALES = frozenset({"ru", "kk"})


class CodeField(StringField):
    """A number, code, phone, e-mail, web address or id: typed with any digits, kept with Latin ones."""


def _keeps_latin_digits(field_class: type) -> bool:
    return issubclass(field_class, CodeField | EmailField)


class BaseForm(FlaskForm):
    """A FlaskForm (with CSRF) whose text fields normalize letters and white space, and codes their digits.

    Free text (names, subjects, descriptions, messages, addresses, help texts) keeps its digits as typed;
    CodeField and EmailField inputs, and dates and numbers, are read with Latin digits.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                multiline = issubclass(field_class, TextAreaField)
                clean = normalize_input if _keeps_latin_digits(field_class) else normalize_text
                options["filters"] = [
                    lambda v, multiline=multiline, clean=clean: clean(v, multiline),
                    *unbound_field.kwargs.get("filters", ()),
                ]
            return unbound_field.bind(form=form, **options)

    def refuse(self, exc, field: str | None = None) -> None:
        """Show a service's refusal (tenants.errors.Refused) on the form. One that names a field is that input's
        fault (422, corrected in place); one about the request as a whole keeps its own status (403, 429 …)."""
        self.add_errors(field or exc.field, exc.message)
        self.refused_status = 422 if exc.field else exc.status

    @property
    def status(self) -> int:
        """The answer for this form shown again: 200 unsent, the refusal's status, or 422 for its own errors."""
        if not self.is_submitted():
            return 200
        return getattr(self, "refused_status", 422)

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


# The empty first choice of a required list.
CHOOSE = _l("— choose —")


def choices(labels: dict[str, object]) -> list[SelectChoice]:
    """Select choices from value → label (labels may be lazy translations)."""
    return [SelectChoice(value, str(label)) for value, label in labels.items()]


class LocalDateField(StringField):
    """A date typed in the reader's calendar and format with any digits; stored Gregorian.

    Persian: Jalali "1405/09/02" (a year before 1700 is read as Jalali); Russian and Kazakh: "23.11.2026";
    ISO "2026-11-23" everywhere. Shown back, and as its placeholder, in the reader's format.
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

    def __call__(self, **kwargs):
        kwargs.setdefault("placeholder", date_placeholder())
        kwargs.setdefault("dir", "ltr")
        return super().__call__(**kwargs)


_EARLIEST, _LATEST = date(1900, 1, 1), date(2100, 12, 31)
# The date every hint shows, in each reader's format.
_EXAMPLE = date(2026, 11, 23)


def parse_local_date(text: str) -> date | None:
    """A Gregorian date typed in the reader's calendar and format (or ISO), with any digits; None if it is not one."""
    text = (normalize_input(text) or "").replace(" ", "")
    match = _YEAR_FIRST.fullmatch(text)
    if match:
        year, month, day = (int(x) for x in match.groups())
    elif (match := _DAY_FIRST.fullmatch(text)) and locale_code() in _DAY_FIRST_LOCALES:
        day, month, year = (int(x) for x in match.groups())
    else:
        return None
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
    """A date as typed into a form: Jalali with Persian digits on Persian pages, "23.11.2026" in Russian and
    Kazakh, ISO otherwise."""
    locale = locale_code()
    if locale == "fa":
        j = jdatetime.date.fromgregorian(date=value)
        return localize_digits(f"{j.year:04d}/{j.month:02d}/{j.day:02d}")
    if locale in _DAY_FIRST_LOCALES:
        return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"
    return value.isoformat()


def date_placeholder() -> str:
    """What a date input shows while empty: an example in the reader's format."""
    return date_input_value(_EXAMPLE)


def date_hint() -> str:
    """How to type a date, in the reader's calendar and format."""
    return _("Enter a date like %(example)s.", example=date_input_value(_EXAMPLE))


class Length(validators.Length):
    """WTForms' Length, saying its limits in the reader's digits."""

    def __call__(self, form, field):
        length = len(field.data) if field.data else 0
        if length >= self.min and (self.max == -1 or length <= self.max):
            return
        if self.message is not None:
            message = self.message
        elif self.max == -1:
            message = _l("Use at least %(min)s characters.")
        elif self.min == -1:
            message = _l("Use at most %(max)s characters.")
        elif self.min == self.max:
            message = _l("Use exactly %(max)s characters.")
        else:
            message = _l("Use %(min)s to %(max)s characters.")
        limits = {"min": number(self.min), "max": number(self.max), "length": number(length)}
        raise ValidationError(str(message) % limits)


class NumberRange(validators.NumberRange):
    """WTForms' NumberRange, saying its limits in the reader's digits."""

    def __call__(self, form, field):
        data = field.data
        if (
            data is not None
            and not math.isnan(data)
            and (self.min is None or data >= self.min)
            and (self.max is None or data <= self.max)
        ):
            return
        if self.message is not None:
            message = self.message
        elif self.max is None:
            message = _l("Enter a number of at least %(min)s.")
        elif self.min is None:
            message = _l("Enter a number of at most %(max)s.")
        else:
            message = _l("Enter a number from %(min)s to %(max)s.")
        limits = {name: number(limit) for name, limit in (("min", self.min), ("max", self.max)) if limit is not None}
        raise ValidationError(str(message) % limits)


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
