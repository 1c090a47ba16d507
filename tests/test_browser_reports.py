"""In real Chromium, in Persian and in Russian: the home page of a handler and of a manager, two reports with
their charts drawn, a figure opened in the inbox, CSV and XLSX downloads read back, and axe-core on each page."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from tests.fixtures.backends import mark_exercised
from tests.fixtures.browser import ARTIFACTS, serious_violations

pytestmark = pytest.mark.browser
PASSWORD = "demo-password-2026"


@pytest.fixture
def demo(live_server):
    from services.onboarding.demo import seed_demo
    from tenants.db import db

    with live_server.app.app_context():
        seed_demo(PASSWORD)
        db.session.commit()
    return live_server


def _log_in(page, base: str, email: str, lang: str) -> None:
    page.goto(f"{base}/demo/console/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("form[action$='/console/login'] button[type=submit]").click()
    page.wait_for_url(f"{base}/demo/console/")
    page.select_option("#lang-select", lang)
    page.wait_for_selector(f'html[lang="{lang}"]')


def _listed(page) -> int:
    return page.locator("tr[id^='complaint-']").count()


@pytest.mark.parametrize("lang", ["fa", "ru"])
def test_home_reports_drill_down_and_downloads(chromium, demo, lang):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    found: dict[str, object] = {}
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        # A handler's home: their own work, no organization figures.
        _log_in(page, demo, "crm@demo-clinic.example", lang)
        assert page.locator("#mine-open").count() == 1
        assert page.locator("#organization").count() == 0
        found["home handler"] = serious_violations(page)
        page.screenshot(path=str(ARTIFACTS / f"home-handler-{lang}.png"), full_page=True)
        context.clear_cookies()

        # A manager's home: the organization, in the reader's digits.
        _log_in(page, demo, "manager@demo-clinic.example", lang)
        assert page.locator("#organization").count() == 1
        if lang == "fa":
            assert page.get_attribute("html", "dir") == "rtl"
            assert any("۰" <= ch <= "۹" for ch in page.text_content("#org-open"))
        found["home manager"] = serious_violations(page)
        page.screenshot(path=str(ARTIFACTS / f"home-manager-{lang}.png"), full_page=True)

        for name in ("volume", "timeliness", "outcomes", "satisfaction", "recurrence", "actions"):
            page.goto(f"{demo}/demo/console/reports/{name}?period=range&from=2024-01-01&to=2030-12-31")
            page.wait_for_function(
                "document.querySelectorAll('canvas[data-chart]').length === 0 || "
                "[...document.querySelectorAll('canvas[data-chart]')].every(c => window.Chart && Chart.getChart(c))"
            )
            if name in ("volume", "timeliness", "satisfaction"):
                assert page.locator("canvas[data-chart]").count() >= 1
            found[f"report {name}"] = serious_violations(page)
            page.screenshot(path=str(ARTIFACTS / f"report-{name}-{lang}.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 900})
            page.screenshot(path=str(ARTIFACTS / f"report-{name}-{lang}-phone.png"), full_page=True)
            page.set_viewport_size({"width": 1280, "height": 900})

        # A figure opens exactly the complaints it counts.
        page.goto(f"{demo}/demo/console/reports/volume?period=range&from=2024-01-01&to=2030-12-31")
        link = page.locator("table[data-table=categories] a[data-count]").first
        count = int(link.get_attribute("data-count"))
        assert count > 0
        link.click()
        page.wait_for_selector("#inbox-results")
        assert _listed(page) == min(count, 25)  # the inbox's first page
        found["inbox drill-down"] = serious_violations(page)

        # The inbox downloads what it lists.
        page.goto(f"{demo}/demo/console/complaints?tab=all")
        with page.expect_download() as download:
            page.click("#export-csv")
        data = Path(download.value.path()).read_bytes()
        assert data.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";" if lang == "ru" else ","))
        assert len(rows) > 5
        with page.expect_download() as download:
            page.click("#export-xlsx")
        book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
        assert book.active.max_row == len(rows)
        assert bool(book.active.sheet_view.rightToLeft) == (lang == "fa")
        assert {k: v for k, v in found.items() if v} == {}
    finally:
        context.close()
        mark_exercised("chromium")
