"""Gating rules, reopening, the optimistic lock, corrective actions and assignment."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from services.complaints import actions as corrective
from services.complaints import lifecycle
from services.complaints.models import Complaint, ComplaintEvent, CorrectiveAction
from services.complaints.operations import assign
from tenants.db import db, utcnow
from tenants.errors import NotAllowed, NotFound, Refused, StaleEdit
from tenants.models import StaffMember
from tests.fixtures.scopes import in_tenant, investigating


def test_an_answer_needs_a_decision_first(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        c = investigating(s, complaint.id)
        with pytest.raises(Refused, match="decision") as refused:
            lifecycle.respond(s.owner, c, "Our answer.", c.version)
        assert refused.value.status == 422
        assert c.state == "investigating"


def test_open_corrective_actions_block_the_answer(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        c = investigating(s, complaint.id)
        action = corrective.add_action(s.owner, c.id, corrective.ActionInput("Fix the rota", None, "Understaffed"))
        lifecycle.decide(s.owner, s.tenant, c, lifecycle.DecisionInput(True, "Our fault."), c.version)
        db.session.flush()
        assert c.state == "action"
        with pytest.raises(Refused, match="corrective action"):
            lifecycle.respond(s.owner, c, "Answer.", c.version)
        corrective.update_action_status(
            s.owner, c.id, action.id, status="deferred", note="Needs next year's budget", version=action.version
        )
        db.session.flush()
        lifecycle.respond(s.owner, c, "Answer.", c.version)
        assert c.state == "responded"


def test_a_justified_complaint_needs_at_least_one_action(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        c = investigating(s, complaint.id)
        lifecycle.decide(s.owner, s.tenant, c, lifecycle.DecisionInput(True, "Our fault."), c.version)
        db.session.flush()
        with pytest.raises(Refused, match="at least one corrective action"):
            lifecycle.respond(s.owner, c, "Answer.", c.version)


def test_an_agents_decision_waits_for_a_managers_approval(app, make_tenant, make_user, make_complaint):
    made = make_tenant()
    agent_row, manager_row = make_user(made.tenant, "agent"), make_user(made.tenant, "manager")
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        agent = db.session.get(StaffMember, agent_row.id)
        manager = db.session.get(StaffMember, manager_row.id)
        c = investigating(s, complaint.id)
        decision = lifecycle.decide(agent, s.tenant, c, lifecycle.DecisionInput(False, "Within policy."), c.version)
        db.session.flush()
        assert decision.approved_by_id is None
        with pytest.raises(Refused, match="approve"):
            lifecycle.respond(agent, c, "Answer.", c.version)
        lifecycle.approve(manager, c, c.version)
        db.session.flush()
        assert decision.approved_by_id == manager.id
        lifecycle.respond(agent, c, "Answer.", c.version)
        assert c.state == "responded"


def test_the_decision_records_compensation_in_the_tenants_currency(app, make_tenant, make_complaint):
    made = make_tenant(locale="kk")
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        c = investigating(s, complaint.id)
        data = lifecycle.DecisionInput(True, "Our fault.", "Consumer law art. 30", "Refund", 15000)
        decision = lifecycle.decide(s.owner, s.tenant, c, data, c.version)
        assert (decision.compensation_amount, decision.currency) == (15000, "KZT")
        assert decision.legal_grounds == "Consumer law art. 30"
        assert decision.approved_by_id == s.owner.id


def _responded(s, complaint_id: int) -> Complaint:
    c = investigating(s, complaint_id)
    lifecycle.decide(s.owner, s.tenant, c, lifecycle.DecisionInput(False, "Within policy."), c.version)
    db.session.flush()
    lifecycle.respond(s.owner, c, "Answer.", c.version)
    db.session.flush()
    return c


def test_each_rejection_reopens_into_investigation_and_is_counted(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made, received_at=utcnow() - timedelta(days=20))
    with in_tenant(app, made) as s:
        c = _responded(s, complaint.id)
        first_due = c.respond_due_at
        lifecycle.reopen(s.owner, s.tenant, c, "Still waiting for the refund.", c.version)
        db.session.flush()
        assert (c.state, c.reopen_count, c.cycle) == ("investigating", 1, 2)
        assert c.respond_due_at > first_due
        assert lifecycle.current_decision(c) is None  # a new cycle needs its own decision
        lifecycle.decide(s.owner, s.tenant, c, lifecycle.DecisionInput(False, "Still within policy."), c.version)
        db.session.flush()
        lifecycle.respond(s.owner, c, "Second answer.", c.version)
        db.session.flush()
        lifecycle.reopen(None, s.tenant, c, "Rejected on the portal.")
        db.session.flush()
        assert (c.reopen_count, c.cycle) == (2, 3)
        kinds = db.session.scalars(
            sa.select(ComplaintEvent.actor_kind).where(
                ComplaintEvent.complaint_id == c.id, ComplaintEvent.kind == "transition"
            )
        ).all()
        assert kinds[-1] == "customer"


def test_a_stale_version_is_refused_and_changes_nothing(app, make_tenant, make_user, make_complaint):
    made = make_tenant()
    other = make_user(made.tenant, "manager", name="Dana Seitkali")
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        c = db.session.get(Complaint, complaint.id)
        loaded = c.version
        manager = db.session.get(StaffMember, other.id)
        lifecycle.escalate(manager, c, "Urgent for the director.", loaded)
        db.session.flush()
        with pytest.raises(StaleEdit) as refused:
            lifecycle.acknowledge(s.owner, c, loaded)
        assert refused.value.status == 409
        assert refused.value.changed_by == "Dana Seitkali"
        assert c.state == "received"


def test_two_staff_saving_the_same_complaint_the_second_is_told_who_changed_it(
    app, make_tenant, make_user, make_complaint, login_as
):
    made = make_tenant()
    manager = make_user(made.tenant, "manager", name="Dana Seitkali")
    complaint = make_complaint(made)
    first, second = app.test_client(), app.test_client()
    login_as(first, made.tenant, manager)
    login_as(second, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/complaints/{complaint.id}"
    page = second.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert first.post(f"{url}/steps/escalate", data={"version": version, "body": "Director asked"}).status_code == 303
    response = second.post(f"{url}/steps/withdraw", data={"version": version, "body": "Customer withdrew"})
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Dana Seitkali" in text
    assert "Reload" in text
    assert "Customer withdrew" in text  # what was typed is still in the form
    with in_tenant(app, made):
        c = db.session.get(Complaint, complaint.id)
        assert (c.state, c.escalation_level) == ("received", 1)


def test_verified_ineffective_reopens_the_action(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        c = investigating(s, complaint.id)
        action = corrective.add_action(s.owner, c.id, corrective.ActionInput("New queue system", None, "No queue"))
        db.session.flush()
        for status, note in (("in_progress", None), ("done", None), ("verified_ineffective", "Queues still long")):
            corrective.update_action_status(s.owner, c.id, action.id, status=status, note=note, version=action.version)
            db.session.flush()
        assert not action.is_settled
        assert action.verification_note == "Queues still long"
        corrective.update_action_status(
            s.owner, c.id, action.id, status="in_progress", note=None, version=action.version
        )
        db.session.flush()
        assert action.status == "in_progress"


def test_an_action_cannot_skip_to_verified_or_defer_without_a_reason(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        c = investigating(s, complaint.id)
        action = corrective.add_action(s.owner, c.id, corrective.ActionInput("Sign at the door", None, "No sign"))
        db.session.flush()
        with pytest.raises(NotAllowed):
            corrective.update_action_status(
                s.owner, c.id, action.id, status="verified_effective", note="ok", version=action.version
            )
        with pytest.raises(Refused, match="deferred") as refused:
            corrective.update_action_status(
                s.owner, c.id, action.id, status="deferred", note="", version=action.version
            )
        assert refused.value.field == "note"
        assert db.session.get(CorrectiveAction, action.id).status == "planned"


def test_the_handler_cannot_be_the_person_the_complaint_is_about(app, make_tenant, make_user, make_complaint):
    made = make_tenant()
    nurse = make_user(made.tenant, "agent", name="Nurse Aliya")
    complaint = make_complaint(made, about_staff_id=nurse.id)
    with in_tenant(app, made) as s:
        c = db.session.get(Complaint, complaint.id)
        with pytest.raises(Refused, match="about") as refused:
            assign(s.owner, c.id, None, nurse.id, c.version)
        assert refused.value.field == "handler_id"
        assert c.handler_id is None


def test_a_unit_member_sees_only_their_units_complaints(app, make_tenant, make_user, make_complaint, login_as):
    from services.catalog.models import Unit

    made = make_tenant()
    member = make_user(made.tenant, "unit_member")
    with in_tenant(app, made) as s:
        units = db.session.scalars(sa.select(Unit).order_by(Unit.id)).all()
        mine, other_unit = units[0].id, units[1].id
        db.session.get(StaffMember, member.id).unit_id = mine
        db.session.commit()
        del s
    ours = make_complaint(made, subject="Ours")
    theirs = make_complaint(made, subject="Theirs")
    with in_tenant(app, made) as s:
        for complaint, unit in ((ours, mine), (theirs, other_unit)):
            c = db.session.get(Complaint, complaint.id)
            assign(s.owner, c.id, unit, None, c.version)
        db.session.commit()
    client = app.test_client()
    login_as(client, made.tenant, member)
    inbox = client.get(f"/{made.tenant.slug}/console/complaints").get_data(as_text=True)
    assert "Ours" in inbox
    assert "Theirs" not in inbox
    assert client.get(f"/{made.tenant.slug}/console/complaints/{ours.id}").status_code == 200
    assert client.get(f"/{made.tenant.slug}/console/complaints/{theirs.id}").status_code == 404
    with in_tenant(app, made):
        outsider = db.session.get(StaffMember, member.id)
        with pytest.raises(NotFound):
            lifecycle.acknowledge(outsider, _get_visible(outsider, theirs.id), 1)


def _get_visible(actor, complaint_id):
    from services.complaints.access import get_complaint

    return get_complaint(actor, complaint_id)


def test_a_save_racing_another_between_check_and_write_answers_409(
    app, make_tenant, make_complaint, login_as, monkeypatch
):
    """The version check passed, then someone else's write landed first: the mapper's version refuses ours."""
    from services.complaints import stale

    made = make_tenant()
    complaint = make_complaint(made)
    real_check = stale.check_version

    def check_then_lose_the_race(c, version):
        real_check(c, version)
        db.session.execute(
            sa.update(Complaint).where(Complaint.id == c.id).values(version=Complaint.version + 1),
            execution_options={"synchronize_session": False},
        )

    monkeypatch.setattr(lifecycle, "check_version", check_then_lose_the_race)
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/complaints/{complaint.id}/steps/escalate"
    response = client.post(url, data={"version": "1", "body": "Director asked"})
    assert response.status_code == 409
    with in_tenant(app, made):
        assert db.session.get(Complaint, complaint.id).escalation_level == 0
