"""In real Chromium: sign up in Persian, see the RTL console with Persian digits, log out, log in again."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.browser import ARTIFACTS
from tests.fixtures.signup import FA, PASSWORD, sign_up

pytestmark = pytest.mark.browser


def test_persian_signup_console_logout_login(page, live_server):
    sign_up(page, live_server, "azmayesh")
    page.wait_for_url(f"{live_server}/azmayesh/console/")
    assert page.get_attribute("html", "lang") == "fa"
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.text_content("#mine-open .stat-value").strip() == "۰"
    assert page.locator("#first-steps [data-step=invite_staff][data-done=no]").count() == 1
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-fa.png"), full_page=True)
    page.goto(f"{live_server}/azmayesh/console/settings/")
    assert page.text_content("#stat-staff").strip() == "۱"
    assert re.search(r"[۰-۹]", page.text_content("#stat-categories"))

    page.get_by_role("button", name=FA.gettext("Log out")).click()
    page.wait_for_url(re.compile(r".*/azmayesh/console/login$"))
    assert page.get_attribute("html", "dir") == "rtl"
    page.fill("#email", "leila@azmayesh.example.com")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name=FA.gettext("Log in")).click()
    page.wait_for_url(f"{live_server}/azmayesh/console/")
    assert "لیلا احمدی" in page.text_content("#user-menu")


def test_signup_with_a_taken_slug_says_so_in_persian(page, live_server):
    sign_up(page, live_server, "taken-slug")
    page.wait_for_url(f"{live_server}/taken-slug/console/")
    page.context.clear_cookies()
    sign_up(page, live_server, "taken-slug")
    error = page.locator("#slug-error")
    error.wait_for()
    assert error.text_content().strip() == FA.gettext("This address is already taken. Choose another one.")
    assert page.input_value("#name") == "درمانگاه آزمایشی"
    assert page.url == f"{live_server}/signup"
    page.screenshot(path=str(ARTIFACTS / "signup-taken-fa.png"), full_page=True)


def test_the_persian_console_fits_a_phone(page, live_server):
    sign_up(page, live_server, "phone-clinic")
    page.wait_for_url(f"{live_server}/phone-clinic/console/")
    page.set_viewport_size({"width": 375, "height": 740})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    menu = page.get_by_text(FA.gettext("Menu"))
    menu.click()
    assert page.get_by_role("button", name=FA.gettext("Log out")).first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "console-fa-phone.png"), full_page=True)
