"""In real Chromium: the console's main pages fit a phone, a small laptop and a desktop, in Russian and Persian."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.backends import mark_exercised
from tests.fixtures.browser import ARTIFACTS, serious_violations

pytestmark = pytest.mark.browser

WIDTHS = (390, 1024, 1280)
PAGES = (
    "/demo/console/",
    "/demo/console/complaints",
    "/demo/console/complaints/new",
    "/demo/console/settings/staff",
    "/demo/console/settings/categories",
    "/demo/console/settings/calendar",
    "/demo/console/settings/deadlines",
    "/demo/console/settings/notices",
    "/demo/console/settings/channels",
    "/demo/console/settings/",
    "/demo/console/settings/reporting",
    "/demo/console/reports/",
    "/demo/console/reports/volume?period=this_year",
    "/demo/console/reports/satisfaction?period=this_year",
    "/demo/console/reports/actions?period=this_year",
    "/demo/console/reports/review?period=last_month",
    "/demo/console/audits",
    "/demo/console/settings/records",
    "/demo/console/settings/personal-data?phone=09121234567",
    "/demo/console/complaints/1/forms/registration",
    "/demo/console/complaints/1/forms/follow_up",
)

MISFITS = (Path(__file__).parent / "fixtures" / "misfits.js").read_text(encoding="utf-8")


@pytest.fixture
def demo(live_server):
    from services.onboarding.demo import seed_demo
    from tenants.db import db

    with live_server.app.app_context():
        seed_demo("demo-password-2026")
        db.session.commit()
    return live_server


def _log_in(page, base: str, lang: str) -> None:
    from services.onboarding.demo import DEMO_EMAIL

    page.goto(f"{base}/demo/console/login")
    page.fill("#email", DEMO_EMAIL)
    page.fill("#password", "demo-password-2026")
    page.locator("form[action$='/console/login'] button[type=submit]").click()
    page.wait_for_url(f"{base}/demo/console/")
    page.select_option("#lang-select", lang)
    page.wait_for_selector(f'html[lang="{lang}"]')


@pytest.mark.parametrize("lang", ["ru", "fa"])
def test_the_console_fits_every_width(chromium, demo, lang):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _log_in(page, demo, lang)
        page.goto(f"{demo}/demo/console/complaints?tab=all")
        complaint = page.locator("a[href*='/demo/console/complaints/']").evaluate_all(
            "links => links.map(a => a.getAttribute('href')).filter(h => /complaints\\/\\d+$/.test(h))"
        )[0]
        found = {}
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for path in (*PAGES, complaint):
                page.goto(f"{demo}{path}")
                misfits = page.evaluate(MISFITS)
                if misfits:
                    found[f"{width} {path}"] = misfits
            ARTIFACTS.mkdir(exist_ok=True)
            page.goto(f"{demo}/demo/console/complaints")
            page.screenshot(path=str(ARTIFACTS / f"inbox-{lang}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        for path in ("/demo/console/complaints?tab=all", complaint):  # every state's badge, the log
            page.goto(f"{demo}{path}")
            if violations := serious_violations(page):
                found[f"axe {path}"] = violations
        assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
    finally:
        context.close()
        mark_exercised("chromium")
