"""In real Chromium, in Persian: a complaint reopened once, decided twice, closed and rated shows both decisions
and the rating in Persian words and digits."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.fixtures.browser import ARTIFACTS
from tests.fixtures.signup import FA, sign_up

pytestmark = pytest.mark.browser


def _handled_twice_and_rated(app, slug: str) -> int:
    from services.complaints import lifecycle
    from services.complaints.models import Complaint
    from services.complaints.registration import ComplaintInput, register_complaint
    from services.portal import operations as portal
    from tenants.context import platform_scope, tenant_scope
    from tenants.db import db
    from tenants.models import StaffMember, Tenant

    with app.app_context():
        with platform_scope():
            tenant_id = db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug))
        with tenant_scope(tenant_id):
            tenant = db.session.get(Tenant, tenant_id)
            owner = db.session.scalars(sa.select(StaffMember)).one()
            c: Complaint = register_complaint(
                owner,
                tenant,
                ComplaintInput(
                    channel="phone",
                    complainant_name="مهدی کریمی",
                    subject="صورت‌حساب دوباره",
                    description="هزینهٔ ویزیت دو بار از کارت من برداشته شد.",
                ),
            )
            lifecycle.acknowledge(owner, c, c.version)
            lifecycle.investigate(owner, c, c.version)
            for reasons in ("برداشت دوم در گزارش بانک دیده نشد.", "برداشت دوم تأیید شد و بازگردانده می‌شود."):
                lifecycle.decide(owner, tenant, c, lifecycle.DecisionInput(False, reasons), c.version)
                db.session.flush()
                lifecycle.respond(owner, c, "پاسخ ما.", c.version)
                db.session.flush()
                if c.cycle == 1:
                    portal.reject(tenant, c, "برداشت دوم هنوز در حساب من است.")
                    db.session.flush()
            portal.accept(tenant, c)
            portal.rate(c, 4, "پیگیری خوب بود ولی دیر.")
            db.session.commit()
            return c.id


def test_a_reopened_and_rated_complaint_in_persian(page, live_server):
    sign_up(page, live_server, "history-clinic")
    page.wait_for_url(f"{live_server}/history-clinic/console/")
    complaint_id = _handled_twice_and_rated(live_server.app, "history-clinic")
    page.goto(f"{live_server}/history-clinic/console/complaints/{complaint_id}")
    assert page.get_attribute("html", "dir") == "rtl"
    assert "برداشت دوم تأیید شد" in page.text_content("#decision-summary")
    earlier = page.locator("#earlier-decisions")
    assert earlier.is_visible()
    assert "برداشت دوم در گزارش بانک دیده نشد." in earlier.text_content()
    assert FA.gettext("Handling round %(n)s") % {"n": "۱"} in earlier.text_content()
    rated = page.locator("#timeline [data-event='rated']").text_content()
    assert FA.gettext("The customer rated the handling") in rated
    assert f"۴ از ۵: {FA.gettext('well')}" in rated
    assert "پیگیری خوب بود ولی دیر." in rated
    rating = page.locator("#rating")
    assert rating.is_visible()
    assert "۴ از ۵" in rating.text_content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "complaint-history-fa.png"), full_page=True)
