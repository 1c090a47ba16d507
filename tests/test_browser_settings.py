"""In real Chromium, in Persian: the escalation, notice, delivery and connection settings work and pass axe-core."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import ARTIFACTS
from tests.fixtures.browser import serious_violations as _serious
from tests.fixtures.signup import sign_up

pytestmark = pytest.mark.browser


def test_the_escalation_notice_and_delivery_settings_in_persian(page, live_server):
    sign_up(page, live_server, "tanzimat")
    page.wait_for_url(f"{live_server}/tanzimat/console/")
    base = f"{live_server}/tanzimat/console/settings"
    found = {}

    page.goto(f"{base}/escalation")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.locator("[data-rule]").count() == 2  # the two starting rules, named in Persian
    found["escalation"] = _serious(page)
    page.fill("#new-name", "اطلاع به مدیران")
    page.select_option("#new-trigger", "overdue")
    page.fill("#new-amount", "1")
    page.select_option("#new-unit", "days")
    page.check("input[name='new-notify_roles'][value='manager']")
    page.locator("form[action$='/settings/escalation'] button[type=submit]").click()
    page.wait_for_selector("[data-rule]:nth-child(3)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "escalation-fa.png"), full_page=True)
    page.locator("[data-rule] a").first.click()
    page.wait_for_selector("#preview-heading")
    found["escalation-rule"] = _serious(page)

    page.goto(f"{base}/notices")
    found["notices"] = _serious(page)
    page.check("#copy-assigned-managers")
    page.locator("form[action$='/settings/notices'] button[type=submit]").click()
    page.wait_for_selector("#copy-assigned-managers:checked")
    page.screenshot(path=str(ARTIFACTS / "notices-fa.png"), full_page=True)
    page.goto(f"{base}/notices/registered?channel=email&lang=fa")
    page.locator("button[name=do][value=preview]").click()
    page.wait_for_selector("#preview-heading")
    assert "۱۲۳۴" in page.text_content("main") or "1234-5678-90128" in page.text_content("main")
    found["notice-wording"] = _serious(page)
    page.screenshot(path=str(ARTIFACTS / "notice-wording-fa.png"), full_page=True)

    page.goto(f"{base}/deliveries")
    found["deliveries"] = _serious(page)
    page.goto(f"{base}/channels")
    found["connections"] = _serious(page)
    page.screenshot(path=str(ARTIFACTS / "connections-fa.png"), full_page=True)
    assert {name: v for name, v in found.items() if v} == {}


def test_complaints_by_email_in_persian(page, live_server, imap_server):
    """Connect a mailbox in the Persian console, let a mail arrive and be read, see what became of it."""
    from tests.fixtures.mails import mail
    from workers.intake import mailboxes

    sign_up(page, live_server, "sandogh")
    page.wait_for_url(f"{live_server}/sandogh/console/")
    user, password = imap_server.new_mailbox()
    page.goto(f"{live_server}/sandogh/console/settings/channels")
    page.fill("#mailbox-mailbox_url", imap_server.url(user, password))
    page.locator("form[action$='/settings/channels/mailbox'] button[type=submit]").click()
    page.wait_for_selector("[data-mailbox]")
    imap_server.deliver(
        user, password, mail("شکایت از صف انتظار", "دو ساعت در صف ماندم.", sender="Sara <sara@example.com>")
    )
    imap_server.deliver(user, password, mail("Out of office", "Away.", headers={"Auto-Submitted": "auto-replied"}))
    with live_server.app.app_context():
        assert mailboxes() == 1
    page.goto(f"{live_server}/sandogh/console/settings/channels")
    rows = page.locator("#inbound-mails tbody tr")
    assert rows.count() == 2
    assert page.locator("#inbound-mails [data-outcome='registered']").count() == 1
    assert page.locator("#inbound-mails [data-outcome='ignored:auto_reply']").count() == 1
    assert page.get_attribute("html", "dir") == "rtl"
    page.locator("#mailbox-heading").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "mailbox-fa.png"), full_page=True)
    assert _serious(page) == []
    page.locator("#inbound-mails a").first.click()
    page.wait_for_selector("#timeline")
    assert "دو ساعت در صف ماندم." in page.text_content("main")


def test_inviting_a_colleague_with_javascript_on(page, live_server):
    """The invitation form posts through htmx: a wrong address comes back marked, a right one is sent."""
    sign_up(page, live_server, "davat")
    page.wait_for_url(f"{live_server}/davat/console/")
    page.goto(f"{live_server}/davat/console/settings/staff")
    page.fill("#email", "not-an-address")
    page.locator("#invite-form button[type=submit]").click()
    page.wait_for_selector("#invite-form #email.is-invalid")
    assert page.input_value("#email") == "not-an-address"
    page.fill("#email", "colleague@example.com")
    page.select_option("#role", "agent")
    page.locator("#invite-form button[type=submit]").click()
    page.wait_for_selector("#invite-form [role=status]")
    assert "colleague@example.com" in page.text_content("#invite-form [role=status]")
    page.wait_for_selector("text=colleague@example.com >> nth=1")
    assert _serious(page) == []
