"""The lifecycle steps the complaint page offers: which, in what order, under which button and asking for what
text, as the state, the reader's role and the cycle's decision allow."""

from __future__ import annotations

from flask_babel import force_locale

from services.complaints import lifecycle
from services.complaints.models import Complaint
from services.complaints.queries import complaint_file
from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import StaffMember
from tests.fixtures.scopes import in_tenant, investigating

WITHDRAW = ("withdraw", "Withdrawn by the customer", "Why the complaint is withdrawn")
ESCALATE = ("escalate", "Escalate", "Why it is escalated")


def _steps(app, made, complaint_id: int, viewer_id: int | None = None) -> list[tuple[str, str, str | None]]:
    """(action, button, the text it asks for) for each step the page offers `viewer_id` (the owner by default)."""
    with app.app_context(), tenant_scope(made.tenant.id):
        steps = complaint_file(db.session.get(StaffMember, viewer_id or made.owner.id), complaint_id).steps
    with app.test_request_context(), force_locale("en"):
        return [(s.action, str(s.name), str(s.asks) if s.asks is not None else None) for s in steps]


def _actions(app, made, complaint_id: int, viewer_id: int | None = None) -> list[str]:
    return [action for action, _name, _asks in _steps(app, made, complaint_id, viewer_id)]


def test_the_steps_follow_the_state_and_the_readers_role(app, make_tenant, make_user, make_complaint):
    made = make_tenant()
    agent = make_user(made.tenant, "agent")
    complaint = make_complaint(made)
    assert _steps(app, made, complaint.id) == [("acknowledge", "Acknowledge receipt", None), WITHDRAW, ESCALATE]
    with in_tenant(app, made) as s:
        c = db.session.get(Complaint, complaint.id)
        lifecycle.acknowledge(s.owner, c, c.version)
        db.session.commit()
    assert _actions(app, made, complaint.id) == ["investigate", "respond", "withdraw", "escalate"]
    assert _actions(app, made, complaint.id, agent.id) == ["investigate", "respond", "withdraw"]
    assert _steps(app, made, complaint.id)[1] == ("respond", "Send the answer", "The answer the customer will receive")


def test_approval_is_offered_only_while_a_decision_awaits_it(app, make_tenant, make_user, make_complaint):
    made = make_tenant()
    agent = make_user(made.tenant, "agent")
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        investigating(s, complaint.id)
        db.session.commit()
    assert "approve" not in _actions(app, made, complaint.id)  # no decision yet
    with in_tenant(app, made) as s:
        c = db.session.get(Complaint, complaint.id)
        worker = db.session.get(StaffMember, agent.id)
        lifecycle.decide(worker, s.tenant, c, lifecycle.DecisionInput(False, "Within policy."), c.version)
        db.session.commit()
    assert _steps(app, made, complaint.id)[0] == ("approve", "Approve the decision", None)
    assert "approve" not in _actions(app, made, complaint.id, agent.id)  # an agent approves nothing
    with in_tenant(app, made) as s:
        c = db.session.get(Complaint, complaint.id)
        lifecycle.approve(s.owner, c, c.version)
        db.session.commit()
    assert _actions(app, made, complaint.id) == ["respond", "withdraw", "escalate"]


def test_where_a_second_person_approves_the_maker_is_not_offered_approval(app, make_tenant, make_user, make_complaint):
    made = make_tenant()
    manager = make_user(made.tenant, "manager")
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        s.tenant.second_approval = True
        c = investigating(s, complaint.id)
        lifecycle.decide(s.owner, s.tenant, c, lifecycle.DecisionInput(True, "Our fault."), c.version)
        db.session.commit()
    assert "approve" not in _actions(app, made, complaint.id)
    assert _actions(app, made, complaint.id, manager.id)[0] == "approve"


def test_an_answered_complaint_offers_closing_and_reopening_and_a_closed_one_nothing(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made, kind="suggestion")
    with in_tenant(app, made) as s:
        c = db.session.get(Complaint, complaint.id)
        lifecycle.acknowledge(s.owner, c, c.version)
        lifecycle.respond(s.owner, c, "Thank you for the idea.", c.version)
        db.session.commit()
    assert _steps(app, made, complaint.id) == [
        ("close", "Close", "Closing note (optional)"),
        ("reopen", "Customer rejected the answer", "Why the customer rejected the answer"),
        WITHDRAW,
        ESCALATE,
    ]
    with in_tenant(app, made) as s:
        c = db.session.get(Complaint, complaint.id)
        lifecycle.close(s.owner, c, None, c.version)
        db.session.commit()
    assert _steps(app, made, complaint.id) == []
