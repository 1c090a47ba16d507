"""An organization may have every decision approved by a second person (off by default, set beside the deadlines):
then nobody approves their own decision, the refusal says why in the reader's language, and the follow-up log
says whose decision it was and who approved it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from services.complaints import lifecycle
from services.complaints.models import Complaint, ComplaintEvent, Decision
from tenants.context import tenant_scope
from tenants.db import db
from tenants.errors import Forbidden
from tenants.models import StaffMember, Tenant


def _ask_for_a_second_person(client, made, on: bool = True) -> None:
    data = {"decisions-second_approval": "y"} if on else {}
    response = client.post(f"/{made.tenant.slug}/console/settings/decisions", data=data)
    assert response.status_code == 303
    page = client.get(f"/{made.tenant.slug}/console/settings/deadlines").get_data(as_text=True)
    assert ('id="decisions-second_approval" checked' in page) is on


def _decided_by_owner(app, made, complaint_id: int) -> None:
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        tenant = db.session.get(Tenant, made.tenant.id)
        c = db.session.get(Complaint, complaint_id)
        lifecycle.acknowledge(owner, c, c.version)
        lifecycle.investigate(owner, c, c.version)
        lifecycle.decide(owner, tenant, c, lifecycle.DecisionInput(False, "Within policy."), c.version)
        db.session.commit()


def _version(app, made, complaint_id: int) -> int:
    with app.app_context(), tenant_scope(made.tenant.id):
        return db.session.get(Complaint, complaint_id).version


def test_by_default_an_owners_own_decision_is_approved_at_once(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    _decided_by_owner(app, made, complaint.id)
    with app.app_context(), tenant_scope(made.tenant.id):
        decision = db.session.scalars(sa.select(Decision)).one()
        assert decision.approved_by_id == made.owner.id
        assert db.session.get(Tenant, made.tenant.id).second_approval is False


def test_with_a_second_person_asked_for_nobody_approves_their_own_decision(
    app, make_tenant, make_user, make_complaint, login_as
):
    made = make_tenant()
    manager = make_user(made.tenant, "manager", name="Dana Manager")
    owner_client, manager_client = app.test_client(), app.test_client()
    login_as(owner_client, made.tenant, made.owner)
    login_as(manager_client, made.tenant, manager)
    _ask_for_a_second_person(owner_client, made)
    complaint = make_complaint(made)
    _decided_by_owner(app, made, complaint.id)
    url = f"/{made.tenant.slug}/console/complaints/{complaint.id}"
    page = owner_client.get(url).get_data(as_text=True)
    assert 'data-step="approve"' not in page  # no button for what would be refused
    assert "Awaiting approval by someone other than" in page
    refused = owner_client.post(f"{url}/steps/approve", data={"version": _version(app, made, complaint.id)})
    assert refused.status_code == 403
    assert "You made this decision" in refused.get_data(as_text=True)
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalars(sa.select(Decision)).one().approved_by_id is None
        c = db.session.get(Complaint, complaint.id)
        with pytest.raises(Forbidden):
            lifecycle.approve(db.session.get(StaffMember, made.owner.id), c, c.version)
        db.session.rollback()
    assert 'data-step="approve"' in manager_client.get(url).get_data(as_text=True)
    approved = manager_client.post(f"{url}/steps/approve", data={"version": _version(app, made, complaint.id)})
    assert approved.status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalars(sa.select(Decision)).one().approved_by_id == manager.id
        entry = db.session.scalars(sa.select(ComplaintEvent).where(ComplaintEvent.kind == "decision_approved")).one()
        assert (entry.data["decided_by"], entry.data["approved_by"]) == (made.owner.id, manager.id)
    page = owner_client.get(url).get_data(as_text=True)
    owner_name = made.owner.name
    assert f"Decision by {owner_name}, approved by Dana Manager" in page


def test_the_decision_maker_is_not_told_to_approve_it(app, make_tenant, make_user, make_complaint, login_as):
    made = make_tenant()
    manager = make_user(made.tenant, "manager")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    _ask_for_a_second_person(client, made)
    complaint = make_complaint(made)
    _decided_by_owner(app, made, complaint.id)
    with app.app_context(), tenant_scope(made.tenant.id):
        from services.notifications.models import Notice

        told = list(db.session.scalars(sa.select(Notice.recipient).where(Notice.event == "decision_pending")))
    assert told == [manager.email]


def test_the_refusal_is_in_the_readers_language(app, make_tenant, make_user, make_complaint, login_as):
    made = make_tenant(locale="fa")
    make_user(made.tenant, "manager")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    _ask_for_a_second_person(client, made)
    complaint = make_complaint(made)
    _decided_by_owner(app, made, complaint.id)
    url = f"/{made.tenant.slug}/console/complaints/{complaint.id}/steps/approve"
    refused = client.post(url, data={"version": _version(app, made, complaint.id)})
    assert refused.status_code == 403
    alert = re.search(r'id="file-error">([^<]+)<', refused.get_data(as_text=True)).group(1)
    assert "تصمیم" in alert
    assert "You made" not in alert


def test_turned_off_again_a_managers_decision_is_approved_at_once(
    app, make_tenant, make_user, make_complaint, login_as
):
    made = make_tenant()
    make_user(made.tenant, "manager")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    _ask_for_a_second_person(client, made)
    _ask_for_a_second_person(client, made, on=False)
    complaint = make_complaint(made)
    _decided_by_owner(app, made, complaint.id)
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalars(sa.select(Decision)).one().approved_by_id == made.owner.id


def test_an_officer_cannot_change_the_rule(app, make_tenant, make_user, login_as):
    made = make_tenant()
    officer = make_user(made.tenant, "agent")
    client = app.test_client()
    login_as(client, made.tenant, officer)
    response = client.post(f"/{made.tenant.slug}/console/settings/decisions", data={"decisions-second_approval": "y"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Tenant, made.tenant.id).second_approval is False


def test_a_second_person_cannot_be_asked_for_where_only_one_may_approve(app, make_tenant, make_user, login_as):
    made = make_tenant(locale="ru")
    make_user(made.tenant, "agent")  # an officer may not approve
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    response = client.post(f"/{made.tenant.slug}/console/settings/decisions", data={"decisions-second_approval": "y"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="decisions"' in html  # the page itself, with the reason
    assert "Утверждать решения может только один" in html
    with app.app_context():
        assert db.session.get(Tenant, made.tenant.id).second_approval is False
