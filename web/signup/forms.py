"""The sign-up form."""

from __future__ import annotations

import zoneinfo
from functools import cache

from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Optional

from web.forms import CHOOSE, BaseForm, CodeField, Length, PasswordPolicy, choices

INDUSTRY_NAMES = {
    "clinic": _l("Clinic or hospital"),
    "beauty_salon": _l("Beauty salon"),
    "supplier": _l("Raw-material supplier"),
    "retail": _l("Shop or retail"),
    "public_office": _l("Public office"),
    "other": _l("Other"),
}
LANGUAGE_NAMES = {"fa": "فارسی", "kk": "Қазақша", "ru": "Русский", "en": "English"}
DEFAULT_TIMEZONE = {"fa": "Asia/Tehran", "kk": "Asia/Almaty", "ru": "Asia/Almaty", "en": "UTC"}
COMMON_TIMEZONES = (
    "Asia/Tehran",
    "Asia/Almaty",
    "Asia/Qyzylorda",
    "Asia/Aqtobe",
    "Asia/Oral",
    "Europe/Moscow",
    "UTC",
)


@cache
def timezone_names() -> list[str]:
    """The common zones of our users first, then every other IANA zone."""
    rest = sorted(zoneinfo.available_timezones() - set(COMMON_TIMEZONES))
    return [z for z in (*COMMON_TIMEZONES, *rest) if not z.startswith(("Etc/", "SystemV/"))]


@cache
def timezone_label(zone: str, locale: str) -> str:
    """A zone as its reader names it, from CLDR: country (city), e.g. «Казахстан (Алматы)»; the zone's own id
    where CLDR names no country (UTC)."""
    territory = get_global("zone_territories").get(zone)
    country = Locale.parse(locale).territories.get(territory) if territory else None
    if not country:
        return zone
    return f"{country} ({get_timezone_location(zone, locale=locale, return_city=True)})"


def timezone_choices(locale: str) -> list[SelectChoice]:
    """The time-zone select in `locale`: our users' common zones first, then the others by their name."""
    common = [SelectChoice(z, timezone_label(z, locale)) for z in COMMON_TIMEZONES]
    rest = [SelectChoice(z, timezone_label(z, locale)) for z in timezone_names()[len(COMMON_TIMEZONES) :]]
    return common + sorted(rest, key=lambda choice: choice.label)


class SignupForm(PasswordPolicy, BaseForm):
    name = StringField(_l("Organization name"), validators=[DataRequired(), Length(min=2, max=200)])
    slug = CodeField(_l("Web address"), validators=[DataRequired(), Length(min=3, max=40)])
    industry = SelectField(_l("Industry"), validators=[DataRequired(_l("Choose an industry from the list."))])
    locale = SelectField(_l("Default language"), validators=[DataRequired(_l("Choose a language from the list."))])
    timezone = SelectField(_l("Time zone"), validators=[DataRequired(_l("Choose a time zone from the list."))])
    owner_name = StringField(_l("Your name"), validators=[DataRequired(), Length(min=2, max=120)])
    owner_email = EmailField(_l("Your e-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    password_again = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
    # The portal's proof that a person is signing up: a proof of work solved by app.js or, without it, a sum.
    altcha = HiddenField(validators=[Optional(), Length(max=4000)])
    question_token = HiddenField(validators=[Optional(), Length(max=400)])
    question_answer = CodeField(_l("Your answer"), validators=[Optional(), Length(max=10)])

    def own_words(self) -> tuple[str, ...]:
        return (self.owner_email.data or "", self.owner_name.data or "", self.name.data or "")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A required list opens with an empty choice: nothing is taken for an answer the person did not give.
        self.industry.choices = choices({"": CHOOSE, **INDUSTRY_NAMES})
        self.locale.choices = [
            SelectChoice("", CHOOSE),
            *(SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items()),
        ]
        self.timezone.choices = [SelectChoice("", CHOOSE), *timezone_choices(str(get_locale()))]
        if self.slug.data:
            self.slug.data = self.slug.data.lower()
