"""Deadline policy: due dates on the tenant's working calendar, overrides, the legal deadline, holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from services.calendar.deadlines import compute_due_dates, load_calendar
from services.calendar.models import DeadlineRule, Holiday
from services.catalog.models import Category
from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import Tenant

# Saturday 21 November 2026, 09:00 in Tehran (UTC+3:30).
TEHRAN_SATURDAY_9 = datetime(2026, 11, 21, 5, 30, tzinfo=UTC)


def test_a_new_iranian_tenant_counts_on_saturday_to_wednesday_with_a_half_thursday(app, make_tenant):
    made = make_tenant(locale="fa")
    with app.app_context(), tenant_scope(made.tenant.id):
        tenant = db.session.get(Tenant, made.tenant.id)
        due = compute_due_dates(load_calendar(tenant), TEHRAN_SATURDAY_9, "normal", None)
    # 8 working hours: Saturday 09:00 → Saturday 16:00 is 7 h, then Sunday 08:00 + 1 h.
    assert due.acknowledge == datetime(2026, 11, 22, 5, 30, tzinfo=UTC)
    # 40 working hours: Saturday 7 h, Sunday to Wednesday 32 h, the last hour on Thursday morning.
    assert due.respond == datetime(2026, 11, 26, 5, 30, tzinfo=UTC)
    assert due.policy["respond"] == {"amount": 40, "unit": "working_hours", "rule": due.policy["rules"][-1]}
    assert due.legal is None
    assert (tenant.country, tenant.currency) == ("IR", "IRR")


def test_an_urgent_complaint_takes_the_priority_override(app, make_tenant):
    made = make_tenant(locale="fa")
    with app.app_context(), tenant_scope(made.tenant.id):
        tenant = db.session.get(Tenant, made.tenant.id)
        due = compute_due_dates(load_calendar(tenant), TEHRAN_SATURDAY_9, "urgent", None)
    assert due.acknowledge == datetime(2026, 11, 21, 7, 30, tzinfo=UTC)
    assert due.policy["acknowledge"]["amount"] == 2


def test_a_category_override_applies_to_its_children_and_falls_back_field_by_field(app, make_tenant):
    made = make_tenant(locale="fa")
    with app.app_context(), tenant_scope(made.tenant.id):
        tenant = db.session.get(Tenant, made.tenant.id)
        top = db.session.scalars(sa.select(Category).where(Category.parent_id.is_(None))).first()
        child = db.session.scalars(sa.select(Category).where(Category.parent_id == top.id)).first()
        db.session.add(DeadlineRule(category_id=top.id, respond_amount=3, respond_unit="calendar_days"))
        db.session.flush()
        due = compute_due_dates(load_calendar(tenant), TEHRAN_SATURDAY_9, "normal", child.id)
    assert due.policy["respond"]["unit"] == "calendar_days"
    # End of the local day three days later: Tuesday 24 November, 23:59:59 Tehran.
    assert due.respond.astimezone(UTC).date() == date(2026, 11, 24)
    assert due.policy["acknowledge"]["amount"] == 8


def test_a_kazakh_tenant_gets_the_ten_day_legal_deadline_with_its_basis(app, make_tenant):
    made = make_tenant(locale="ru")
    with app.app_context(), tenant_scope(made.tenant.id):
        tenant = db.session.get(Tenant, made.tenant.id)
        received = datetime(2026, 3, 5, 5, 0, tzinfo=UTC)
        due = compute_due_dates(load_calendar(tenant), received, "normal", None)
    assert (tenant.country, tenant.currency) == ("KZ", "KZT")
    assert due.legal.astimezone(UTC).date() == date(2026, 3, 15)
    assert "10" in str(due.policy["legal"]["days"])
    assert "потребител" in due.policy["legal"]["basis"]


def test_holidays_are_skipped(app, make_tenant):
    made = make_tenant(locale="fa")
    with app.app_context(), tenant_scope(made.tenant.id):
        tenant = db.session.get(Tenant, made.tenant.id)
        db.session.add(Holiday(day=date(2026, 11, 22), name="Sunday off"))
        db.session.flush()
        due = compute_due_dates(load_calendar(tenant), TEHRAN_SATURDAY_9, "normal", None)
    # Sunday is skipped: the last hour falls on Monday.
    assert due.acknowledge == datetime(2026, 11, 23, 5, 30, tzinfo=UTC)
