"""In real Chromium, in Persian: the escalation, notice, delivery and connection settings work and pass axe-core."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import ARTIFACTS
from tests.test_browser_portal import _serious
from tests.test_browser_signup import sign_up

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
