"""Four complete languages, RTL Persian with Persian digits and Jalali dates, and one input normalizer."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tenants.text import normalize_input, normalize_text

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


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\u200f \u202e", ""),  # a lone mark (the override goes anyway): nothing typed
        ("\u200c\u200b\ufeff\n", ""),
        ("می\u200cخواهم", "می\u200cخواهم"),  # the non-joiner inside a word stays
        ("\u200fسلام", "\u200fسلام"),
    ],
)
def test_text_of_nothing_visible_is_nothing(raw, clean):
    assert normalize_text(raw, multiline=True) == clean


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
    assert re.search(r'id="mine-open" data-count="0">\s*<span class="stat-value">۰<', body)
    summary = client.get(f"/{made.tenant.slug}/console/settings/").get_data(as_text=True)
    assert 'id="stat-staff">۱<' in summary
    assert "کارکنان" in summary


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


GETTEXT_NAMES = frozenset({"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext"})
SOURCE_ROOTS = ("web", "services", "workers", "tenants")


def _gettext_name(call) -> str | None:
    import ast

    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    return name if name in GETTEXT_NAMES else None


def _text_escaping_extraction(path: Path) -> list[str]:
    """Where a source file hides user-facing text from extraction: a translation call on something that is not
    a plain string, a translation inside an f-string, or an f-string as a form field's label."""
    import ast

    tree = ast.parse(path.read_text("utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and _gettext_name(inner):
                    found.append(f"{path}:{node.lineno}: a translation inside an f-string")
        if not isinstance(node, ast.Call):
            continue
        name = _gettext_name(node)
        if name:
            literal = 2 if name.endswith("ngettext") else 1
            texts = node.args[:literal]
            if len(texts) < literal or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in texts):
                found.append(f"{path}:{node.lineno}: {name}() on something other than a plain string")
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if called.endswith("Field"):
            labels = node.args[:1] + [k.value for k in node.keywords if k.arg == "label"]
            if any(isinstance(label, ast.JoinedStr | ast.BinOp) for label in labels):
                found.append(f"{path}:{node.lineno}: a form field labelled by a built string")
    return found


def test_no_user_facing_text_escapes_extraction():
    """Extraction reads only literal strings: text built in f-strings stays English in every language."""
    root = TRANSLATIONS.parent.parent
    found = [
        problem
        for folder in SOURCE_ROOTS
        for path in sorted((root / folder).rglob("*.py"))
        for problem in _text_escaping_extraction(path.relative_to(root))
    ]
    assert found == []


def test_the_extraction_check_finds_text_in_f_strings(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text(
        "StringField(f\"{_('Label')} ({name})\")\n_(message)\nStringField(f'Label {name}')\n_(\"Fine %(n)s\", n=1)\n",
        "utf-8",
    )
    assert len(_text_escaping_extraction(source)) == 4  # the first is both in an f-string and an f-string label


@pytest.mark.parametrize("locale", ["fa", "kk", "ru"])
def test_the_form_builder_speaks_the_readers_language(client, make_tenant, login_as, locale):
    made = make_tenant(locale=locale)
    login_as(client, made.tenant, made.owner)
    body = client.get(f"/{made.tenant.slug}/console/settings/form").get_data(as_text=True)
    for english in (">Label (", ">Help text (", ">Options, one per line ("):
        assert english not in body


def test_kazakhstans_holidays_have_their_russian_names():
    from datetime import date

    from services.calendar.worktime import official_holidays

    named = dict(official_holidays("KZ", 2026, "ru"))
    assert named[date(2026, 3, 8)] == "Международный женский день"
    assert named[date(2026, 3, 24)] == "Наурыз мейрамы (перенесённый выходной)"
    assert not [name for name in named.values() if any("a" <= ch.lower() <= "z" for ch in name)]
    assert dict(official_holidays("KZ", 2018, "ru"))[date(2018, 3, 9)] == "Выходной день (перенесён с 03.03.2018)"


@pytest.mark.parametrize(
    ("locale", "almaty"),
    [("ru", "Казахстан (Алматы)"), ("kk", "Қазақстан (Алматы)"), ("fa", "قزاقستان (آلماتی)")],
)
def test_time_zones_are_named_in_the_readers_language(client, locale, almaty):
    client.post("/lang", data={"lang": locale, "next": "/signup"})
    body = client.get("/signup").get_data(as_text=True)
    assert f'value="Asia/Almaty">{almaty}</option>' in body
    assert ">Asia/Almaty<" not in body


def test_russian_names_a_holiday_and_an_outside_body_with_a_title_not_a_persons_name(client, make_tenant, login_as):
    made = make_tenant(locale="ru")
    login_as(client, made.tenant, made.owner)
    body = client.get(f"/{made.tenant.slug}/console/settings/calendar").get_data(as_text=True)
    assert ">Название<span" in body
    assert ">Имя<" not in body
    body = client.get(f"/{made.tenant.slug}/console/settings/portal").get_data(as_text=True)
    assert ">Название инстанции (Русский)<" in body
    assert ">Имя (" not in body


def _translations(locale: str) -> list[tuple[str, str]]:
    """(English, translation) of every entry of a catalog, plural forms joined."""
    catalog = read_catalog(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", locale)
    pairs = []
    for message in catalog:
        if message.id and message.string:
            english = " ".join(message.id) if isinstance(message.id, tuple) else message.id
            text = " ".join(message.string) if isinstance(message.string, tuple) else message.string
            pairs.append((english, text))
    return pairs


def test_persian_keeps_addresses_and_commands_in_their_own_direction():
    """In right-to-left text an address or a /command reads in order only inside a directional isolate."""
    import re

    token = re.compile(r"(?:https?|smtps?|imaps?)://\S*|/status")
    loose = [
        text
        for _, text in _translations("fa")
        for found in token.finditer(text)
        if text[found.start() - 1 : found.start()] not in ("\u2066", "\u2068")
    ]
    assert loose == []


def test_a_kazakh_value_stands_alone():
    """Kazakh cannot put a case ending on a date or a number it does not know: «%(due)s дейін» is wrong."""
    import re

    attached = re.compile(r"%\(\w+\)[sd](?:-?[^\W\d_]| (?:дейін|бері|бастап|кейін|бұрын|бен|мен|пен)\b)")
    assert [text for _, text in _translations("kk") if attached.search(text)] == []


@pytest.mark.parametrize(
    ("locale", "not_used"),
    [
        ("fa", r"رمز عبور|(?<![\u0600-\u06FF\u200c])بات|تأیید دریافت|سرپرست|صندوق پیشنهادها|مدیر سامانه"),
        ("kk", r"[Тт]ексерілуде|[Тт]ексеру(?:ді)? (?:бас|қайта)|Өшіру|өшірілсін|өшірілген|Өшірілген|менеджер"),
        ("ru", r"расслед|Расслед|менеджер|\b(?:вы|вас|вам|вами|ваш\w*)\b"),
    ],
)
def test_one_word_for_one_thing(locale, not_used):
    """Password, bot, acknowledgement, the roles, the state being looked into: one word each, and «Вы»."""
    import re

    assert [text for _, text in _translations(locale) if re.search(not_used, text)] == []


def test_persian_keeps_dargah_for_the_gateway_and_kazakh_notices_are_notices():
    fa = [(en, text) for en, text in _translations("fa") if "درگاه" in text]
    assert fa
    assert all("gateway" in en for en, _ in fa), fa
    kk = [text for en, text in _translations("kk") if "notice" in en.lower() and "message" not in en.lower()]
    assert kk
    assert [text for text in kk if "хабарлама" in text] == []


STAFF_PAGES = (
    "console/",
    "console/complaints",
    "console/complaints/{complaint}",
    "console/settings/deliveries",
    "console/settings/categories",
    "console/settings/units",
    "console/settings/root-causes",
    "console/settings/calendar",
    "console/settings/channels",
    "console/settings/deadlines",
    "console/settings/escalation",
    "console/settings/form",
    "console/settings/notices",
    "console/settings/portal",
    "console/settings/staff",
)
CUSTOMER_PAGES = ("", "complaints/new", "track", "track/{code}")


def _english_left(body: str, english: set[str]) -> list[str]:
    import html
    import re

    text = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    shown = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)))
    attributes = html.unescape(" ".join(re.findall(r'(?:placeholder|title|aria-label|alt)="([^"]*)"', text)))
    return sorted(msgid for msgid in english if msgid in shown or msgid in attributes)


@pytest.mark.parametrize("locale", ["fa", "kk", "ru"])
def test_no_english_is_left_on_the_console_settings_and_portal_pages(
    client, make_tenant, make_complaint, login_as, locale
):
    """Every sentence of the catalog that these pages show comes out in the reader's language; an English one
    left means text that extraction never saw."""
    import re

    catalog = read_catalog(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", locale)
    english = {
        m.id
        for m in catalog
        if isinstance(m.id, str) and m.string and m.string != m.id and len(m.id.split()) >= 2 and "%(" not in m.id
    }
    made = make_tenant(locale=locale)
    complaint = make_complaint(made, subject="—", description="—")
    pages = [f"/{made.tenant.slug}/{p}" for p in CUSTOMER_PAGES]
    client.post(f"/{made.tenant.slug}/lang", data={"lang": locale, "next": f"/{made.tenant.slug}/"})
    found = {}
    for page in pages:
        response = client.get(page.format(code=complaint.code))
        assert response.status_code == 200, page
        found[page] = _english_left(response.get_data(as_text=True), english)
    login_as(client, made.tenant, made.owner)
    for page in (f"/{made.tenant.slug}/{p}" for p in STAFF_PAGES):
        response = client.get(page.format(complaint=complaint.id))
        assert response.status_code == 200, page
        found[page] = _english_left(response.get_data(as_text=True), english)
    assert {page: left for page, left in found.items() if left} == {}
    assert re.search(r"lang=\"" + locale, response.get_data(as_text=True))


# Where each character of the label's first `token` is drawn, left to right on the screen.
_DRAWN_AT = """
(label, token) => {
  const node = label.firstChild, start = node.textContent.indexOf(token);
  return [...token].map((_, i) => {
    const range = document.createRange();
    range.setStart(node, start + i);
    range.setEnd(node, start + i + 1);
    return range.getBoundingClientRect().x;
  });
}
"""


@pytest.mark.browser
def test_persian_settings_show_server_addresses_in_reading_order(page, live_server):
    """In right-to-left text «smtp://» is drawn s-m-t-p-:-/-/ from left to right, not as «//:smtp»."""
    from tests.fixtures.signup import sign_up

    sign_up(page, live_server, "jahat")
    page.wait_for_url(f"{live_server}/jahat/console/")
    page.goto(f"{live_server}/jahat/console/settings/channels")
    assert page.get_attribute("html", "dir") == "rtl"
    for field, token in (("mail-mail_url", "smtp://"), ("mailbox-mailbox_url", "imaps://")):
        label = page.locator(f"label[for='{field}']")
        drawn = label.evaluate(_DRAWN_AT, token)
        assert drawn == sorted(drawn), (field, drawn)
