"""Languages, time zones and the one way dates and numbers are shown."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta

from babel.dates import format_timedelta
from babel.units import format_unit
from flask import g, has_app_context, has_request_context, request, session
from flask_babel import get_locale, get_timezone, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import escape

from services import i18n as shown
from services.i18n import LANGUAGE_NAMES, format_moment
from tenants.models import LOCALES
from tenants.text import persian_digits

RTL_LOCALES = frozenset({"fa"})


def select_locale() -> str:
    """Staff: their own choice. Visitors: their choice this session, the tenant's default, the browser's."""
    if not has_request_context():
        return "en"
    staff_locale = getattr(current_user, "locale", None) if current_user else None
    if staff_locale in LOCALES:
        return staff_locale
    chosen = session.get("lang")
    if chosen in LOCALES:
        return chosen
    tenant = g.get("tenant")
    if tenant is not None and tenant.default_locale in LOCALES:
        return tenant.default_locale
    return request.accept_languages.best_match(LOCALES) or "en"


def select_timezone() -> str:
    """The tenant's time zone; UTC outside a tenant."""
    tenant = g.get("tenant") if has_request_context() else None
    return tenant.timezone if tenant is not None else "UTC"


_CODES: dict[object, str] = {}


def locale_code() -> str:
    """The reader's language code ("fa", "kk", "ru", "en"); asked dozens of times a page, so remembered."""
    locale = get_locale()
    if locale is None:
        return "en"
    code = _CODES.get(locale)
    if code is None:
        code = _CODES[locale] = str(locale)
    return code


def text_direction() -> str:
    return "rtl" if locale_code() in RTL_LOCALES else "ltr"


def arrow() -> str:
    """ "Changed from … to …" drawn in the reading direction: ← on right-to-left pages."""
    return "←" if text_direction() == "rtl" else "→"


def strong_direction(text: object) -> str:
    """ "rtl" or "ltr" by the first letter of `text` that has a direction (the rule of dir="auto"), for printed
    records: WeasyPrint does not read dir="auto". Without such a letter, the page's own direction."""
    for ch in str(text or ""):
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return text_direction()


def localize_digits(text: str) -> str:
    """Latin digits shown as Persian ones on Persian pages."""
    return persian_digits(text) if locale_code() == "fa" else text


def format_number(value: float | int) -> str:
    """A number with the locale's grouping and digits; the one way a page shows a number."""
    return shown.format_number(value, locale_code())


def format_filesize(size: int) -> str:
    """A size in bytes in the reader's units and digits ("15 MB", "۱۵ مگابایت")."""
    return shown.format_filesize(int(size or 0), locale_code())


def format_money(amount, code: str | None) -> str:
    """A sum with its currency's name in the reader's language and digits."""
    return shown.format_money(amount, code, locale_code()) if code else format_number(amount)


def currency_name(code: str | None) -> str:
    """A currency's name in the reader's language ("Iranian rial")."""
    return shown.currency_name(code, locale_code()) if code else ""


def format_when(value: datetime | date | str | None, kind: str = "datetime") -> str:
    """A date or time in the reader's calendar, language and time zone: Jalali for Persian.

    `kind` is "datetime", "date" or "time". Stored times are UTC; naive values are read as UTC. A string is
    read as ISO 8601 (as the follow-up log keeps dates); one that is not is shown as it is.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    return format_moment(value, locale_code(), str(get_timezone()), kind)


def format_duration(value: timedelta | None) -> str:
    """A length of time, rounded to its largest unit ("3 hours", "2 days"), in the reader's language and digits."""
    if value is None:
        return ""
    locale = locale_code()
    text = format_timedelta(abs(value), threshold=1.5, locale=locale)
    return persian_digits(text) if locale == "fa" else text


def format_month(first: date, jalali: bool) -> str:
    """A month of the organization's calendar ("آذر ۱۴۰۵", "December 2026") in the reader's language; a Jalali
    month read in another language is shown as its first and last days."""
    locale = locale_code()
    if jalali and locale != "fa":
        import jdatetime

        j = jdatetime.date.fromgregorian(date=first)
        last = (jdatetime.date(j.year + (j.month // 12), j.month % 12 + 1, 1).togregorian()) - timedelta(days=1)
        return shown.format_span(first, last, None, locale)
    return shown.format_span(first, first, "month", locale)


def format_working_hours(hours: float | None) -> str:
    """Working hours, as hours ("5.5 hours", "۳۰ ساعت"): a day would say 24 of them; a dash for none."""
    if hours is None:
        return "—"
    locale = locale_code()
    text = format_unit(round(hours, 1) if hours < 10 else round(hours), "duration-hour", "long", locale=locale)
    return persian_digits(text.replace(".", "٫")) if locale == "fa" else text


def format_period(period) -> str:
    """A report's period (services.reports.periods.Period) in the reader's calendar and language."""
    return shown.format_span(period.first, period.last, period.whole, locale_code())


def _catalog():
    """The request's translations for its present locale, looked up once per locale and request: a page asks
    for a dozen strings or more, and Flask-Babel would find the domain, the locale and its cache each time."""
    locale = get_locale()
    if not has_app_context():
        return get_translations()
    kept = g.setdefault("_dadras_catalogs", {})
    found = kept.get(locale)
    if found is None:
        found = kept[locale] = get_translations()
    return found


def _lazy_text_as_html(self: LazyString) -> str:
    return str(escape(str(self)))


def init_app(app) -> None:
    """Template filters and globals for language, direction, digits and dates."""
    # Flask-Babel's lazy texts call themselves HTML (__html__ gives the text as it is), so Jinja would print a
    # refusal like «The provider names itself %(found)s» with what an outside server sent in it unescaped. A lazy
    # text is text: it is escaped like any other string.
    LazyString.__html__ = _lazy_text_as_html
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalog().ugettext(s),
        ngettext=lambda s, p, n: _catalog().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalog().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["gregorian"] = lambda value, kind="datetime": (
        "" if value is None else format_moment(value, locale_code(), str(get_timezone()), kind, gregorian=True)
    )
    app.jinja_env.filters["num"] = format_number
    app.jinja_env.filters["direction"] = strong_direction
    app.jinja_env.filters["filesize"] = format_filesize
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["currency_name"] = currency_name
    app.jinja_env.filters["digits"] = localize_digits
    app.jinja_env.filters["duration"] = format_duration
    app.jinja_env.filters["period"] = format_period
    app.jinja_env.filters["month_name"] = format_month
    app.jinja_env.filters["working_hours"] = format_working_hours
    app.jinja_env.filters["share"] = lambda rate: shown.format_share(rate, locale_code())
    app.jinja_env.filters["mean"] = lambda value: shown.format_mean(value, locale_code())
    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES, locale_code=locale_code, text_direction=text_direction, arrow=arrow
    )
