"""Input and output in each reader's language and each organization's country: dates in the locale's own
format, free text kept as typed, numbers in messages in the reader's digits, official holidays from sign-up,
country-bound labels and examples, and required lists that open empty."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import jdatetime
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from services.calendar.models import Holiday
from services.complaints.models import Complaint, CorrectiveAction
from services.forms.models import FormVersion
from services.portal.settings import PortalSettings
from tenants.context import platform_scope, tenant_scope
from tenants.db import db, utcnow
from tenants.models import Tenant
from tests.fixtures.accounts import post_signup

LATIN_DIGIT = re.compile(r"[0-9]")
_TO_LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


def _rows(app, made, query):
    with app.app_context(), tenant_scope(made.tenant.id):
        return db.session.execute(query).all()


def _staff(app, made, login_as):
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    return client


def _error(page: str, field_id: str) -> str:
    match = re.search(rf'<div id="{field_id}-error"[^>]*>(.*?)</div>', page, re.S)
    assert match, f"no error shown for {field_id}"
    return unescape(match.group(1)).strip()


def _errors(response) -> list[str]:
    """The messages of a refused form, for an assertion's explanation."""
    return re.findall(r"(?:invalid-feedback|alert-danger)[^>]*>(.*?)</div>", response.get_data(as_text=True), re.S)


def _portal_filing(client, slug: str, **fields) -> dict:
    """A visitor's filing: the form's own hidden keys, the sum answered, the core fields and `fields`."""
    page = client.get(f"/{slug}/complaints/new").get_data(as_text=True)

    def hidden(name: str) -> str:
        return re.search(rf'<input id="{name}" name="{name}" type="hidden" value="([^"]*)"', page).group(1)

    a, b = re.search(r"([0-9۰-۹]+) \+ ([0-9۰-۹]+)", page).groups()
    data = {
        "submission_key": hidden("submission_key"),
        "question_token": hidden("question_token"),
        "question_answer": str(int(a.translate(_TO_LATIN)) + int(b.translate(_TO_LATIN))),
        "kind": "complaint",
        "complainant_name": "Aigerim",
        "preferred_contact": "sms",
        "subject": "Waited",
        "description": "Two hours.",
    }
    return data | fields


def _last_complaint(app, made) -> Complaint:
    with app.app_context(), tenant_scope(made.tenant.id):
        found = db.session.scalars(sa.select(Complaint).order_by(Complaint.id.desc())).first()
        db.session.expunge(found)
        return found


def _publish_field(client, slug: str, kind: str) -> None:
    data = {"new-type": kind, "new-audience": "customer", "new-label_en": "When", "new-label_ru": "Когда"}
    assert client.post(f"/{slug}/console/settings/form/fields", data=data).status_code == 303
    assert client.post(f"/{slug}/console/settings/form/publish").status_code == 303


def _field_key(app, made) -> str:
    with app.app_context(), tenant_scope(made.tenant.id):
        return db.session.scalars(sa.select(FormVersion).order_by(FormVersion.id.desc())).first().fields[0]["key"]


def _register(client, slug: str, **fields):
    data = {
        "kind": "complaint",
        "channel": "letter",
        "complainant_name": "Aigerim",
        "subject": "Waited",
        "description": "Two hours.",
        "priority": "normal",
        "preferred_locale": "ru",
    } | fields
    return client.post(f"/{slug}/console/complaints/new", data=data, content_type="multipart/form-data")


# 1. Dates in each locale's own format, and ISO everywhere


@pytest.mark.parametrize(
    ("locale", "typed", "shown"),
    [
        ("en", "2026-11-24", "2026-11-24"),
        ("ru", "24.11.2026", "24.11.2026"),
        ("kk", "24.11.2026", "24.11.2026"),
        ("ru", "٢٤.١١.٢٠٢٦", "24.11.2026"),
        ("fa", "۱۴۰۵/۰۹/۰۳", "۱۴۰۵/۰۹/۰۳"),
    ],
)
def test_a_date_is_read_and_shown_in_the_locales_own_format(app, locale, typed, shown):
    from web.forms import date_input_value, parse_local_date

    with app.test_request_context(), force_locale(locale):
        assert parse_local_date(typed) == date(2026, 11, 24)
        assert parse_local_date("2026-11-24") == date(2026, 11, 24)
        assert date_input_value(date(2026, 11, 24)) == shown


@pytest.mark.parametrize("typed", ["24.11.2026", "11/24/2026", "31.02.2026"])
def test_an_english_page_takes_iso_dates_only_and_no_impossible_day(app, typed):
    from web.forms import parse_local_date

    with app.test_request_context(), force_locale("en"):
        assert parse_local_date(typed) is None
    with app.test_request_context(), force_locale("ru"):
        assert parse_local_date("31.02.2026") is None


def test_a_russian_holiday_is_typed_day_first_and_its_field_shows_the_format(app, make_tenant, login_as):
    made = make_tenant(locale="ru")
    client = _staff(app, made, login_as)
    base = f"/{made.tenant.slug}/console/settings/calendar"
    page = client.get(base).get_data(as_text=True)
    assert re.search(r'id="holiday-day"[^>]*placeholder="23\.11\.2026"', page)
    typed = {"holiday-day": "24.11.2030", "holiday-name": "День компании"}
    assert client.post(f"{base}/holidays", data=typed).status_code == 303
    assert _rows(app, made, sa.select(Holiday.day).where(Holiday.name == "День компании")) == [(date(2030, 11, 24),)]


def test_a_refused_date_names_the_locales_format_and_keeps_what_was_typed(app, make_tenant, login_as):
    made = make_tenant(locale="kk")
    client = _staff(app, made, login_as)
    typed = {"holiday-day": "31.13.2030", "holiday-name": "Typed-Name-4"}
    response = client.post(f"/{made.tenant.slug}/console/settings/calendar/holidays", data=typed)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "23.11.2026" in _error(page, "holiday-day")
    assert 'value="31.13.2030"' in page
    assert 'value="Typed-Name-4"' in page


def test_a_kazakh_arrival_date_is_typed_day_first(app, make_tenant, login_as):
    made = make_tenant(locale="kk")
    client = _staff(app, made, login_as)
    response = _register(client, made.tenant.slug, received_on="16.11.2026", received_time="10:30")
    assert response.status_code == 303, _errors(response)
    # Almaty is UTC+5.
    assert _last_complaint(app, made).received_at.isoformat() == "2026-11-16T05:30:00+00:00"


def test_a_corrective_actions_due_date_is_typed_day_first_in_russian(app, make_tenant, make_complaint, login_as):
    made = make_tenant(locale="ru")
    complaint = make_complaint(made)
    client = _staff(app, made, login_as)
    base = f"/{made.tenant.slug}/console/complaints/{complaint.id}"
    for step in ("acknowledge", "investigate"):
        version = _last_complaint(app, made).version
        assert client.post(f"{base}/steps/{step}", data={"version": str(version)}).status_code == 303
    data = {
        "action-description": "Новое расписание",
        "action-root_cause_text": "Нехватка персонала",
        "action-due_on": "05.12.2026",
    }
    response = client.post(f"{base}/actions", data=data)
    assert response.status_code == 303, _errors(response)
    assert _rows(app, made, sa.select(CorrectiveAction.due_on)) == [(date(2026, 12, 5),)]


def test_the_inbox_filters_by_dates_typed_day_first(app, make_tenant, make_complaint, login_as):
    made = make_tenant(locale="ru")
    complaint = make_complaint(made, subject="Filed-Today-3")
    client = _staff(app, made, login_as)
    # The day as the organization's clock shows it (the inbox reads typed dates in its time zone).
    today = complaint.received_at.astimezone(ZoneInfo(made.tenant.timezone)).date()
    inbox = f"/{made.tenant.slug}/console/complaints"
    day = f"{today:%d.%m.%Y}"
    assert "Filed-Today-3" in client.get(inbox, query_string={"from": day, "to": day}).get_data(as_text=True)
    later = f"{today + timedelta(days=2):%d.%m.%Y}"
    assert "Filed-Today-3" not in client.get(inbox, query_string={"from": later}).get_data(as_text=True)


def test_a_portal_date_field_takes_the_visitors_format(app, make_tenant, login_as):
    made = make_tenant(locale="ru")
    slug = made.tenant.slug
    _publish_field(_staff(app, made, login_as), slug, "date")
    key = _field_key(app, made)
    visitor = app.test_client()
    page = visitor.get(f"/{slug}/complaints/new").get_data(as_text=True)
    assert re.search(rf'id="{key}"[^>]*placeholder="23\.11\.2026"', page)
    response = visitor.post(
        f"/{slug}/complaints/new", data=_portal_filing(visitor, slug, phone="8 701 123 45 67", **{key: "20.11.2026"})
    )
    assert response.status_code == 303, _errors(response)
    assert _last_complaint(app, made).answers[key] == "2026-11-20"


# 2. Free text as typed; digits normalized only in numbers, codes, phones, dates and ids


def test_the_complainants_words_keep_their_persian_digits_and_the_phone_is_read(app, make_tenant):
    made = make_tenant(locale="fa")
    slug = made.tenant.slug
    visitor = app.test_client()
    words = {
        "complainant_name": "مريم ۲",
        "phone": "۰۹۱۲ ۱۲۳ ۴۵۶۷",
        "subject": "نوبت ۵ آذر",
        "description": "روز ۵ آذر ۱۴۰۵ ساعت ۱۰ رفتم.",
        "remedy_sought": "بازپرداخت ۲۰۰ هزار تومان",
    }
    assert visitor.post(f"/{slug}/complaints/new", data=_portal_filing(visitor, slug, **words)).status_code == 303
    complaint = _last_complaint(app, made)
    assert complaint.description == "روز ۵ آذر ۱۴۰۵ ساعت ۱۰ رفتم."
    assert complaint.subject == "نوبت ۵ آذر"
    assert complaint.remedy_sought == "بازپرداخت ۲۰۰ هزار تومان"
    assert complaint.complainant_name == "مریم ۲"  # Arabic ي typed, Persian ی kept
    assert complaint.phone == "+989121234567"


def test_staff_text_keeps_its_persian_digits(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = _staff(app, made, login_as)
    response = _register(
        client, made.tenant.slug, phone="۰۹۱۲ ۱۲۳ ۴۵۶۷", description="نامهٔ شمارهٔ ۱۲۳", received_on="۱۴۰۵/۰۸/۲۵"
    )
    assert response.status_code == 303, _errors(response)
    complaint = _last_complaint(app, made)
    assert complaint.description == "نامهٔ شمارهٔ ۱۲۳"
    assert complaint.phone == "+989121234567"


def test_the_portals_address_and_help_keep_their_persian_digits(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = _staff(app, made, login_as)
    data = {
        "colour": "#123456",
        "channel_postal": "تهران، خیابان ۱۲، پلاک ۳",
        "intro_fa": "پاسخ در ۱۰ روز",
    }
    response = client.post(f"/{made.tenant.slug}/console/settings/portal", data=data)
    assert response.status_code == 303, _errors(response)
    with app.app_context(), tenant_scope(made.tenant.id):
        row = db.session.scalar(sa.select(PortalSettings))
        assert {"kind": "postal", "value": "تهران، خیابان ۱۲، پلاک ۳"} in row.channels
        assert row.intro["fa"] == "پاسخ در ۱۰ روز"


@pytest.mark.parametrize("case", [("روز ۵ آذر ۱۴۰۵", "1405"), ("Invoice 1405-77", "۱۴۰۵")], ids=["persian", "latin"])
def test_search_finds_text_by_either_kind_of_digit(app, make_tenant, make_complaint, login_as, case):
    stored, typed = case
    made = make_tenant(locale="fa")
    make_complaint(made, subject="Found-Row-1", description=stored)
    make_complaint(made, subject="Other-Row-2", description="هیچ عددی")
    client = _staff(app, made, login_as)
    page = client.get(f"/{made.tenant.slug}/console/complaints", query_string={"q": typed}).get_data(as_text=True)
    assert "Found-Row-1" in page
    assert "Other-Row-2" not in page


# 3. Numbers in messages in the reader's digits


def _latin_free(text: str) -> bool:
    return LATIN_DIGIT.search(text) is None


def test_a_length_message_on_a_persian_page_has_persian_digits(app):
    client = app.test_client()
    client.post("/lang", data={"lang": "fa"})
    data = {"name": "درمانگاه", "slug": "ab", "industry": "clinic", "locale": "fa", "timezone": "Asia/Tehran"}
    response = post_signup(client, data)
    assert response.status_code == 422
    message = _error(response.get_data(as_text=True), "slug")
    assert "۳" in message
    assert "۴۰" in message
    assert _latin_free(message)


def test_a_number_range_message_on_a_persian_page_has_persian_digits(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = _staff(app, made, login_as)
    data = {"new-priority": "low", "new-acknowledge_amount": "9999", "new-acknowledge_unit": "working_hours"}
    response = client.post(f"/{made.tenant.slug}/console/settings/deadlines", data=data)
    assert response.status_code == 422
    message = _error(response.get_data(as_text=True), "new-acknowledge_amount")
    assert "۸٬۷۶۰" in message
    assert _latin_free(message)


def test_a_services_refusal_on_a_persian_page_has_persian_digits(app):
    client = app.test_client()
    client.post("/lang", data={"lang": "fa"})
    data = {
        "name": "درمانگاه",
        "slug": "shifa-fa",
        "industry": "clinic",
        "locale": "fa",
        "timezone": "Asia/Tehran",
        "owner_name": "لیلا",
        "owner_email": "leila@shifa.example.com",
        "password": "short",
        "password_again": "short",
    }
    response = post_signup(client, data)
    assert response.status_code == 422
    message = _error(response.get_data(as_text=True), "password")
    assert "۱۰" in message
    assert _latin_free(message)


def test_the_published_versions_number_is_in_persian_digits(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = _staff(app, made, login_as)
    slug = made.tenant.slug
    data = {"new-type": "short_text", "new-audience": "customer", "new-label_fa": "شماره پرونده"}
    assert client.post(f"/{slug}/console/settings/form/fields", data=data).status_code == 303
    page = client.post(f"/{slug}/console/settings/form/publish", follow_redirects=True).get_data(as_text=True)
    assert "نسخهٔ ۱ فرم" in page


def test_a_file_size_in_a_message_is_in_the_readers_units_and_digits(app):
    from services.files.checking import FileRejected, check_upload

    with pytest.raises(FileRejected) as refused:
        check_upload(b"%PDF-" + bytes(16 * 1024 * 1024), "big.pdf", max_bytes=15 * 1024 * 1024)
    with app.test_request_context(), force_locale("fa"):
        assert "۱۵ مگابایت" in str(refused.value.message)
        assert _latin_free(str(refused.value.message))
    with app.test_request_context(), force_locale("ru"):
        assert "15 мегабайт" in str(refused.value.message)


@pytest.mark.parametrize(
    ("locale", "code", "shown"),
    [
        ("fa", "IRR", "۱٬۵۰۰٬۰۰۰ ریال ایران"),
        ("ru", "KZT", "1\xa0500\xa0000 казахских тенге"),
        ("en", "IRR", "1,500,000 Iranian rials"),
        ("fa", "IRT", "۱٬۵۰۰٬۰۰۰ تومان"),
    ],
)
def test_a_sum_is_shown_with_its_currencys_name_in_the_readers_language(app, locale, code, shown):
    from services.i18n import format_money

    with app.test_request_context(), force_locale(locale):
        assert format_money(1_500_000, code, locale) == shown


def test_the_rating_scale_and_the_holiday_year_are_in_persian_digits(app, make_tenant, login_as):
    from web.portal.forms import RatingForm

    with app.test_request_context(), force_locale("fa"):
        assert [str(choice.label.text) for choice in RatingForm(meta={"csrf": False}).score] == list("۱۲۳۴۵")
    made = make_tenant(locale="fa")
    page = _staff(app, made, login_as).get(f"/{made.tenant.slug}/console/settings/calendar").get_data(as_text=True)
    year = jdatetime.date.fromgregorian(date=utcnow().date()).year
    assert re.search(
        rf'id="import-year"[^>]*value="{str(year).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))}"', page
    )


# 4. Official holidays from sign-up, and years in the organization's calendar


def _nowruz(jalali_year: int) -> date:
    return jdatetime.date(jalali_year, 1, 1).togregorian()


def test_an_iranian_organization_starts_with_nowruz_of_this_year_and_next(app, make_tenant):
    made = make_tenant(locale="fa")
    days = {row[0] for row in _rows(app, made, sa.select(Holiday.day).where(Holiday.official.is_(True)))}
    this_year = jdatetime.date.fromgregorian(date=utcnow().date()).year
    assert {_nowruz(this_year), _nowruz(this_year + 1)} <= days
    assert _nowruz(this_year + 2) not in days


def test_a_kazakh_organization_starts_with_nauryz_of_this_year_and_next(app, make_tenant):
    made = make_tenant(locale="kk")
    days = {row[0] for row in _rows(app, made, sa.select(Holiday.day).where(Holiday.official.is_(True)))}
    this_year = utcnow().year
    assert {date(this_year, 3, 22), date(this_year + 1, 3, 22)} <= days
    assert not any(day.year == this_year + 2 for day in days)


def test_the_calendar_page_says_which_official_years_are_listed(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = _staff(app, made, login_as)
    page = client.get(f"/{made.tenant.slug}/console/settings/calendar").get_data(as_text=True)
    this_year = jdatetime.date.fromgregorian(date=utcnow().date()).year
    notice = re.search(r'id="official-years">(.*?)</', page, re.S).group(1)
    persian = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    assert str(this_year).translate(persian) in notice
    assert str(this_year + 1).translate(persian) in notice


def test_the_calendar_page_warns_when_no_official_holiday_is_listed(app, make_tenant, login_as):
    made = make_tenant(locale="en")
    with app.app_context(), tenant_scope(made.tenant.id):
        db.session.execute(sa.delete(Holiday))
        db.session.commit()
    page = _staff(app, made, login_as).get(f"/{made.tenant.slug}/console/settings/calendar").get_data(as_text=True)
    assert re.search(r'class="alert[^"]*"[^>]*id="official-years">No official holidays are listed', page)


def test_a_jalali_year_imports_the_official_days_that_fall_in_it(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = _staff(app, made, login_as)
    url = f"/{made.tenant.slug}/console/settings/calendar/holidays/import"
    assert client.post(url, data={"import-country": "IR", "import-year": "۱۴۰۹"}).status_code == 303
    days = {row[0] for row in _rows(app, made, sa.select(Holiday.day).where(Holiday.official.is_(True)))}
    first, last = _nowruz(1409), _nowruz(1410) - timedelta(days=1)
    assert first in days  # 21 March 2030
    assert any(date(2031, 1, 1) <= day <= last for day in days)
    # Nothing of the Jalali year before (which ends on 20 March 2030) or after.
    assert not any(_nowruz(1408) + timedelta(days=400) < day < first for day in days)
    assert _nowruz(1410) not in days


def test_an_organization_counting_gregorian_years_is_asked_for_one(app, make_tenant, login_as):
    made = make_tenant(locale="ru")
    client = _staff(app, made, login_as)
    url = f"/{made.tenant.slug}/console/settings/calendar/holidays/import"
    response = client.post(url, data={"import-country": "KZ", "import-year": "1405"})
    assert response.status_code == 422
    assert "2000" in _error(response.get_data(as_text=True), "import-year")
    assert client.post(url, data={"import-country": "KZ", "import-year": "2030"}).status_code == 303
    assert (date(2030, 3, 22),) in _rows(app, made, sa.select(Holiday.day))


def test_a_year_that_is_not_a_number_is_refused_with_a_message(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = _staff(app, made, login_as)
    url = f"/{made.tenant.slug}/console/settings/calendar/holidays/import"
    response = client.post(url, data={"import-country": "IR", "import-year": "امسال"})
    assert response.status_code == 422
    assert "امسال" in response.get_data(as_text=True)
    assert _latin_free(_error(response.get_data(as_text=True), "import-year"))


# 5. What follows the organization's country, not the page's language


def _switch(client, slug: str, lang: str) -> None:
    assert client.post(f"/{slug}/lang", data={"lang": lang, "next": f"/{slug}/"}).status_code in (302, 303)


def test_a_kazakh_organizations_portal_shows_a_kazakh_phone_and_the_iin(app, make_tenant):
    made = make_tenant(locale="ru")
    visitor = app.test_client()
    _switch(visitor, made.tenant.slug, "fa")
    page = visitor.get(f"/{made.tenant.slug}/complaints/new").get_data(as_text=True)
    assert "۸ ۷۰۱ ۱۲۳ ۴۵ ۶۷" in page
    assert "0912" not in page
    assert "۰۹۱۲" not in page
    assert re.search(r'<label class="form-label" for="national_id">شمارهٔ شناسایی فردی \(IIN\)', page)


def test_an_iranian_organizations_russian_form_names_the_national_code(app, make_tenant):
    made = make_tenant(locale="fa")
    visitor = app.test_client()
    _switch(visitor, made.tenant.slug, "ru")
    page = visitor.get(f"/{made.tenant.slug}/complaints/new").get_data(as_text=True)
    assert re.search(r'<label class="form-label" for="national_id">Национальный код', page)
    assert "ИИН" not in page
    assert 'placeholder="0912 123 4567"' in page


def test_an_organizations_own_phone_field_shows_its_countrys_example(app, make_tenant, login_as):
    made = make_tenant(locale="kk")
    _publish_field(_staff(app, made, login_as), made.tenant.slug, "phone")
    key = _field_key(app, made)
    page = app.test_client().get(f"/{made.tenant.slug}/complaints/new").get_data(as_text=True)
    assert 'placeholder="8 701 123 45 67"' in re.search(rf'<input[^>]*id="{key}"[^>]*>', page).group(0)


def test_the_staff_registration_form_follows_the_organizations_country(app, make_tenant, login_as):
    made = make_tenant(locale="kk")
    client = _staff(app, made, login_as)
    _switch(client, made.tenant.slug, "en")
    page = client.get(f"/{made.tenant.slug}/console/complaints/new").get_data(as_text=True)
    assert 'placeholder="8 701 123 45 67"' in page
    assert re.search(r'for="national_id">IIN \(individual identification number\)', page)


def test_a_wrong_phone_is_explained_with_the_organizations_own_example(app, make_tenant, login_as):
    made = make_tenant(locale="ru")
    client = _staff(app, made, login_as)
    response = _register(client, made.tenant.slug, phone="12")
    assert response.status_code == 422
    message = _error(response.get_data(as_text=True), "phone")
    assert "8 701 123 45 67" in message
    assert "0912" not in message


# 6. Colour input and required lists


def test_the_colour_input_carries_no_maxlength(app, make_tenant, login_as):
    made = make_tenant()
    page = _staff(app, made, login_as).get(f"/{made.tenant.slug}/console/settings/portal").get_data(as_text=True)
    tag = re.search(r'<input[^>]*id="colour"[^>]*>', page).group(0)
    assert 'type="color"' in tag
    assert "maxlength" not in tag


def _first_option(page: str, select_id: str) -> str:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert select, select_id
    return re.search(r"<option[^>]*>", select.group(1)).group(0)


@pytest.mark.parametrize("select_id", ["industry", "locale", "timezone"])
def test_the_sign_up_lists_open_with_an_empty_choice(app, select_id):
    page = app.test_client().get("/signup").get_data(as_text=True)
    assert re.search(rf'<select[^>]*id="{select_id}"[^>]*required', page)
    assert 'value=""' in _first_option(page, select_id)


def test_the_invitations_role_opens_with_an_empty_choice_and_agent_chosen(app, make_tenant, login_as):
    made = make_tenant()
    page = _staff(app, made, login_as).get(f"/{made.tenant.slug}/console/settings/staff").get_data(as_text=True)
    assert 'value=""' in _first_option(page, "role")
    assert re.search(r'<option selected value="agent">', page)


def test_an_empty_choice_is_refused_with_a_clear_message(app, make_tenant, login_as):
    data = {"name": "Shifa", "slug": "shifa-x", "industry": "", "locale": "en", "timezone": ""}
    page = post_signup(app.test_client(), data).get_data(as_text=True)
    assert _error(page, "industry") == "Choose an industry from the list."
    assert _error(page, "timezone") == "Choose a time zone from the list."
    made = make_tenant()
    client = _staff(app, made, login_as)
    response = client.post(f"/{made.tenant.slug}/console/settings/staff/invite", data={"email": "a@b.example.com"})
    assert response.status_code == 422
    assert _error(response.get_data(as_text=True), "role") == "Choose a role from the list."
    with app.app_context(), platform_scope():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Tenant).where(Tenant.slug == "shifa-x")) == 0
