"""Staff notices of what nobody was told before: a new complaint (its unit, else the complaints officers, else the
managers), a decision awaiting approval (those who may approve it), a customer's message on a complaint nobody
handles; never to whoever caused it; each switched off in settings → notices. An escalation rule's missing person
is stood in for, and the follow-up log says so."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from services.catalog.models import Unit
from services.complaints import lifecycle, operations
from services.complaints.models import Complaint, ComplaintEvent
from services.escalation import rules as escalation
from services.escalation.sweep import sweep_tenant
from services.notifications.models import Notice
from services.portal import operations as portal
from tenants.context import tenant_scope
from tenants.db import clock_at, db
from tenants.models import StaffMember, Tenant


def _told(app, made, event: str) -> list[str]:
    """The staff addresses `event` was written to, in order."""
    with app.app_context(), tenant_scope(made.tenant.id):
        return list(
            db.session.scalars(
                sa.select(Notice.recipient).where(Notice.event == event, Notice.audience == "staff").order_by(Notice.id)
            )
        )


def _unit(app, made, head: StaffMember | None, *members: StaffMember) -> int:
    with app.app_context(), tenant_scope(made.tenant.id):
        unit = Unit(key=f"unit-{len(members)}-{head.id if head else 0}", names={"en": "Billing"})
        unit.head_id = head.id if head else None
        db.session.add(unit)
        db.session.flush()
        for member in members:
            db.session.get(StaffMember, member.id).unit_id = unit.id
        db.session.commit()
        return unit.id


def _switch_off(client, made, *off: str) -> None:
    from services.notifications.settings import CUSTOMER_EVENTS, STAFF_EVENTS

    url = f"/{made.tenant.slug}/console/settings/notices"
    enabled = [e for e in (*CUSTOMER_EVENTS, *STAFF_EVENTS) if e not in off]
    assert client.post(url, data={"enabled": enabled}).status_code == 303


def _filed_by_customer(app, made, **fields) -> int:
    """A complaint from the portal or a channel: nobody on the staff registered it."""
    from services.complaints.registration import ComplaintInput, register_complaint

    values = {"channel": "web", "complainant_name": "Sara Ahmadi", "subject": "Billed twice", "description": "Twice."}
    with app.app_context(), tenant_scope(made.tenant.id):
        complaint = register_complaint(None, db.session.get(Tenant, made.tenant.id), ComplaintInput(**values | fields))
        db.session.commit()
        return complaint.id


# A new complaint


def test_a_new_complaint_is_told_to_the_complaints_officers_but_not_to_whoever_registered_it(
    app, make_tenant, make_user, make_complaint
):
    made, other = make_tenant(), make_tenant()
    first, second = make_user(made.tenant, "agent"), make_user(made.tenant, "agent")
    manager = make_user(made.tenant, "manager")
    elsewhere = make_user(other.tenant, "agent")
    make_complaint(made, actor=first)
    assert _told(app, made, "new_complaint") == [second.email]
    assert _told(app, other, "new_complaint") == []  # another organization's officer hears nothing of it
    assert elsewhere.email not in _told(app, made, "new_complaint")
    _filed_by_customer(app, made)
    assert _told(app, made, "new_complaint")[1:] == [first.email, second.email]
    assert manager.email not in _told(app, made, "new_complaint")
    with app.app_context(), tenant_scope(made.tenant.id):
        body = db.session.scalars(sa.select(Notice.body).where(Notice.event == "new_complaint")).first()
    assert "Billed twice" in body or "Waited two hours" in body
    assert "/console/complaints/" in body


def test_a_new_complaint_of_a_unit_is_told_to_its_people_and_head(app, make_tenant, make_user, make_complaint):
    made = make_tenant()
    head = make_user(made.tenant, "manager")
    filer, colleague = make_user(made.tenant, "unit_member"), make_user(made.tenant, "unit_member")
    officer = make_user(made.tenant, "agent")
    _unit(app, made, head, filer, colleague)
    make_complaint(made, actor=filer)  # a unit member's complaint is their unit's
    assert sorted(_told(app, made, "new_complaint")) == sorted([head.email, colleague.email])
    assert officer.email not in _told(app, made, "new_complaint")


def test_with_no_complaints_officer_the_managers_hear_of_a_new_complaint(app, make_tenant, make_user):
    made = make_tenant()
    manager = make_user(made.tenant, "manager")
    _filed_by_customer(app, made)
    assert _told(app, made, "new_complaint") == [made.owner.email, manager.email]


def test_the_new_complaint_notice_is_switched_off_and_worded_in_settings(
    app, make_tenant, make_user, make_complaint, login_as
):
    made = make_tenant(locale="fa")
    officer = make_user(made.tenant, "agent")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    page = client.get(f"/{made.tenant.slug}/console/settings/notices").get_data(as_text=True)
    for event in ("new_complaint", "decision_pending", "unassigned_reply", "customer_withdrew"):
        assert f'data-event="{event}"' in page
        assert f'id="copy-{event}-managers"' in page  # copy rules like the other staff notices
    wording = client.get(f"/{made.tenant.slug}/console/settings/notices/new_complaint?channel=email&lang=fa")
    assert wording.status_code == 200
    assert "شکایت تازه" in wording.get_data(as_text=True)
    _switch_off(client, made, "new_complaint")
    make_complaint(made)
    assert _told(app, made, "new_complaint") == []
    # Switched on again, with a copy to the managers: the owner registering it is told of nothing, the officer is.
    url = f"/{made.tenant.slug}/console/settings/notices"
    from services.notifications.settings import CUSTOMER_EVENTS, STAFF_EVENTS

    rule = {"enabled": [*CUSTOMER_EVENTS, *STAFF_EVENTS], "copy-new_complaint": ["managers"]}
    assert client.post(url, data=rule).status_code == 303
    make_complaint(made)
    assert _told(app, made, "new_complaint") == [officer.email]


# A decision awaiting approval


def _investigating(app, made, complaint_id: int) -> None:
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        c = db.session.get(Complaint, complaint_id)
        lifecycle.acknowledge(owner, c, c.version)
        lifecycle.investigate(owner, c, c.version)
        db.session.commit()


def _decide(app, made, member: StaffMember, complaint_id: int, reasons: str = "Within policy.") -> None:
    with app.app_context(), tenant_scope(made.tenant.id):
        c = db.session.get(Complaint, complaint_id)
        actor = db.session.get(StaffMember, member.id)
        tenant = db.session.get(Tenant, made.tenant.id)
        lifecycle.decide(actor, tenant, c, lifecycle.DecisionInput(False, reasons), c.version)
        db.session.commit()


def test_an_officers_decision_is_told_to_those_who_may_approve_it(app, make_tenant, make_user, make_complaint):
    made = make_tenant()
    officer, other_officer = make_user(made.tenant, "agent"), make_user(made.tenant, "agent")
    manager, admin = make_user(made.tenant, "manager"), make_user(made.tenant, "admin")
    complaint = make_complaint(made)
    _investigating(app, made, complaint.id)
    _decide(app, made, officer, complaint.id)
    assert _told(app, made, "decision_pending") == [made.owner.email, manager.email, admin.email]
    assert officer.email not in _told(app, made, "decision_pending")
    assert other_officer.email not in _told(app, made, "decision_pending")  # an officer may not approve
    _decide(app, made, manager, complaint.id, "Within policy, as the officer found.")  # approved at once
    assert len(_told(app, made, "decision_pending")) == 3


def test_the_decision_awaiting_approval_notice_can_be_switched_off(
    app, make_tenant, make_user, make_complaint, login_as
):
    made = make_tenant()
    officer = make_user(made.tenant, "agent")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    _switch_off(client, made, "decision_pending")
    complaint = make_complaint(made)
    _investigating(app, made, complaint.id)
    _decide(app, made, officer, complaint.id)
    assert _told(app, made, "decision_pending") == []
    _switch_off(client, made)  # on again: the officer's revision waits, and the owner hears of it
    _decide(app, made, officer, complaint.id, "Within policy, looked at again.")
    assert _told(app, made, "decision_pending") == [made.owner.email]


# A customer's message on a complaint nobody handles


def test_a_customers_message_on_an_unassigned_complaint_reaches_the_desk_and_a_handler_hears_of_his_own(
    app, make_tenant, make_user
):
    made = make_tenant()
    officer = make_user(made.tenant, "agent")
    head, member = make_user(made.tenant, "manager"), make_user(made.tenant, "unit_member")
    unit_id = _unit(app, made, head, member)
    complaint_id = _filed_by_customer(app, made)
    with app.app_context(), tenant_scope(made.tenant.id):
        tenant = db.session.get(Tenant, made.tenant.id)
        portal.customer_message(tenant, db.session.get(Complaint, complaint_id), "I was billed a third time.")
        db.session.commit()
    assert _told(app, made, "unassigned_reply") == [officer.email]
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        c = db.session.get(Complaint, complaint_id)
        operations.assign(owner, c.id, unit_id, None, c.version)  # a unit, nobody named
        portal.customer_message(db.session.get(Tenant, made.tenant.id), c, "And a fourth.")
        db.session.commit()
    assert sorted(_told(app, made, "unassigned_reply")[1:]) == sorted([head.email, member.email])
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        c = db.session.get(Complaint, complaint_id)
        operations.assign(owner, c.id, unit_id, member.id, c.version)
        portal.customer_message(db.session.get(Tenant, made.tenant.id), c, "Still waiting.")
        db.session.commit()
    assert len(_told(app, made, "unassigned_reply")) == 3
    assert _told(app, made, "customer_replied") == [member.email]


def test_the_unassigned_reply_notice_can_be_switched_off(app, make_tenant, make_user, login_as):
    made = make_tenant()
    make_user(made.tenant, "agent")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    _switch_off(client, made, "unassigned_reply")
    complaint_id = _filed_by_customer(app, made)

    def write(text: str) -> None:
        with app.app_context(), tenant_scope(made.tenant.id):
            tenant = db.session.get(Tenant, made.tenant.id)
            portal.customer_message(tenant, db.session.get(Complaint, complaint_id), text)
            db.session.commit()

    write("Hello?")
    assert _told(app, made, "unassigned_reply") == []
    _switch_off(client, made)
    write("Is anybody there?")
    assert len(_told(app, made, "unassigned_reply")) == 1


def test_a_customer_withdrawing_tells_the_handler_in_words(app, make_tenant, make_user):
    made = make_tenant()
    handler = make_user(made.tenant, "agent")
    complaint_id = _filed_by_customer(app, made)
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        c = db.session.get(Complaint, complaint_id)
        operations.assign(owner, c.id, None, handler.id, c.version)
        portal.withdraw(db.session.get(Tenant, made.tenant.id), c, "Settled at the desk.")
        db.session.commit()
        [body] = db.session.scalars(sa.select(Notice.body).where(Notice.event == "customer_withdrew")).all()
    assert "withdrew" in body
    assert _told(app, made, "customer_withdrew") == [handler.email]


# Escalation to someone who is not there


def _rule_fires_on(app, made, complaint_id: int, **actions) -> ComplaintEvent:
    at = datetime(2026, 12, 1, 6, 0, tzinfo=ZoneInfo("UTC"))
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        for rule in escalation.list_rules():
            escalation.remove_rule(owner, rule.id)
        escalation.save_rule(owner, None, escalation.RuleInput("Quiet for a day", "idle", 24 * 60, **actions))
        c = db.session.get(Complaint, complaint_id)
        c.updated_at = at - timedelta(days=2)
        db.session.commit()
        with clock_at(at):
            assert sweep_tenant(db.session.get(Tenant, made.tenant.id), at) == 1
            db.session.commit()
        entry = db.session.scalars(sa.select(ComplaintEvent).where(ComplaintEvent.kind == "escalation")).one()
        db.session.expunge(entry)
        return entry


def test_telling_the_handler_of_an_unassigned_complaint_tells_the_unit_head_and_says_so(
    app, make_tenant, make_user, login_as
):
    made = make_tenant()
    head = make_user(made.tenant, "manager")
    unit_id = _unit(app, made, head)
    complaint_id = _filed_by_customer(app, made)
    with app.app_context(), tenant_scope(made.tenant.id):
        c = db.session.get(Complaint, complaint_id)
        c.unit_id = unit_id
        db.session.commit()
    entry = _rule_fires_on(app, made, complaint_id, notify_handler=True)
    assert entry.data["stand_ins"] == {"handler": "unit_head"}
    assert _told(app, made, "escalated") == [head.email]
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    page = client.get(f"/{made.tenant.slug}/console/complaints/{complaint_id}").get_data(as_text=True)
    assert 'data-stand-in="handler"' in page
    assert "its unit&#39;s head was told instead" in page


def test_with_no_handler_and_no_unit_head_the_managers_are_told_and_the_log_says_so(app, make_tenant, make_user):
    made = make_tenant()
    manager = make_user(made.tenant, "manager")
    officer = make_user(made.tenant, "agent")
    complaint_id = _filed_by_customer(app, made)
    entry = _rule_fires_on(app, made, complaint_id, notify_handler=True, notify_unit_head=True)
    assert entry.data["stand_ins"] == {"handler": "managers", "unit_head": "managers"}
    assert _told(app, made, "escalated") == [made.owner.email, manager.email]
    assert officer.email not in _told(app, made, "escalated")


def test_only_the_missing_person_is_stood_in_for(app, make_tenant, make_user):
    made = make_tenant()
    handler = make_user(made.tenant, "agent")
    complaint_id = _filed_by_customer(app, made)
    with app.app_context(), tenant_scope(made.tenant.id):
        c = db.session.get(Complaint, complaint_id)
        c.handler_id = handler.id
        db.session.commit()
    entry = _rule_fires_on(app, made, complaint_id, notify_handler=True, notify_unit_head=True)
    assert entry.data["stand_ins"] == {"unit_head": "managers"}  # the handler is there; no unit head is
    assert _told(app, made, "escalated") == [made.owner.email, handler.email]


def test_a_rejected_answer_on_a_complaint_nobody_handles_reaches_the_desk(app, make_tenant, make_user):
    made = make_tenant()
    officer = make_user(made.tenant, "agent")
    complaint_id = _filed_by_customer(app, made)
    _investigating(app, made, complaint_id)
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        tenant = db.session.get(Tenant, made.tenant.id)
        c = db.session.get(Complaint, complaint_id)
        lifecycle.decide(owner, tenant, c, lifecycle.DecisionInput(False, "Within policy."), c.version)
        db.session.flush()
        lifecycle.respond(owner, c, "Our answer.", c.version)
        portal.reject(tenant, c, "It does not settle it.")
        db.session.commit()
    assert _told(app, made, "customer_rejected") == [officer.email]
