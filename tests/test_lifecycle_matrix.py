"""The state machine: every state × every step × every role, allowed or refused as the lifecycle says."""

from __future__ import annotations

import itertools

import pytest

from services.complaints import actions as corrective
from services.complaints import lifecycle
from services.complaints.models import Complaint, State
from tenants.context import tenant_scope
from tenants.db import db
from tenants.errors import Forbidden, NotAllowed, Refused
from tenants.models import StaffMember, Tenant

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])

ROLES = ("owner", "admin", "manager", "agent", "unit_member")
STAFF = {"owner", "admin", "manager", "agent"}
SENIOR = {"owner", "admin", "manager"}
OPEN = {"received", "acknowledged", "investigating", "action", "responded"}
# The specification, written out independently of services.complaints.lifecycle.RULES.
EXPECTED = {
    "acknowledge": ({"received"}, set(ROLES), "acknowledged"),
    "investigate": ({"acknowledged"}, set(ROLES), "investigating"),
    "decide": ({"investigating", "action"}, STAFF, None),
    "approve": ({"investigating", "action"}, SENIOR, None),
    "respond": ({"acknowledged", "investigating", "action"}, STAFF, "responded"),
    "close": ({"responded"}, STAFF, "closed"),
    "reopen": ({"responded"}, STAFF, "investigating"),
    "withdraw": (OPEN, STAFF, "withdrawn"),
    "escalate": (OPEN, SENIOR, None),
}
STATES = [s.value for s in State]


def _drive(owner: StaffMember, tenant: Tenant, complaint: Complaint, state: str, kind: str) -> None:
    """Take a registered complaint to `state` the ordinary way, as the owner."""
    if state == "received":
        return
    if state == "withdrawn":
        lifecycle.withdraw(owner, complaint, "The customer called to withdraw it.", complaint.version)
        return
    lifecycle.acknowledge(owner, complaint, complaint.version)
    if state == "acknowledged":
        return
    lifecycle.investigate(owner, complaint, complaint.version)
    db.session.flush()
    if kind == "complaint":
        action = corrective.add_action(owner, complaint.id, corrective.ActionInput("Retrain reception", None, "Rota"))
        db.session.flush()
        corrective.update_action_status(
            owner, complaint.id, action.id, status="done", note=None, version=action.version
        )
        db.session.flush()
        if state != "investigating":
            data = lifecycle.DecisionInput(justified=True, reasons="The wait was ours to prevent.")
            lifecycle.decide(owner, tenant, complaint, data, complaint.version)
            db.session.flush()
    if state in ("investigating", "action"):
        return
    lifecycle.respond(owner, complaint, "We apologise; reception has been retrained.", complaint.version)
    db.session.flush()
    if state == "closed":
        lifecycle.close(owner, complaint, None, complaint.version)


def _attempt(step: str, actor: StaffMember, tenant: Tenant, complaint: Complaint) -> None:
    v = complaint.version
    match step:
        case "acknowledge":
            lifecycle.acknowledge(actor, complaint, v)
        case "investigate":
            lifecycle.investigate(actor, complaint, v)
        case "decide":
            lifecycle.decide(actor, tenant, complaint, lifecycle.DecisionInput(True, "Reasons."), v)
        case "approve":
            lifecycle.approve(actor, complaint, v)
        case "respond":
            lifecycle.respond(actor, complaint, "Our answer.", v)
        case "close":
            lifecycle.close(actor, complaint, None, v)
        case "reopen":
            lifecycle.reopen(actor, tenant, complaint, "Not satisfied.", v)
        case "withdraw":
            lifecycle.withdraw(actor, complaint, "Withdrawn by phone.", v)
        case "escalate":
            lifecycle.escalate(actor, complaint, "Twice late.", v)


@pytest.mark.parametrize("step", list(EXPECTED))
def test_every_state_and_role_is_allowed_or_refused_as_specified(app, make_tenant, make_user, make_complaint, step):
    made = make_tenant()
    members = {"owner": made.owner} | {role: make_user(made.tenant, role) for role in ROLES if role != "owner"}
    states, roles, target = EXPECTED[step]
    outcomes: dict[tuple[str, str], str] = {}
    with app.app_context(), tenant_scope(made.tenant.id):
        tenant = db.session.get(Tenant, made.tenant.id)
        owner = db.session.get(StaffMember, made.owner.id)
        for state, role in itertools.product(STATES, ROLES):
            # `respond` is gated on a decision; a suggestion (no decision) shows the state rule alone,
            # and a justified complaint with its action done stands for the `action` state.
            kind = "suggestion" if step == "respond" and state != "action" else "complaint"
            complaint = make_complaint_in_session(tenant, owner, kind)
            _drive(owner, tenant, complaint, state, kind)
            db.session.flush()
            if step == "approve" and state in ("investigating", "action"):
                # An agent's decision waits for approval; that is what approve acts on.
                agent = db.session.get(StaffMember, members["agent"].id)
                data = lifecycle.DecisionInput(state == "action", "R.")
                lifecycle.decide(agent, tenant, complaint, data, complaint.version)
                db.session.flush()
            assert complaint.state == state
            actor = db.session.get(StaffMember, members[role].id)
            before_level = complaint.escalation_level
            savepoint = db.session.begin_nested()
            try:
                _attempt(step, actor, tenant, complaint)
                db.session.flush()
            except Forbidden:
                outcomes[state, role] = "forbidden"
            except NotAllowed:
                outcomes[state, role] = "not_allowed"
            else:
                outcomes[state, role] = "allowed"
                if target:
                    assert complaint.state == target, (state, role)
                if step == "escalate":
                    assert complaint.escalation_level == before_level + 1
            savepoint.rollback()
        db.session.rollback()
    for state, role in itertools.product(STATES, ROLES):
        if role not in roles:
            expected = "forbidden"
        elif state not in states:
            expected = "not_allowed"
        else:
            expected = "allowed"
        assert outcomes[state, role] == expected, (step, state, role)


def make_complaint_in_session(tenant: Tenant, owner: StaffMember, kind: str) -> Complaint:
    from services.complaints.registration import ComplaintInput, register_complaint

    data = ComplaintInput(channel="phone", complainant_name="Ali", subject="Late", description="Late.", kind=kind)
    complaint = register_complaint(owner, tenant, data)
    db.session.flush()
    return complaint


def test_suggestions_and_compliments_take_no_decision(app, make_tenant, make_complaint):
    made = make_tenant()
    suggestion = make_complaint(made, kind="suggestion")
    with app.app_context(), tenant_scope(made.tenant.id):
        tenant = db.session.get(Tenant, made.tenant.id)
        owner = db.session.get(StaffMember, made.owner.id)
        c = db.session.get(Complaint, suggestion.id)
        lifecycle.acknowledge(owner, c, c.version)
        lifecycle.investigate(owner, c, c.version)
        with pytest.raises(NotAllowed):
            lifecycle.decide(owner, tenant, c, lifecycle.DecisionInput(True, "R."), c.version)
        with pytest.raises(NotAllowed):
            corrective.add_action(owner, c.id, corrective.ActionInput("Something", None, "cause"))
        lifecycle.respond(owner, c, "Thank you for the idea.", c.version)
        assert c.state == "responded"


def test_refusals_carry_a_status_for_the_page(app, make_tenant, make_user, make_complaint):
    made = make_tenant()
    unit_member = make_user(made.tenant, "unit_member")
    complaint = make_complaint(made)
    with app.app_context(), tenant_scope(made.tenant.id):
        c = db.session.get(Complaint, complaint.id)
        member = db.session.get(StaffMember, unit_member.id)
        owner = db.session.get(StaffMember, made.owner.id)
        with pytest.raises(Refused) as refused_role:
            lifecycle.withdraw(member, c, "x", c.version)
        with pytest.raises(Refused) as refused_state:
            lifecycle.close(owner, c, None, c.version)
    assert refused_role.value.status == 403
    assert refused_state.value.status == 409
