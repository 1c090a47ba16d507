"""Four complete languages, RTL Persian with Persian digits and Jalali dates, and one input normalizer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tenants.text import normalize_input

TRANSLATIONS = Path(__file__).resolve().parent.parent / "web" / "translations"


def read_catalog(path: Path, locale: str | None = None):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  ۰۹۱۲۱۲۳۴۵۶۷ ", "09121234567"),
        ("٠١٢٣٤٥٦٧٨٩", "0123456789"),
        ("علي كريمي", "علی کریمی"),
        ("\tplain text\n", "plain text"),
        ("", ""),
    ],
)
def test_normalize_input(raw, clean):
    assert normalize_input(raw) == clean


@pytest.mark.parametrize("locale", ["fa", "kk", "ru"])
def test_catalog_is_complete_and_keeps_placeholders(locale):
    import re

    pot = read_catalog(TRANSLATIONS / "messages.pot")
    catalog = read_catalog(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", locale)
    ids = {m.id for m in pot if m.id}
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    assert ids - set(translated) == set(), f"untranslated in {locale}"
    for msgid, text in translated.items():
        # A plural entry has a tuple of ids (singular, plural) and of translations, one per plural form.
        ids_ = msgid if isinstance(msgid, tuple) else (msgid,)
        texts = text if isinstance(text, tuple) else (text,)
        placeholders = sorted(set(re.findall(r"%\(\w+\)[sd]", " ".join(ids_))))
        for form in texts:
            assert form, f"an empty plural form in {locale}: {msgid}"
            assert sorted(set(re.findall(r"%\(\w+\)[sd]", form))) == placeholders, msgid


def test_every_template_string_is_in_the_catalog_template():
    """The .pot is up to date with the code (run `make translations-extract` after adding text)."""
    import subprocess
    import sys
    import tempfile

    root = TRANSLATIONS.parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "fresh.pot"
        subprocess.run(
            [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
             "-k", "lazy_gettext", "--no-location", "-o", str(out), "."],
            cwd=root, check=True, capture_output=True,
        )  # fmt: skip
        fresh = {m.id for m in read_catalog(out) if m.id}
    known = {m.id for m in read_catalog(TRANSLATIONS / "messages.pot") if m.id}
    assert fresh - known == set()


def test_persian_console_is_rtl_with_persian_digits(client, make_tenant, login_as):
    made = make_tenant(locale="fa")
    login_as(client, made.tenant, made.owner)
    body = client.get(f"/{made.tenant.slug}/console/").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in body
    assert "bootstrap-5.3.8.rtl.min.css" in body
    assert 'id="stat-staff">۱<' in body
    assert "کارکنان" in body


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fa", "۲ آذر ۱۴۰۵"), ("ru", "нояб. 2026"), ("kk", "2026 ж. 23 қар."), ("en", "Nov 23, 2026")],
)
def test_dates_are_shown_in_the_readers_calendar(app, locale, expected):
    from flask_babel import force_locale

    from web.i18n import format_when

    with app.test_request_context(), force_locale(locale):
        shown = format_when(datetime(2026, 11, 23, 12, 0, tzinfo=UTC), "date")
    assert expected in shown.replace("\u202f", " ")


def test_times_are_shown_in_the_tenants_time_zone(app, make_tenant):
    from flask import g
    from flask_babel import force_locale

    from web.i18n import format_when

    made = make_tenant(locale="fa")  # Asia/Tehran, UTC+3:30
    with app.test_request_context(), force_locale("en"):
        g.tenant = made.tenant
        assert format_when(datetime(2026, 11, 23, 20, 45, tzinfo=UTC), "time") == "12:15\u202fAM"


def test_numbers_use_persian_digits_in_persian(app):
    from flask_babel import force_locale

    from web.i18n import format_number

    with app.test_request_context(), force_locale("fa"):
        assert format_number(1234567) == "۱٬۲۳۴٬۵۶۷"
    with app.test_request_context(), force_locale("ru"):
        assert format_number(1234567).replace("\xa0", " ") == "1 234 567"


def test_visitors_get_the_tenants_default_language(client, make_tenant):
    made = make_tenant(locale="kk")
    body = client.get(f"/{made.tenant.slug}/console/login").get_data(as_text=True)
    assert '<html lang="kk" dir="ltr">' in body


def test_outside_a_tenant_visitors_get_the_browsers_language(client):
    body = client.get("/signup", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ru"' in body
    assert "Зарегистр" in body or "организац" in body


def test_a_visitors_choice_beats_the_tenant_default(client, make_tenant):
    made = make_tenant(locale="fa")
    client.post(f"/{made.tenant.slug}/lang", data={"lang": "en", "next": f"/{made.tenant.slug}/console/login"})
    body = client.get(f"/{made.tenant.slug}/console/login").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in body


def test_a_staff_members_choice_is_remembered_across_sessions(app, client, make_tenant, login_as):
    made = make_tenant(locale="en")
    login_as(client, made.tenant, made.owner)
    response = client.post(f"/{made.tenant.slug}/lang", data={"lang": "ru", "next": f"/{made.tenant.slug}/console/"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/{made.tenant.slug}/console/"
    fresh = app.test_client()
    login_as(fresh, made.tenant, made.owner)
    assert '<html lang="ru"' in fresh.get(f"/{made.tenant.slug}/console/").get_data(as_text=True)


def test_language_switch_refuses_an_unknown_language_and_outside_redirects(client):
    assert client.post("/lang", data={"lang": "xx", "next": "/signup"}).status_code == 400
    for outside in ("https://evil.example.com/", "/\\evil.example.com", "/\t/evil.example.com", "//evil.example"):
        response = client.post("/lang", data={"lang": "fa", "next": outside})
        assert response.headers["Location"] == "/", outside


@pytest.mark.parametrize("locale", ["fa", "kk", "ru"])
def test_error_pages_speak_the_visitors_language(client, locale):
    client.post("/lang", data={"lang": locale, "next": "/signup"})
    body = client.get("/no-such-tenant/console/").get_data(as_text=True)
    assert f'lang="{locale}"' in body
    assert "Page not found" not in body
