"""Edges of the complaint file: impartiality, a unit member's own registrations, deadlines of a reopened
cycle, the kind of a decided complaint, corrective actions' plans, malformed ids and dates, htmx refusals."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from services.calendar.deadlines import compute_due_dates, load_calendar
from services.calendar.models import WORKING_HOURS, DeadlineRule
from services.catalog.models import Category, Unit
from services.complaints import actions as corrective
from services.complaints import lifecycle
from services.complaints.access import get_complaint
from services.complaints.models import Complaint, ComplaintEvent
from services.complaints.operations import add_note, attach_file, edit_complaint, message_customer
from services.complaints.registration import ComplaintInput, register_complaint
from services.files.checking import check_upload
from services.files.storage import storage_from_config
from services.tracking import format_code
from tenants.context import tenant_scope
from tenants.db import db, utcnow
from tenants.errors import Forbidden, NotAllowed, NotFound, Refused, StaleEdit
from tenants.models import StaffMember
from tests.fixtures.files import make_pdf
from tests.fixtures.scopes import in_tenant, investigating


def _input(**fields) -> ComplaintInput:
    values = {
        "channel": "phone",
        "complainant_name": "Aigerim Bekova",
        "subject": "Waited two hours",
        "description": "Nobody said why.",
    } | fields
    return ComplaintInput(**values)


def _record_input(c: Complaint, **changes) -> ComplaintInput:
    fields = {name: getattr(c, name) for name in ComplaintInput.__dataclass_fields__ if hasattr(c, name)}
    fields.pop("received_at", None)
    fields.pop("submission_key", None)
    return ComplaintInput(**(fields | changes))


# Impartiality and units


def test_a_unit_member_registers_into_their_own_unit_and_sees_it(app, make_tenant, make_user):
    made = make_tenant()
    member = make_user(made.tenant, "unit_member")
    with in_tenant(app, made) as s:
        unit_id = db.session.scalars(sa.select(Unit.id).order_by(Unit.id)).first()
        me = db.session.get(StaffMember, member.id)
        me.unit_id = unit_id
        db.session.flush()
        c = register_complaint(me, s.tenant, _input())
        db.session.flush()
        assert c.unit_id == unit_id
        assert get_complaint(me, c.id) is c


def test_a_unit_member_without_a_unit_is_told_to_ask_for_one(app, make_tenant, make_user):
    made = make_tenant()
    member = make_user(made.tenant, "unit_member")
    with in_tenant(app, made) as s:
        with pytest.raises(Forbidden, match="unit"):
            register_complaint(db.session.get(StaffMember, member.id), s.tenant, _input())
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0


def test_the_person_a_complaint_is_about_neither_sees_nor_acts_on_it(
    app, make_tenant, make_user, make_complaint, login_as
):
    made = make_tenant()
    agent = make_user(made.tenant, "manager")
    about = make_complaint(made, subject="About the manager", about_staff_id=agent.id)
    other = make_complaint(made, subject="About nobody")
    client = app.test_client()
    login_as(client, made.tenant, agent)
    inbox = client.get(f"/{made.tenant.slug}/console/complaints").get_data(as_text=True)
    assert "About nobody" in inbox
    assert "About the manager" not in inbox
    assert client.get(f"/{made.tenant.slug}/console/complaints/{about.id}").status_code == 404
    assert client.get(f"/{made.tenant.slug}/console/complaints/{other.id}").status_code == 200
    with in_tenant(app, made) as s:
        c = db.session.get(Complaint, about.id)
        manager = db.session.get(StaffMember, agent.id)
        with pytest.raises(Forbidden, match="about you"):
            lifecycle.check(c, manager, lifecycle.Action.ACKNOWLEDGE)
        assert not lifecycle.available(c, manager)
        # The owner, with nobody above, still sees it.
        assert get_complaint(s.owner, about.id) is c


# Deadlines


def test_a_reopened_cycle_keeps_its_start_when_the_priority_changes(app, make_tenant, make_complaint):
    made = make_tenant(locale="ru")  # Kazakhstan: a legal deadline of ten calendar days
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        c = investigating(s, complaint.id)
        lifecycle.decide(s.owner, s.tenant, c, lifecycle.DecisionInput(False, "Not our fault."), c.version)
        lifecycle.respond(s.owner, c, "Our answer.", c.version)
        db.session.flush()
        first_legal, acknowledge_due = c.legal_due_at, c.acknowledge_due_at
        lifecycle.reopen(s.owner, s.tenant, c, "Still unhappy.", c.version)
        db.session.flush()
        start = c.deadline_policy["cycle_2"]["start"]
        assert c.legal_due_at is not None
        assert c.legal_due_at >= first_legal
        assert c.deadline_policy["cycle_2"]["legal"]["days"] == 10
        edit_complaint(s.owner, s.tenant, c.id, _record_input(c, priority="urgent"), c.version)
        db.session.flush()
        expected = compute_due_dates(
            load_calendar(s.tenant), datetime.fromisoformat(start), "urgent", c.category_id, stages=("respond",)
        )
        assert c.respond_due_at == expected.respond
        assert c.acknowledge_due_at == acknowledge_due
        assert c.deadline_policy["cycle_2"]["start"] == start
        assert c.deadline_policy["cycle_2"]["respond"]["amount"] == 16


def test_a_categorys_rule_for_the_priority_beats_its_rule_for_any_priority(app, make_tenant):
    made = make_tenant()
    with in_tenant(app, made) as s:
        category_id = db.session.scalars(sa.select(Category.id).order_by(Category.id)).first()
        db.session.add(DeadlineRule(category_id=category_id, respond_amount=30, respond_unit=WORKING_HOURS))
        db.session.flush()
        db.session.add(
            DeadlineRule(category_id=category_id, priority="high", respond_amount=3, respond_unit=WORKING_HOURS)
        )
        db.session.flush()
        due = compute_due_dates(load_calendar(s.tenant), utcnow(), "high", category_id)
        assert due.policy["respond"]["amount"] == 3
        due = compute_due_dates(load_calendar(s.tenant), utcnow(), "normal", category_id)
        assert due.policy["respond"]["amount"] == 30


# The kind of a complaint


def test_a_decided_complaint_cannot_become_a_suggestion(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        c = investigating(s, complaint.id)
        lifecycle.decide(s.owner, s.tenant, c, lifecycle.DecisionInput(False, "Not our fault."), c.version)
        db.session.flush()
        with pytest.raises(Refused, match="stays a complaint") as refused:
            edit_complaint(s.owner, s.tenant, c.id, _record_input(c, kind="suggestion"), c.version)
        assert refused.value.field == "kind"
        assert c.kind == "complaint"


def test_an_undecided_complaint_may_be_corrected_into_a_suggestion(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        c = db.session.get(Complaint, complaint.id)
        assert edit_complaint(s.owner, s.tenant, c.id, _record_input(c, kind="suggestion"), c.version)
        assert c.kind == "suggestion"


# Registration record


def test_an_arrival_more_than_a_year_ago_is_a_typo(app, make_tenant):
    made = make_tenant()
    with in_tenant(app, made) as s:
        with pytest.raises(Refused, match="year") as refused:
            register_complaint(s.owner, s.tenant, _input(received_at=utcnow() - timedelta(days=400)))
        assert refused.value.field == "received_at"
        older = register_complaint(s.owner, s.tenant, _input(received_at=utcnow() - timedelta(days=40)))
        assert older.received_at < utcnow()


@pytest.mark.parametrize("email", ["not-an-address", "name@", "a b@example.com"])
def test_a_malformed_email_is_refused_on_its_field(app, make_tenant, email):
    made = make_tenant()
    with in_tenant(app, made) as s:
        with pytest.raises(Refused) as refused:
            register_complaint(s.owner, s.tenant, _input(email=email))
        assert refused.value.field == "email"


def test_editing_keeps_a_category_retired_since(app, make_tenant, make_complaint, login_as):
    made = make_tenant()
    with in_tenant(app, made):
        category = db.session.scalars(sa.select(Category).where(Category.parent_id.is_(None))).first()
        category_id, name = category.id, category.names["en"]
    complaint = make_complaint(made, category_id=category_id)
    with in_tenant(app, made):
        db.session.get(Category, category_id).is_active = False
        db.session.commit()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/complaints/{complaint.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert f'<option selected value="{category_id}">{name}</option>' in page
    with in_tenant(app, made) as s:
        c = db.session.get(Complaint, complaint.id)
        assert edit_complaint(s.owner, s.tenant, c.id, _record_input(c, subject="Waited three hours"), c.version)
        db.session.flush()
        assert c.category_id == category_id
        other = _record_input(c, category_id=category_id + 1000)
        with pytest.raises(Refused, match="category"):
            edit_complaint(s.owner, s.tenant, c.id, other, c.version)


# Corrective actions


def test_an_actions_plan_can_be_changed_and_the_change_is_logged(app, make_tenant, make_user, make_complaint):
    made = make_tenant()
    colleague = make_user(made.tenant, "agent", name="Dana Seitova")
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        c = investigating(s, complaint.id)
        action = corrective.add_action(s.owner, c.id, corrective.ActionInput("Fix the rota", None, "Understaffed"))
        db.session.flush()
        due = utcnow().date() + timedelta(days=14)
        changed = corrective.edit_action(
            s.owner,
            c.id,
            action.id,
            corrective.ActionInput("Hire a nurse", None, "Understaffed", owner_id=colleague.id, due_on=due),
            action.version,
        )
        db.session.flush()
        assert changed
        assert (action.description, action.owner_id, action.due_on) == ("Hire a nurse", colleague.id, due)
        entry = db.session.scalars(
            sa.select(ComplaintEvent).where(ComplaintEvent.kind == "action_edited").order_by(ComplaintEvent.id)
        ).one()
        assert entry.data["description"] == ["Fix the rota", "Hire a nurse"]
        assert entry.data["due_on"] == [None, due.isoformat()]
        assert entry.action_id == action.id
        # Someone else's change in between: refused, naming who.
        with pytest.raises(StaleEdit) as stale:
            corrective.edit_action(
                s.owner, c.id, action.id, corrective.ActionInput("Again", None, "x"), action.version - 1
            )
        assert stale.value.changed_by == s.owner.name


def test_an_action_verified_effective_is_finished(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        c = investigating(s, complaint.id)
        action = corrective.add_action(s.owner, c.id, corrective.ActionInput("Fix the rota", None, "Understaffed"))
        db.session.flush()
        for status, note in (("done", None), ("verified_effective", "No waits in a month")):
            corrective.update_action_status(s.owner, c.id, action.id, status=status, note=note, version=action.version)
            db.session.flush()
        with pytest.raises(NotAllowed, match="finished"):
            corrective.edit_action(s.owner, c.id, action.id, corrective.ActionInput("Other", None, "x"), action.version)


def test_evidence_may_follow_a_closed_complaint_but_other_files_may_not(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    storage = storage_from_config(app.config["UPLOAD_STORAGE"])
    with in_tenant(app, made) as s:
        c = investigating(s, complaint.id)
        action = corrective.add_action(s.owner, c.id, corrective.ActionInput("Fix the rota", None, "Understaffed"))
        lifecycle.decide(s.owner, s.tenant, c, lifecycle.DecisionInput(True, "Our fault."), c.version)
        corrective.update_action_status(s.owner, c.id, action.id, status="done", note=None, version=action.version)
        lifecycle.respond(s.owner, c, "Fixed.", c.version)
        lifecycle.close(s.owner, c, None, c.version)
        db.session.flush()
        upload = check_upload(make_pdf(), "rota.pdf", max_bytes=10**7)
        evidence = attach_file(s.owner, c, upload, storage, action_id=action.id)
        assert evidence.action_id == action.id
        with pytest.raises(NotAllowed):
            attach_file(s.owner, c, upload, storage)


# Double submits


def test_a_note_or_message_sent_twice_is_logged_once(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        for _ in range(2):
            add_note(s.owner, complaint.id, "Called the customer back.")
            message_customer(s.owner, complaint.id, "We are looking into it.")
            db.session.flush()
        kinds = db.session.scalars(
            sa.select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == complaint.id)
        ).all()
        assert kinds.count("note") == 1
        assert kinds.count("message") == 1
        add_note(s.owner, complaint.id, "A second, different note.")
        db.session.flush()
        assert db.session.scalar(sa.select(sa.func.count()).where(ComplaintEvent.kind == "note")) == 2


# Malformed input through the routes


@pytest.fixture
def signed_in(app, make_tenant, login_as):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    return made, client


@pytest.mark.parametrize(
    "params",
    [
        {"category": "²", "unit": "¹²", "handler": "²"},
        {"category": "9" * 30, "unit": "99999999999", "handler": "9" * 40},
        {"after": "²³.¹"},
        {"after": "9" * 40 + "." + "9" * 40},
        {"from": "0001-01-01", "to": "9999-12-31"},
        {"from": "0001/01/01"},
    ],
)
def test_unicode_digits_huge_numbers_and_edge_dates_are_ignored_in_the_inbox(signed_in, make_complaint, params):
    made, client = signed_in
    make_complaint(made)
    response = client.get(f"/{made.tenant.slug}/console/complaints", query_string=params)
    assert response.status_code == 200


@pytest.mark.parametrize("version", ["²", "9" * 40, "-3"])
def test_a_malformed_version_is_a_stale_edit_not_an_error(signed_in, make_complaint, version):
    made, client = signed_in
    complaint = make_complaint(made)
    response = client.post(
        f"/{made.tenant.slug}/console/complaints/{complaint.id}/steps/acknowledge", data={"version": version}
    )
    assert response.status_code == 409


def test_malformed_ids_in_a_bulk_assignment_tick_nothing(signed_in, make_complaint):
    made, client = signed_in
    make_complaint(made)
    response = client.post(f"/{made.tenant.slug}/console/complaints/bulk-assign", data={"ids": ["²", "9" * 40]})
    assert response.status_code == 422


def test_an_arrival_date_out_of_range_is_refused_on_its_field(signed_in):
    made, client = signed_in
    response = client.post(
        f"/{made.tenant.slug}/console/complaints/new",
        data={
            "channel": "letter",
            "kind": "complaint",
            "received_on": "0001-01-01",
            "complainant_name": "Aigerim Bekova",
            "subject": "Kept my typing",
            "description": "Nobody said why.",
            "priority": "normal",
        },
    )
    assert response.status_code == 422
    assert "Kept my typing" in response.get_data(as_text=True)


def test_a_refusal_to_a_panel_request_goes_to_the_alert_area_not_into_the_panel(signed_in, make_complaint):
    made, client = signed_in
    url = f"/{made.tenant.slug}/console/complaints/999999/steps/acknowledge"
    response = client.post(url, data={"version": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#page-alert"
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert 'role="alert"' in body


def test_a_step_refused_for_overlong_text_keeps_the_text(signed_in, make_complaint):
    made, client = signed_in
    complaint = make_complaint(made)
    text = "A reason kept. " + "x" * 20_001
    response = client.post(
        f"/{made.tenant.slug}/console/complaints/{complaint.id}/steps/escalate", data={"version": "1", "body": text}
    )
    assert response.status_code == 422
    assert "A reason kept." in response.get_data(as_text=True)


def test_a_tracking_code_with_a_typo_is_caught_before_any_lookup(signed_in, make_complaint):
    made, client = signed_in
    complaint = make_complaint(made)
    code = complaint.code
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    page = client.get(f"/{made.tenant.slug}/console/complaints", query_string={"q": format_code(wrong)})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="code-typo"' in html
    assert f'id="complaint-{complaint.id}"' not in html
    right = client.get(f"/{made.tenant.slug}/console/complaints", query_string={"q": format_code(code)})
    assert 'id="code-typo"' not in right.get_data(as_text=True)
    assert f'id="complaint-{complaint.id}"' in right.get_data(as_text=True)


def test_the_action_plan_form_is_on_the_page_and_saves(signed_in, make_complaint):
    made, client = signed_in
    complaint = make_complaint(made)
    with tenant_scope(made.tenant.id), client.application.app_context():
        owner = db.session.get(StaffMember, made.owner.id)
        c = db.session.get(Complaint, complaint.id)
        lifecycle.acknowledge(owner, c, c.version)
        lifecycle.investigate(owner, c, c.version)
        action = corrective.add_action(owner, c.id, corrective.ActionInput("Fix the rota", None, "Understaffed"))
        db.session.commit()
        action_id, version = action.id, action.version
    base = f"/{made.tenant.slug}/console/complaints/{complaint.id}"
    page = client.get(base).get_data(as_text=True)
    assert f'name="edit-{action_id}-description"' in page
    prefix = f"edit-{action_id}-"
    data = {
        f"{prefix}version": str(version),
        f"{prefix}description": "Hire a second nurse",
        f"{prefix}root_cause_text": "Understaffed",
        f"{prefix}due_on": "2027-01-15",
    }
    response = client.post(f"{base}/actions/{action_id}/edit", data=data)
    assert response.status_code == 303
    assert "Hire a second nurse" in client.get(base).get_data(as_text=True)
    overlong = data | {f"{prefix}description": "Kept text " + "y" * 5001}
    refused = client.post(f"{base}/actions/{action_id}/edit", data=overlong)
    assert refused.status_code == 422
    assert "Kept text" in refused.get_data(as_text=True)


def test_another_tenants_action_cannot_be_edited(app, make_tenant, make_complaint, login_as):
    a, b = make_tenant(), make_tenant()
    complaint = make_complaint(b)
    with app.app_context(), tenant_scope(b.tenant.id):
        owner = db.session.get(StaffMember, b.owner.id)
        c = db.session.get(Complaint, complaint.id)
        c.state = "investigating"
        action = corrective.add_action(owner, c.id, corrective.ActionInput("Secret plan", None, "x"))
        db.session.commit()
        action_id = action.id
    client = app.test_client()
    login_as(client, a.tenant, a.owner)
    response = client.post(
        f"/{a.tenant.slug}/console/complaints/{complaint.id}/actions/{action_id}/edit",
        data={f"edit-{action_id}-description": "Taken over", f"edit-{action_id}-version": "1"},
    )
    assert response.status_code == 404
    with app.app_context(), tenant_scope(b.tenant.id):
        assert db.session.get(corrective.CorrectiveAction, action_id).description == "Secret plan"
    with app.app_context(), tenant_scope(a.tenant.id), pytest.raises(NotFound):
        corrective.get_action(db.session.get(StaffMember, a.owner.id), complaint.id, action_id)


# The same customer again: when the complainant's previous complaint arrived


def test_each_complaint_knows_when_its_complainant_last_complained(app, make_tenant):
    made, other = make_tenant(), make_tenant()
    now = utcnow()
    with in_tenant(app, other) as s:
        register_complaint(s.owner, s.tenant, _input(phone="+77015550000", received_at=now - timedelta(days=9)))
        db.session.commit()
    with in_tenant(app, made) as s:
        first = register_complaint(s.owner, s.tenant, _input(phone="+77015550000", received_at=now - timedelta(days=5)))
        assert first.previous_received_at is None  # another organization's customer is not this one's
        by_mail = register_complaint(
            s.owner, s.tenant, _input(phone=None, email="aigerim@example.com", received_at=now - timedelta(days=3))
        )
        both = register_complaint(
            s.owner, s.tenant, _input(phone="+77015550000", email="aigerim@example.com", received_at=now)
        )
        db.session.flush()
        assert both.previous_received_at == by_mail.received_at  # the latest by either contact
        # One typed in late, with an arrival between: the later complaint's previous one becomes it.
        late = register_complaint(s.owner, s.tenant, _input(phone="+77015550000", received_at=now - timedelta(days=4)))
        db.session.flush()
        db.session.refresh(first)
        assert late.previous_received_at == first.received_at
        assert db.session.get(Complaint, both.id).previous_received_at == by_mail.received_at
        # Correcting the e-mail address: the complaint no longer follows the e-mail one, but the late phone one.
        assert edit_complaint(s.owner, s.tenant, both.id, _record_input(both, email="other@example.com"), both.version)
        db.session.flush()
        assert db.session.get(Complaint, both.id).previous_received_at == late.received_at
        # And the one by the old address has no later complaint pointing at it any more: nothing to change there.
        assert db.session.get(Complaint, by_mail.id).previous_received_at is None


def test_the_bulk_backfill_finds_the_same_previous_complaints(app, make_tenant):
    import importlib.util
    from pathlib import Path

    from services.complaints.repeats import BACKFILL

    path = Path(__file__).parent.parent / "migrations" / "versions" / "0024_previous_complaint.py"
    spec = importlib.util.spec_from_file_location("migration_0024", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert " ".join(migration.BACKFILL.split()) == " ".join(BACKFILL.split())
    made = make_tenant()
    now = utcnow()
    with in_tenant(app, made) as s:
        contacts = [
            {"phone": "+77015550000"},
            {"phone": None, "email": "a@example.com"},
            {"phone": "+77015550000", "email": "a@example.com"},
            {"phone": "+77015551111", "national_id": "900101412344"},
            {"phone": None, "national_id": "900101412344"},
            {"phone": "+77015550000"},
        ]
        for n, fields in enumerate(contacts):
            register_complaint(s.owner, s.tenant, _input(received_at=now - timedelta(days=10 - n), **fields))
        db.session.flush()
        kept = dict(db.session.execute(sa.select(Complaint.id, Complaint.previous_received_at)).all())
        assert sum(v is not None for v in kept.values()) == 3
        db.session.execute(sa.update(Complaint).values(previous_received_at=None))
        db.session.execute(sa.text(BACKFILL))
        db.session.expire_all()
        assert dict(db.session.execute(sa.select(Complaint.id, Complaint.previous_received_at)).all()) == kept
