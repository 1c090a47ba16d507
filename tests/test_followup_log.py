"""The follow-up log: one entry per step, who and when, append-only (on PostgreSQL the app role cannot change it)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.complaints import actions as corrective
from services.complaints import lifecycle
from services.complaints.models import Complaint, ComplaintEvent
from services.complaints.operations import add_note, assign, message_customer
from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import StaffMember, Tenant


def test_every_step_is_one_entry_with_who_what_and_whether_the_customer_sees_it(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    with app.app_context(), tenant_scope(made.tenant.id):
        tenant = db.session.get(Tenant, made.tenant.id)
        owner = db.session.get(StaffMember, made.owner.id)
        c = db.session.get(Complaint, complaint.id)
        assign(owner, c.id, None, owner.id, c.version)
        lifecycle.acknowledge(owner, c, c.version)
        lifecycle.investigate(owner, c, c.version)
        add_note(owner, c.id, "Called the reception desk.")
        message_customer(owner, c.id, "We are looking into it.")
        action = corrective.add_action(owner, c.id, corrective.ActionInput("Retrain", None, "Training"))
        db.session.flush()
        corrective.update_action_status(owner, c.id, action.id, status="done", note=None, version=action.version)
        lifecycle.decide(owner, tenant, c, lifecycle.DecisionInput(True, "Our fault."), c.version)
        db.session.commit()
        events = db.session.scalars(
            sa.select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id).order_by(ComplaintEvent.id)
        ).all()
    kinds = [e.kind for e in events]
    assert kinds == [
        "registered",
        "assigned",
        "transition",
        "transition",
        "note",
        "message",
        "action_added",
        "action_updated",
        "decision",
        "transition",
    ]
    assert all(e.actor_id == made.owner.id for e in events)
    visible = {e.kind: e.customer_visible for e in events}
    assert visible["note"] is False
    assert visible["message"] is True
    assert events[1].data == {"handler_id": [None, made.owner.id]}
    assert events[2].data["state"] == ["received", "acknowledged"]


def test_no_route_edits_or_deletes_a_log_entry(app):
    for rule in app.url_map.iter_rules():
        assert not ({"PUT", "PATCH", "DELETE"} & set(rule.methods or ())), rule.rule
        assert "event" not in rule.rule, rule.rule


@pytest.mark.parametrize("db_backend", ["postgresql"])
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE complaint_events SET body = 'rewritten'",
        "DELETE FROM complaint_events",
        "DELETE FROM complaints",
        "DELETE FROM tracking_codes",
    ],
)
def test_the_application_role_cannot_update_or_delete_the_log(app, make_tenant, make_complaint, statement):
    """Nor delete a complaint or its code, which would take the log with it."""
    made = make_tenant()
    make_complaint(made)
    with app.app_context(), tenant_scope(made.tenant.id):
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), db.session.begin_nested():
            db.session.execute(sa.text(statement))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ComplaintEvent)) == 1
