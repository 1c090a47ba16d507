"""Reports by e-mail: with a real worker, our own Redis, PostgreSQL and a real SMTP server, a subscriber gets the
past month's pack once, as a PDF that opens; subscribing is for those who hold reviews, and each person ends
only their own subscription."""

from __future__ import annotations

import subprocess
from datetime import date

import sqlalchemy as sa
from redis import Redis
from rq import Queue

from services.records.models import ReportSubscription
from services.records.subscriptions import last_period, subscribe
from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import StaffMember, Tenant
from tests.test_records import pdf_text
from tests.test_workers import DADRAS, ROOT, _tenant, _unique_slug, pipeline  # noqa: F401 - the fixture
from workers.queues import DEFAULT


def _burst(env) -> None:
    worker = subprocess.Popen([*DADRAS, "worker", "--burst"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    _out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err


def test_the_months_pack_arrives_once_as_a_pdf_that_opens(pipeline, own_redis, tmp_path):  # noqa: F811
    app, env, inbox, made = pipeline
    tenant_id, owner_id = _tenant(app, made, _unique_slug("mailed"))
    with app.app_context(), tenant_scope(tenant_id):
        owner = db.session.get(StaffMember, owner_id)
        subscribe(owner, "pack", "monthly")
        subscribe(owner, "pack", "monthly")  # twice is once
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportSubscription)) == 1
        organization = db.session.get(Tenant, tenant_id).name
    redis = Redis.from_url(own_redis.url)
    Queue(DEFAULT, connection=redis).enqueue("workers.records.reports_by_mail")
    _burst(env)
    mailed = [m for m in inbox.messages if any(p.get_content_type() == "application/pdf" for p in m.walk())]
    assert len(mailed) == 1
    message = mailed[0]
    assert message["To"].addresses[0].addr_spec.startswith("owner")
    [attached] = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert attached.get_filename().startswith("management-review ")
    text = pdf_text(attached.get_payload(decode=True), tmp_path)
    assert "Management review" in text
    assert organization in text
    # The next run, and the one after, send nothing more for the same month.
    for _ in range(2):
        Queue(DEFAULT, connection=redis).enqueue("workers.records.reports_by_mail")
        _burst(env)
    assert len([m for m in inbox.messages if any(p.get_content_type() == "application/pdf" for p in m.walk())]) == 1
    with app.app_context(), tenant_scope(tenant_id):
        kept = db.session.scalar(sa.select(ReportSubscription))
        assert kept.last_period_first is not None


def test_weeks_start_on_the_organizations_first_weekday_and_months_follow_its_calendar():
    iranian = Tenant(country="IR", default_locale="fa", timezone="Asia/Tehran")
    kazakh = Tenant(country="KZ", default_locale="ru", timezone="Asia/Almaty")
    wednesday = date(2026, 12, 2)
    week = last_period(kazakh, "weekly", wednesday)
    assert (week.first, week.last) == (date(2026, 11, 23), date(2026, 11, 29))  # Monday to Sunday
    week = last_period(iranian, "weekly", wednesday)
    assert (week.first, week.last) == (date(2026, 11, 21), date(2026, 11, 27))  # Saturday to Friday
    month = last_period(kazakh, "monthly", wednesday)
    assert (month.first, month.last) == (date(2026, 11, 1), date(2026, 11, 30))
    month = last_period(iranian, "monthly", wednesday)  # آبان ۱۴۰۵
    assert (month.first, month.last) == (date(2026, 10, 23), date(2026, 11, 21))
