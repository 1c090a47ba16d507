"""The management-review pack (ISO 10002 8.6): its figures are the reports' figures for the same period, its
charts are drawn without script, the previous review's decisions come back with their status; reviews are
recorded with their decisions; a handler may not, another tenant sees nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from services.records.models import ManagementReview, ReviewDecision
from tenants.db import db
from tests.fixtures.reports import seed
from tests.fixtures.scopes import in_tenant
from tests.test_records import pdf_text

PACK = ("volume", "timeliness", "outcomes", "satisfaction", "recurrence", "actions")


def _tables(html: str) -> dict[str, list[str]]:
    """{table key: the counts it shows, in order}."""
    return {
        key: re.findall(r'data-count="(\d+)"', body)
        for key, body in re.findall(r'<table[^>]*data-table="([^"]+)"[^>]*>(.*?)</table>', html, re.S)
    }


def test_the_pack_shows_exactly_the_reports_figures(app, client, login_as, make_tenant):
    made = make_tenant()
    seed(app, made.tenant.id, start=datetime.now(UTC) - timedelta(days=40), days=38, count=60)
    login_as(client, made.tenant, made.owner)
    slug = made.tenant.slug
    pack = client.get(f"/{slug}/console/reports/review/pack?period=this_year")
    assert pack.status_code == 200
    html = pack.get_data(as_text=True)
    assert "<script" not in html
    assert "<svg" in html
    sections = dict(re.findall(r'<section class="report" data-report="([^"]+)">(.*?)</section>', html, re.S))
    assert tuple(sections) == PACK
    compared = 0
    for name in PACK:
        page = client.get(f"/{slug}/console/reports/{name}?period=this_year").get_data(as_text=True)
        shown, printed = _tables(page), _tables(sections[name])
        assert set(printed) == set(shown), name
        for key, counts in shown.items():
            assert printed[key] == counts, (name, key)
            compared += len(counts)
    assert compared > 50


def test_a_review_is_recorded_and_its_decisions_are_followed_up_in_the_next_pack(  # noqa: PLR0917
    app, client, login_as, make_tenant, make_user, tmp_path
):
    made = make_tenant(locale="fa")
    slug = made.tenant.slug
    login_as(client, made.tenant, made.owner)
    base = f"/{slug}/console/reports/review?period=last_month"
    page = client.get(base)
    assert page.status_code == 200
    refused = client.post(base, data={"held_on": "۱۴۰۵/۰۹/۰۵", "attendees": "", "decision-0-text": "کاهش انتظار"})
    assert refused.status_code == 422
    assert "کاهش انتظار" in refused.get_data(as_text=True)  # what was typed is kept
    done = client.post(
        base,
        data={
            "held_on": "۱۴۰۵/۰۹/۰۵",
            "attendees": "مدیرعامل، مسئول کیفیت",
            "decision-0-text": "کاهش زمان انتظار در پذیرش",
            "decision-0-owner": str(made.owner.id),
            "decision-0-due": "۱۴۰۵/۱۰/۳۰",
            "decision-1-text": "آموزش کارکنان",
        },
    )
    assert done.status_code in (302, 303)
    with in_tenant(app, made):
        review = db.session.scalar(sa.select(ManagementReview))
        decisions = db.session.scalars(sa.select(ReviewDecision).order_by(ReviewDecision.id)).all()
        assert review.attendees == "مدیرعامل، مسئول کیفیت"
        assert [d.text for d in decisions] == ["کاهش زمان انتظار در پذیرش", "آموزش کارکنان"]
        first_id = decisions[0].id
    assert client.post(
        f"/{slug}/console/reports/review/decisions/{first_id}", data={"status": "done", "note": "انجام شد"}
    ).status_code in (302, 303)
    assert (
        client.post(f"/{slug}/console/reports/review/decisions/{first_id}", data={"status": "forgotten"}).status_code
        == 422
    )
    # The next period's pack follows the decisions up, with their status, in Persian.
    pack = client.get(f"/{slug}/console/reports/review/pack?period=this_month").get_data(as_text=True)
    assert 'data-status="done"' in pack
    assert "کاهش زمان انتظار در پذیرش" in pack
    pdf = client.get(f"/{slug}/console/reports/review/pack?period=this_month&format=pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.data, tmp_path)
    assert "کاهش زمان انتظار در پذیرش" in text
    assert "بازنگری مدیریت" in text
    # A handler neither makes the pack nor records a review; another organization sees nothing of this one's.
    other = make_tenant()
    client.post(f"/{slug}/console/logout")
    login_as(client, made.tenant, make_user(made.tenant, "agent"))
    assert client.get(f"/{slug}/console/reports/review/pack?period=this_month").status_code == 403
    client.post(f"/{slug}/console/logout")
    login_as(client, other.tenant, other.owner)
    theirs = client.get(f"/{other.tenant.slug}/console/reports/review?period=last_month").get_data(as_text=True)
    assert "کاهش زمان انتظار" not in theirs
    assert (
        client.post(
            f"/{other.tenant.slug}/console/reports/review/decisions/{first_id}", data={"status": "dropped"}
        ).status_code
        == 404
    )
