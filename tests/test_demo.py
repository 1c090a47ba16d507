"""The demo clinic opens on a living inbox: complaints in every state, with actions, messages and a history."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from services.complaints.models import Complaint, ComplaintEvent, CorrectiveAction, Decision, State
from services.onboarding.demo import DEMO_SLUG, seed_demo
from tenants.context import tenant_scope
from tenants.db import db, utcnow
from tenants.models import Tenant


def _seeded(app):
    with app.app_context():
        assert seed_demo("demo-password-2026")
        db.session.commit()
        return db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == DEMO_SLUG))


def test_every_state_holds_several_complaints(app):
    tenant_id = _seeded(app)
    with app.app_context(), tenant_scope(tenant_id):
        states = Counter(db.session.scalars(sa.select(Complaint.state)))
        actions = Counter(db.session.scalars(sa.select(CorrectiveAction.status)))
        kinds = Counter(db.session.scalars(sa.select(ComplaintEvent.kind)))
        decisions = db.session.scalar(sa.select(sa.func.count()).select_from(Decision))
    assert sum(states.values()) >= 30
    assert all(states[s.value] >= 3 for s in State), states
    assert actions["done"] + actions["verified_effective"] >= 3
    assert actions["planned"] + actions["in_progress"] >= 3
    assert kinds["message"] >= 5
    assert kinds["note"] >= 5
    assert decisions >= 10


def test_each_history_runs_forward_from_its_arrival_and_stops_before_now(app):
    tenant_id = _seeded(app)
    now = utcnow()
    with app.app_context(), tenant_scope(tenant_id):
        complaints = {c.id: c for c in db.session.scalars(sa.select(Complaint))}
        events = db.session.scalars(sa.select(ComplaintEvent).order_by(ComplaintEvent.id)).all()
    last: dict[int, object] = {}
    for event in events:
        complaint = complaints[event.complaint_id]
        assert complaint.received_at <= event.at <= now
        assert last.get(event.complaint_id, event.at) <= event.at
        last[event.complaint_id] = event.at
    spread = max(c.received_at for c in complaints.values()) - min(c.received_at for c in complaints.values())
    assert spread.days >= 30


def test_the_demo_inbox_opens_in_persian(app, login_as):
    _seeded(app)
    client = app.test_client()
    response = client.post(
        f"/{DEMO_SLUG}/console/login", data={"email": "owner@demo-clinic.example", "password": "demo-password-2026"}
    )
    assert response.status_code == 303
    page = client.get(f"/{DEMO_SLUG}/console/complaints?tab=all").get_data(as_text=True)
    assert 'dir="rtl"' in page
    assert page.count('id="complaint-') == 25
