"""In real Chromium, as a customer: file a complaint, track it, prove it is yours, reply with a file, reject
the first answer, accept the second and rate the handling; in Persian and in Russian. And an axe-core check
of every portal page in Persian and English."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from services.complaints import lifecycle
from services.complaints.models import Complaint
from tenants.context import enter_tenant, leave_tenant, tenant_scope
from tenants.db import db
from tenants.models import StaffMember, Tenant
from tenants.text import latin_digits, persian_digits
from tests.fixtures.app import base_overrides, sent_one_time_code
from tests.fixtures.backends import mark_exercised
from tests.fixtures.browser import serious_violations as _serious
from tests.fixtures.factories import PASSWORD
from tests.fixtures.files import make_pdf
from web import create_app

pytestmark = pytest.mark.browser

PERSIAN = {
    "slug": "fa-clinic",
    "locale": "fa",
    "name": "مریم رضایی",
    "phone": "۰۹۱۲ ۱۲۳ ۴۵۶۷",
    "subject": "نوبت دیرهنگام",
    "description": "دو ساعت منتظر ماندم و کسی توضیحی نداد.",
    "reply": "رسید پرداخت را پیوست کردم.",
    "reason": "پاسخ به رسید من اشاره‌ای نکرد.",
}
RUSSIAN = {
    "slug": "ru-clinic",
    "locale": "ru",
    "name": "Айгерим Бекова",
    "phone": "+7 701 123 4567",
    "subject": "Долгое ожидание",
    "description": "Я ждала два часа, и никто ничего не объяснил.",
    "reply": "Прикладываю чек об оплате.",
    "reason": "В ответе не учтён мой чек.",
}


@pytest.fixture
def live_app(tmp_path, live_server):
    """An app on the live server's database, for what the staff do through the services."""
    app = create_app(base_overrides(tmp_path) | {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.sqlite'}"})
    yield app
    with app.app_context():
        db.engine.dispose()


def _organization(app, slug: str, locale: str) -> int:
    from services.onboarding.operations import SignUp, sign_up

    token = enter_tenant(None)
    with app.app_context():
        tenant, _owner = sign_up(
            SignUp(
                name="Shafa" if locale != "fa" else "درمانگاه شفا",
                slug=slug,
                industry="clinic",
                locale=locale,
                timezone="Asia/Tehran" if locale == "fa" else "Asia/Almaty",
                owner_name="Owner",
                owner_email=f"owner@{slug}.example.com",
                password=PASSWORD,
            )
        )
        db.session.commit()
        tenant_id = tenant.id
    leave_tenant(token)
    return tenant_id


def _staff_answer(app, tenant_id: int, answer: str) -> None:
    """Through the services, as the owner: take the complaint as far as an answer."""
    with app.app_context(), tenant_scope(tenant_id):
        c = db.session.scalars(sa.select(Complaint)).one()
        owner = db.session.scalars(sa.select(StaffMember)).first()
        tenant = db.session.get(Tenant, tenant_id)
        if c.state == "received":
            lifecycle.acknowledge(owner, c, c.version)
            lifecycle.investigate(owner, c, c.version)
        lifecycle.decide(owner, tenant, c, lifecycle.DecisionInput(False, "No fault found."), c.version)
        lifecycle.respond(owner, c, answer, c.version)
        db.session.commit()


def _wait_for_proof_of_work(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("input[name=altcha]")).not_to_have_value("", timeout=30_000)


def _fits_the_phone(page) -> None:
    """Nothing wider than the phone's screen: no sideways scrolling."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _state(page) -> str:
    return page.locator(".state-card").get_attribute("data-state")


def _customer_flow(page, base: str, app, who: dict, tmp_path: Path) -> None:
    tenant_id = _organization(app, who["slug"], who["locale"])
    slug = who["slug"]
    page.goto(f"{base}/{slug}/")
    assert page.get_attribute("html", "lang") == who["locale"]
    page.locator(f"a[href='/{slug}/complaints/new']").first.click()
    page.set_viewport_size({"width": 375, "height": 800})
    page.wait_for_selector("#complainant_name")
    _fits_the_phone(page)
    page.fill("#complainant_name", who["name"])
    page.fill("#phone", who["phone"])
    page.fill("#subject", who["subject"])
    page.fill("#description", who["description"])
    # The browser solves the proof of work and hides the sum meant for pages without JavaScript.
    _wait_for_proof_of_work(page)
    assert not page.locator("#question").is_visible()
    page.locator("form[data-pow] button[type=submit]").click()
    page.wait_for_url(f"{base}/{slug}/complaints/*/receipt")
    code = page.locator("#tracking-code").get_attribute("data-code")
    assert len(code.replace("-", "")) == 13
    assert page.locator(".qr svg").count() == 1

    # Track it: the code typed in Persian digits with spaces, in a fresh browser (no proof yet).
    context = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    visitor = context.new_page()
    visitor.goto(f"{base}/{slug}/track")
    visitor.fill("#code", persian_digits(code.replace("-", " ")))
    visitor.locator("main form button[type=submit]").click()
    visitor.wait_for_url(f"{base}/{slug}/track/{code.replace('-', '')}")
    assert _state(visitor) == "received"
    _fits_the_phone(visitor)
    assert who["description"] not in visitor.content()

    # Prove it with the one-time code, typed in Persian digits.
    with visitor.expect_navigation():
        visitor.locator("#prove form[action$='/proof'] button[type=submit]").click()
    visitor.fill("#prove input[name=code]", persian_digits(sent_one_time_code(base.app)))
    visitor.locator("#prove form[action$='/verify'] button[type=submit]").click()
    visitor.wait_for_selector("#reply")
    assert who["description"] in visitor.content()

    # Reply with a file.
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(make_pdf())
    visitor.fill("#reply textarea[name=body]", who["reply"])
    visitor.set_input_files("#reply input[type=file]", str(receipt))
    visitor.locator("#reply button[type=submit]").click()
    visitor.wait_for_selector("[data-event='customer_message']")
    assert visitor.locator("[data-event='file']").count() == 1

    # The staff answer; the customer rejects, and the complaint is investigated again.
    _staff_answer(app, tenant_id, "First answer")
    visitor.reload()
    assert _state(visitor) == "responded"
    visitor.fill("#answer textarea", who["reason"])
    visitor.locator("#answer form[action$='/reject'] button[type=submit]").click()
    visitor.wait_for_selector(".state-card[data-state='investigating']")

    # A second answer; accepted; rated.
    _staff_answer(app, tenant_id, "Second answer")
    visitor.reload()
    visitor.locator("#answer form[action$='/accept'] button[type=submit]").click()
    visitor.wait_for_selector(".state-card[data-state='closed']")
    visitor.locator("#rating input[name=score][value='5']").check()
    visitor.fill("#rating textarea", "OK")
    visitor.locator("#rating button[type=submit]").click()
    # The rating given, with its comment and a thank-you; not the form again.
    visitor.wait_for_selector("#rating-given[data-score='5']")
    assert visitor.locator("#rating-comment").inner_text() == "OK"
    assert visitor.locator("#rating form").count() == 0
    _fits_the_phone(visitor)
    events = visitor.locator(".timeline [data-event]").evaluate_all("els => els.map(e => e.dataset.event)")
    assert events.count("customer_message") == 1
    assert events.count("transition") >= 6
    with app.app_context(), tenant_scope(tenant_id):
        c = db.session.scalars(sa.select(Complaint)).one()
        assert (c.state, c.reopen_count, c.phone) == ("closed", 1, c.phone)
    context.close()


def test_a_customer_in_persian_files_tracks_replies_rejects_accepts_and_rates(page, live_server, live_app, tmp_path):
    _customer_flow(page, live_server, live_app, PERSIAN, tmp_path)
    assert page.get_attribute("html", "dir") == "rtl"


def test_a_customer_in_russian_does_the_same(page, live_server, live_app, tmp_path):
    _customer_flow(page, live_server, live_app, RUSSIAN, tmp_path)


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_every_portal_page_passes_axe(page, live_server, live_app, locale):
    slug = f"axe-{locale}"
    tenant_id = _organization(live_app, slug, locale)
    page.goto(f"{live_server}/{slug}/complaints/new")
    page.fill("#complainant_name", "Test")
    page.fill("#phone", "+98 912 123 4567")
    page.fill("#subject", "Subject")
    page.fill("#description", "Description")
    _wait_for_proof_of_work(page)
    found = {"new": _serious(page)}
    page.locator("form[data-pow] button[type=submit]").click()
    page.wait_for_url("**/receipt")
    found["receipt"] = _serious(page)
    code = page.locator("#tracking-code").get_attribute("data-code").replace("-", "")
    for name, path in (("home", "/"), ("track", "/track"), ("status-proven", f"/track/{code}")):
        page.goto(f"{live_server}/{slug}{path}")
        found[name] = _serious(page)
    stranger = page.context.browser.new_context().new_page()
    stranger.goto(f"{live_server}/{slug}/track/{code}")
    found["status"] = _serious(stranger)
    stranger.goto(f"{live_server}/track")
    found["directory"] = _serious(stranger)
    _staff_answer(live_app, tenant_id, "An answer")
    page.goto(f"{live_server}/{slug}/track/{code}")
    found["status-answered"] = _serious(page)
    page.locator("#answer form[action$='/accept'] button[type=submit]").click()
    page.wait_for_selector(".state-card[data-state='closed']")
    found["status-closed"] = _serious(page)
    stranger.context.close()
    assert {name: v for name, v in found.items() if v} == {}


def test_an_expired_form_comes_back_with_what_was_typed(page, live_server, live_app):
    """With CSRF on: a page whose session was lost answers with the typed text and a clear message."""
    _organization(live_app, "expired-form", "en")
    page.goto(f"{live_server}/expired-form/complaints/new")
    page.fill("#complainant_name", "Aigerim")
    page.fill("#phone", "+98 912 123 4567")
    page.fill("#subject", "Kept subject")
    page.fill("#description", "Kept description")
    page.context.clear_cookies()
    page.locator("form[data-pow] button[type=submit]").click()
    page.wait_for_selector(".alert-danger")
    assert page.input_value("#subject") == "Kept subject"
    assert page.input_value("#description") == "Kept description"


def _count_complaints(app, tenant_id: int) -> int:
    with app.app_context(), tenant_scope(tenant_id):
        return db.session.scalar(sa.select(sa.func.count()).select_from(Complaint))


def _type_complaint(page, who: dict) -> None:
    page.fill("#complainant_name", who["name"])
    page.fill("#phone", who["phone"])
    page.fill("#subject", who["subject"])
    page.fill("#description", who["description"])


def _typed(page) -> list[str]:
    """What the form holds (digits come back Latin, as every input stores them)."""
    return [page.input_value(f"#{name}") for name in ("complainant_name", "phone", "subject", "description")]


KEPT = [PERSIAN["name"], latin_digits(PERSIAN["phone"]), PERSIAN["subject"], PERSIAN["description"]]


def test_going_back_after_filing_and_sending_again_shows_the_same_receipt(page, live_server, live_app):
    tenant_id = _organization(live_app, "back-again", "fa")
    page.goto(f"{live_server}/back-again/complaints/new")
    _type_complaint(page, PERSIAN)
    _wait_for_proof_of_work(page)
    page.locator("form[data-pow] button[type=submit]").click()
    page.wait_for_url("**/receipt")
    receipt = page.url
    page.go_back()
    page.wait_for_selector("#complainant_name")
    if page.input_value("#subject") != PERSIAN["subject"]:
        _type_complaint(page, PERSIAN)  # a browser that does not restore the fields: typed again, the same
    _wait_for_proof_of_work(page)
    page.locator("form[data-pow] button[type=submit]").click()
    page.wait_for_url("**/receipt")
    assert page.url == receipt
    assert _count_complaints(live_app, tenant_id) == 1


def test_switching_language_on_the_form_keeps_what_was_typed(page, live_server, live_app):
    """With JavaScript the switch goes on choosing; Enter in a field still sends the complaint."""
    tenant_id = _organization(live_app, "switch-js", "fa")
    page.goto(f"{live_server}/switch-js/complaints/new")
    assert page.get_attribute("html", "lang") == "fa"
    _type_complaint(page, PERSIAN)
    with page.expect_navigation():
        page.select_option("#lang-select", "ru")
    assert page.get_attribute("html", "lang") == "ru"
    assert page.get_attribute("html", "dir") == "ltr"
    assert _typed(page) == KEPT
    assert page.locator(".invalid-feedback").count() == 0
    assert _count_complaints(live_app, tenant_id) == 0
    _wait_for_proof_of_work(page)
    page.press("#subject", "Enter")
    page.wait_for_url("**/receipt")
    assert page.get_attribute("html", "lang") == "ru"
    assert _count_complaints(live_app, tenant_id) == 1


def test_switching_language_without_javascript_keeps_what_was_typed(chromium, live_server, live_app):
    tenant_id = _organization(live_app, "switch-plain", "fa")
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server}/switch-plain/complaints/new")
    _type_complaint(page, PERSIAN)
    page.select_option("#lang-select", "ru")
    with page.expect_navigation():
        page.click(".lang-switcher button.btn")
    assert page.get_attribute("html", "lang") == "ru"
    assert _typed(page) == KEPT
    assert _count_complaints(live_app, tenant_id) == 0
    help_text = page.locator("#question .form-text").inner_text()
    a, b = (int(n) for n in help_text.replace("?", " ").split() if n.isdigit())
    page.fill("#question_answer", str(a + b))
    with page.expect_navigation():
        page.press("#question_answer", "Enter")
    assert "/receipt" in page.url
    assert _count_complaints(live_app, tenant_id) == 1
    context.close()
    mark_exercised("chromium")


def test_switching_language_on_the_status_page_keeps_a_message_being_typed(page, live_server, live_app):
    """The complainant's page has several forms: with JavaScript, the switch keeps what was typed in them."""
    _organization(live_app, "switch-status", "fa")
    page.goto(f"{live_server}/switch-status/complaints/new")
    _type_complaint(page, PERSIAN)
    _wait_for_proof_of_work(page)
    page.locator("form[data-pow] button[type=submit]").click()
    page.wait_for_url("**/receipt")
    page.locator("a[href*='/track/']").first.click()
    page.wait_for_selector("#reply")
    page.fill("#reply textarea[name=body]", PERSIAN["reply"])
    with page.expect_navigation():
        page.select_option("#lang-select", "ru")
    page.wait_for_selector("#reply")
    assert page.get_attribute("html", "lang") == "ru"
    assert page.input_value("#reply textarea[name=body]") == PERSIAN["reply"]


def test_files_larger_than_a_request_may_be_are_not_sent_and_nothing_typed_is_lost(
    page, live_server, live_app, tmp_path
):
    """The server could only refuse such a request whole; the browser says so before sending."""
    live_server.app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    tenant_id = _organization(live_app, "large-files", "fa")
    page.goto(f"{live_server}/large-files/complaints/new")
    _type_complaint(page, PERSIAN)
    video = tmp_path / "video.pdf"
    video.write_bytes(make_pdf() + b"0" * (1024 * 1024 + 1))
    page.set_input_files("#attachments", str(video))
    _wait_for_proof_of_work(page)
    page.locator("form[data-pow] button[type=submit]").click()
    page.wait_for_selector("#files-too-large")
    assert "۱" in page.locator("#files-too-large").inner_text()  # the limit, in the reader's digits
    assert _typed(page)[2:] == [PERSIAN["subject"], PERSIAN["description"]]
    assert _count_complaints(live_app, tenant_id) == 0
