"""After the answer: a customer who never reacts is told, then the complaint closes by itself (the tenant sets
the days); a closed complaint not rated gets one reminder; the settings are refused when they cannot work."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from services.complaints import lifecycle
from services.complaints.models import Complaint, ComplaintEvent
from services.portal import operations as portal
from services.portal import settings as portal_settings
from services.portal.followups import follow_up, follow_up_all
from services.portal.models import PortalSettings
from tenants.context import tenant_scope
from tenants.db import clock_at, db, utcnow
from tenants.errors import Refused
from tenants.models import StaffMember, Tenant


def _answered(app, made, make_complaint, **fields) -> int:
    complaint = make_complaint(made, email="sara@example.com", **fields)
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        tenant = db.session.get(Tenant, made.tenant.id)
        c = db.session.get(Complaint, complaint.id)
        lifecycle.acknowledge(owner, c, c.version)
        lifecycle.investigate(owner, c, c.version)
        lifecycle.decide(owner, tenant, c, lifecycle.DecisionInput(False, "No fault."), c.version)
        lifecycle.respond(owner, c, "Here is why.", c.version)
        db.session.commit()
    return complaint.id


def _events(app, made, complaint_id: int) -> list[str]:
    from services.notifications.models import Notice

    with app.app_context(), tenant_scope(made.tenant.id):
        return list(
            db.session.scalars(sa.select(Notice.event).where(Notice.complaint_id == complaint_id).order_by(Notice.id))
        )


def _awaited(app, made, complaint_id: int) -> list[bool]:
    from services.notifications.models import Notice

    with app.app_context(), tenant_scope(made.tenant.id):
        return list(
            db.session.scalars(sa.select(Notice.awaited).where(Notice.complaint_id == complaint_id).order_by(Notice.id))
        )


def _run(app, made, at):
    with clock_at(at), app.app_context(), tenant_scope(made.tenant.id):
        done = follow_up(db.session.get(Tenant, made.tenant.id), at)
        db.session.commit()
    return (done.warned, done.closed, done.reminded)


def test_an_answer_left_alone_is_told_then_closed_then_a_rating_is_asked_once(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint_id = _answered(app, made, make_complaint)
    now = utcnow()
    assert _run(app, made, now + timedelta(days=10)) == (0, 0, 0)
    assert _run(app, made, now + timedelta(days=11, minutes=1)) == (1, 0, 0)  # 14 - 3 days: told
    assert _run(app, made, now + timedelta(days=12)) == (0, 0, 0)  # once
    assert _run(app, made, now + timedelta(days=14, minutes=1)) == (0, 1, 0)  # closed by itself
    with app.app_context(), tenant_scope(made.tenant.id):
        c = db.session.get(Complaint, complaint_id)
        assert c.state == "closed"
        last = db.session.scalars(
            sa.select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id).order_by(ComplaintEvent.id.desc())
        ).first()
        assert (last.actor_kind, last.data["auto"], last.data["days"]) == ("system", True, 14)
    assert _run(app, made, now + timedelta(days=17, minutes=2)) == (0, 0, 1)  # three days later: a reminder
    assert _run(app, made, now + timedelta(days=18)) == (0, 0, 0)
    assert _events(app, made, complaint_id) == ["registered", "responded", "closing_soon", "closed", "rating_reminder"]
    # Nobody is at the portal for what the periodic job wrote: it leaves after what customers are waiting for.
    assert _awaited(app, made, complaint_id) == [True, True, False, False, False]


def test_a_rated_or_reopened_complaint_is_left_alone_and_zero_days_means_never(app, make_tenant, make_complaint):
    made = make_tenant()
    rated = _answered(app, made, make_complaint)
    reopened = _answered(app, made, make_complaint)
    with app.app_context(), tenant_scope(made.tenant.id):
        tenant = db.session.get(Tenant, made.tenant.id)
        portal.accept(tenant, db.session.get(Complaint, rated))
        portal.rate(db.session.get(Complaint, rated), 5, "Quick.")
        portal.reject(tenant, db.session.get(Complaint, reopened), "Not what I asked.")
        db.session.commit()
    assert _run(app, made, utcnow() + timedelta(days=30)) == (0, 0, 0)

    later = _answered(app, made, make_complaint)
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        tenant = db.session.get(Tenant, made.tenant.id)
        data = portal_settings.PortalInput(colour="#0d6efd", auto_close_days=0, rating_reminder_days=0)
        portal_settings.save(owner, tenant, data)
        db.session.commit()
    with clock_at(utcnow() + timedelta(days=60)), app.app_context():
        follow_up_all(utcnow() + timedelta(days=60))
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.get(Complaint, later).state == "responded"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"auto_close_days": -1}, "auto_close_days"),
        ({"auto_close_days": 400}, "auto_close_days"),
        ({"auto_close_days": 5, "auto_close_notice_days": 5}, "auto_close_notice_days"),
        ({"rating_reminder_days": 61}, "rating_reminder_days"),
    ],
)
def test_follow_up_settings_that_cannot_work_are_refused(app, make_tenant, change, field):
    made = make_tenant()
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        tenant = db.session.get(Tenant, made.tenant.id)
        with pytest.raises(Refused) as refused:
            portal_settings.save(owner, tenant, portal_settings.PortalInput(colour="#0d6efd", **change))
        assert refused.value.field == field
        assert db.session.scalars(sa.select(PortalSettings)).all() == []


def test_the_portal_settings_page_keeps_the_days(app, make_tenant, login_as):
    made = make_tenant(locale="ru")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/settings/portal"
    data = {"colour": "#123456", "auto_close_days": "10", "auto_close_notice_days": "2", "rating_reminder_days": "0"}
    assert client.post(url, data=data).status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        row = db.session.scalars(sa.select(PortalSettings)).one()
        assert (row.auto_close_days, row.auto_close_notice_days, row.rating_reminder_days) == (10, 2, 0)
    refused = client.post(url, data=data | {"auto_close_notice_days": "10"})
    assert refused.status_code == 422
    assert 'value="10"' in refused.get_data(as_text=True)
