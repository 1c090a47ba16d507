"""In real Chromium, in Persian: a phone complaint from registration to closing, every step in the timeline."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.browser import ARTIFACTS
from tests.fixtures.signup import FA, sign_up

pytestmark = pytest.mark.browser

EXPECTED_TIMELINE = [
    "registered",
    "assigned",
    "transition",  # acknowledged
    "transition",  # investigating
    "action_added",
    "action_updated",  # in progress
    "action_updated",  # done
    "decision",
    "transition",  # corrective action
    "transition",  # answered
    "transition",  # closed
]


def _events(page) -> int:
    return page.locator("#timeline [data-event]").count()


def _after(page, before: int) -> None:
    """Wait until the file region was swapped in with one more log entry."""
    page.locator("#timeline [data-event]").nth(before).wait_for(state="attached")


def _step(page, step: str, text: str | None = None) -> None:
    before = _events(page)
    form = page.locator(f"#steps form[action$='/steps/{step}']")
    if text is not None:
        page.locator(f"#steps summary[data-step='{step}']").click()
        form.locator("textarea").fill(text)
    form.locator("button[type=submit]").click()
    _after(page, before)


def _action_status(page, status: str) -> None:
    before = _events(page)
    article = page.locator("#actions article").first
    article.locator("select[name=status]").select_option(status)
    article.locator("form[action$='/status'] button[type=submit]").click()
    _after(page, before)


def test_a_phone_complaint_from_registration_to_closing_in_persian(page, live_server):
    sign_up(page, live_server, "flow-clinic")
    page.wait_for_url(f"{live_server}/flow-clinic/console/")
    page.goto(f"{live_server}/flow-clinic/console/complaints/new")
    assert page.get_attribute("html", "dir") == "rtl"
    page.select_option("#channel", "phone")
    page.fill("#complainant_name", "مهدی کریمی")
    page.fill("#phone", "۰۹۱۲ ۱۲۳ ۴۵۶۷")
    page.fill("#subject", "انتظار طولانی در پذیرش")
    page.fill("#description", "سه‌شنبه صبح دو ساعت در صف پذیرش ماندم و کسی پاسخگو نبود.")
    page.select_option("#category_id", index=2)
    page.get_by_role("button", name=FA.gettext("Register"), exact=True).click()
    page.wait_for_url(re.compile(r".*/flow-clinic/console/complaints/\d+$"))
    code = page.text_content("#tracking-code").strip()
    assert re.fullmatch(r"[۰-۹]{4}-[۰-۹]{4}-[۰-۹]{5}", code)
    assert "+۹۸۹۱۲۱۲۳۴۵۶۷" in page.text_content("#complainant")
    assert page.text_content("#complaint-state").strip() == FA.gettext("Received")

    before = _events(page)
    page.select_option("#assign-unit_id", index=1)
    page.select_option("#assign-handler_id", index=1)
    page.locator("#assignment button[type=submit]").click()
    _after(page, before)
    assert page.text_content("#handler-name").strip() == "لیلا احمدی"

    _step(page, "acknowledge")
    _step(page, "investigate")
    assert page.text_content("#complaint-state").strip() == FA.gettext("Under investigation")

    before = _events(page)
    page.locator("summary[data-step='add-action']").click()
    page.select_option("#action-root_cause_id", index=1)
    page.fill("#action-description", "آموزش کارکنان پذیرش و افزودن یک باجه در ساعات شلوغ")
    page.fill("#action-due_on", "۱۴۰۵/۱۰/۰۱")
    page.locator("#actions form[action$='/actions'] button[type=submit]").click()
    _after(page, before)
    _action_status(page, "in_progress")
    _action_status(page, "done")

    before = _events(page)
    page.locator("summary[data-step='decide']").click()
    page.check("#decision-justified-0")
    page.fill("#decision-reasons", "صف پذیرش در ساعات شلوغ بیش از حد طولانی بود.")
    page.fill("#decision-remedy", "نوبت بعدی بدون انتظار")
    page.locator("#decision form button[type=submit]").click()
    _after(page, before)
    assert page.text_content("#complaint-state").strip() == FA.gettext("Corrective action")

    _step(page, "respond", "از شکیبایی شما سپاسگزاریم؛ یک باجه به پذیرش افزوده شد.")
    assert page.text_content("#complaint-state").strip() == FA.gettext("Answered")
    _step(page, "close", "بیمار پاسخ را پذیرفت.")
    assert page.text_content("#complaint-state").strip() == FA.gettext("Closed")

    kinds = [e.get_attribute("data-event") for e in page.locator("#timeline [data-event]").all()]
    assert kinds == EXPECTED_TIMELINE
    timeline = page.text_content("#timeline")
    for state in ("Acknowledged", "Under investigation", "Corrective action", "Answered", "Closed"):
        assert FA.gettext(state) in timeline
    assert "از شکیبایی شما سپاسگزاریم" in timeline
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "complaint-fa.png"), full_page=True)

    page.goto(f"{live_server}/flow-clinic/console/complaints?tab=closed")
    assert code in page.text_content("#inbox-results")
    page.screenshot(path=str(ARTIFACTS / "inbox-fa.png"), full_page=True)
