"""The customer's side in the services: the tenant's form in versions, filing, finding a code, proofs of
being the complainant, and the customer's answers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from stdnum import damm

from services.complaints import lifecycle
from services.complaints.models import Complaint, ComplaintEvent
from services.complaints.registration import ComplaintInput
from services.files.storage import storage_from_config
from services.forms import schema
from services.forms.answers import answered_fields
from services.forms.schema import FieldInput
from services.notifications.links import complaint_id_from_link, link_token
from services.notifications.models import Notice
from services.portal import operations as portal
from services.tracking import CodeError, format_code
from tenants.context import tenant_scope
from tenants.db import clock_at, db, utcnow
from tenants.errors import Duplicate, NotAllowed, Refused
from tests.fixtures.scopes import in_tenant


def _input(**fields) -> ComplaintInput:
    values = {
        "channel": "phone",
        "complainant_name": "Aigerim Bekova",
        "subject": "Waited two hours",
        "description": "Nobody said why.",
        "phone": "+98 912 123 4567",
    } | fields
    return ComplaintInput(**values)


def _field(kind: str, en: str, **extra) -> FieldInput:
    return FieldInput(type=kind, labels={"en": en, "fa": en + " (fa)"}, **extra)


def _file(app, s, *, values=None, files=(), **fields) -> Complaint:
    storage = storage_from_config(app.config["UPLOAD_STORAGE"])
    complaint = portal.file_complaint(s.tenant, _input(**fields), values or {}, list(files), storage)
    db.session.flush()
    return complaint


# The tenant's form


def test_each_field_type_is_added_reordered_and_published_as_a_version(app, make_tenant):
    made = make_tenant()
    with in_tenant(app, made) as s:
        keys = {}
        for kind in schema.FIELD_TYPES:
            extra = {"options": [{"labels": {"en": "Yes"}}, {"labels": {"en": "No"}}]} if "choice" in kind else {}
            keys[kind] = schema.add_field(s.owner, _field(kind, kind.title(), **extra))["key"]
        schema.move_field(s.owner, keys["file"], -1)
        version = schema.publish(s.owner)
        assert version.number == 1
        assert [f["type"] for f in version.fields][-2:] == ["file", "email"]
        with pytest.raises(Refused, match="Nothing has changed"):
            schema.publish(s.owner)


def test_a_field_type_cannot_change_and_a_choice_needs_options(app, make_tenant):
    made = make_tenant()
    with in_tenant(app, made) as s:
        key = schema.add_field(s.owner, _field("short_text", "File number"))["key"]
        with pytest.raises(Refused, match="type"):
            schema.update_field(s.owner, key, _field("number", "File number"))
        with pytest.raises(Refused, match="option"):
            schema.add_field(s.owner, _field("choice", "Branch"))
        with pytest.raises(Refused, match="label"):
            schema.add_field(s.owner, FieldInput(type="short_text", labels={"en": "  "}))


def test_an_old_complaint_keeps_its_answers_under_the_labels_it_was_filed_with(app, make_tenant):
    made = make_tenant()
    with in_tenant(app, made) as s:
        key = schema.add_field(s.owner, _field("short_text", "Patient file number", required=True))["key"]
        schema.publish(s.owner)
        with pytest.raises(Refused) as missing:
            _file(app, s)
        assert missing.value.field == key
        old = _file(app, s, values={key: "P-1042"})
        schema.update_field(s.owner, key, _field("short_text", "Medical record number"))
        schema.add_field(s.owner, _field("number", "Amount paid"))
        schema.publish(s.owner)
        new = _file(app, s, values={key: "P-2000"})
        assert old.form_version_id != new.form_version_id
        old_version = db.session.get(schema.FormVersion, old.form_version_id)
        [(item, answer)] = answered_fields(old_version, old.answers)
        assert (item["labels"]["en"], answer) == ("Patient file number", "P-1042")


def test_answers_are_checked_by_type(app, make_tenant):
    made = make_tenant(locale="fa")
    with in_tenant(app, made) as s:
        keys = {
            "number": schema.add_field(s.owner, _field("number", "Amount"))["key"],
            "date": schema.add_field(s.owner, _field("date", "Visit"))["key"],
            "choice": schema.add_field(s.owner, _field("multi_choice", "Where", options=[{"labels": {"en": "Lobby"}}]))[
                "key"
            ],
            "phone": schema.add_field(s.owner, _field("phone", "Other phone"))["key"],
            "staff": schema.add_field(s.owner, _field("short_text", "Internal ref", audience="staff"))["key"],
        }
        option = schema.draft(s.owner).fields[2]["options"][0]["key"]
        schema.publish(s.owner)
        for key, bad in ((keys["number"], "NaN"), (keys["choice"], ["nope"]), (keys["phone"], "12")):
            with pytest.raises(Refused) as refused:
                _file(app, s, values={key: bad})
            assert refused.value.field == key
        c = _file(
            app,
            s,
            values={
                keys["number"]: Decimal("1500000"),
                keys["date"]: date(2026, 11, 20),
                keys["choice"]: [option],
                keys["phone"]: "۰۹۱۲۱۲۳۴۵۶۷",
                keys["staff"]: "not from the portal",
            },
        )
        assert c.answers == {
            keys["number"]: "1500000",
            keys["date"]: "2026-11-20",
            keys["choice"]: [option],
            keys["phone"]: "+989121234567",
        }


def test_core_fields_are_hidden_or_required_as_the_tenant_chose(app, make_tenant):
    made = make_tenant()
    with in_tenant(app, made) as s:
        schema.set_core(s.owner, {"national_id": "hidden", "email": "required"})
        schema.publish(s.owner)
        with pytest.raises(Refused) as refused:
            _file(app, s)
        assert refused.value.field == "email"
        c = _file(app, s, email="aigerim@example.com", national_id="0012345678")
        assert c.national_id is None
        assert c.channel == "web"


# Filing, finding, proofs


def test_filing_queues_the_acknowledgement_once(app, make_tenant):
    made = make_tenant()
    with in_tenant(app, made) as s:
        c = _file(app, s, submission_key="k" * 32)
        with pytest.raises(Duplicate):
            _file(app, s, submission_key="k" * 32)
        notices = db.session.scalars(sa.select(Notice).order_by(Notice.id)).all()
        assert [(n.event, n.channel, n.recipient) for n in notices] == [
            ("registered", "sms", c.phone),
            ("new_complaint", "email", s.owner.email),  # with no complaints officer, the owner hears of it
        ]
        # Rendered when written, in the complainant's language, with the code and a signed tracking link.
        notice = notices[0]
        assert format_code(c.code) in notice.body
        token = notice.body.split("?t=", 1)[1].split()[0]
        assert f"/{s.tenant.slug}/track/{c.code}?t=" in notice.body
        assert complaint_id_from_link(s.tenant, token) == c.id


def test_a_code_is_found_only_in_its_own_tenant_and_a_typo_before_any_lookup(app, make_tenant, make_complaint):
    a, b = make_tenant(), make_tenant()
    ours, theirs = make_complaint(a), make_complaint(b)
    with app.app_context(), tenant_scope(a.tenant.id):
        assert portal.find_by_code(ours.code).id == ours.id
        assert portal.find_by_code(theirs.code) is None
        typo = ours.code[:-1] + str((int(ours.code[-1]) + 1) % 10)
        with pytest.raises(CodeError) as refused:
            portal.find_by_code(typo)
        assert refused.value.reason == "typo"
    with app.app_context():
        assert portal.tenant_for_code(theirs.code).id == b.tenant.id
        assert portal.tenant_for_code(ours.code).id == a.tenant.id
        unknown = "100000000000" + damm.calc_check_digit("100000000000")
        assert portal.tenant_for_code(unknown) is None


def test_a_proof_code_works_once_and_expires(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made, phone="+98 912 123 4567", email="a@example.com")
    with in_tenant(app, made):
        c = db.session.get(Complaint, complaint.id)
        assert [ch.channel for ch in portal.contact_choices(c)] == ["sms", "email"]
        assert "4567" not in portal.contact_choices(c)[0].masked[:-2]
        code = portal.send_proof(c, "email")
        assert not portal.check_proof(c, "000000" if code != "000000" else "111111")
        assert portal.check_proof(c, code)
        assert not portal.check_proof(c, code)  # used up
        stale = portal.send_proof(c, "sms")
        with clock_at(utcnow() + timedelta(minutes=11)):
            assert not portal.check_proof(c, stale)
        first, second = portal.send_proof(c, "sms"), portal.send_proof(c, "sms")
        assert not portal.check_proof(c, first) or first == second
        assert db.session.scalar(sa.select(sa.func.count()).where(Notice.event == "verification_code")) == 4


def test_a_link_token_is_bound_to_its_tenant(app, make_tenant, make_complaint):
    a, b = make_tenant(), make_tenant()
    complaint = make_complaint(a)
    with in_tenant(app, a) as s:
        token = link_token(db.session.get(Complaint, complaint.id))
        assert complaint_id_from_link(s.tenant, token) == complaint.id
        assert complaint_id_from_link(s.tenant, token + "x") is None
    with in_tenant(app, b) as s:
        assert complaint_id_from_link(s.tenant, token) is None


# The customer's answers


def _responded(s, complaint_id: int) -> Complaint:
    c = db.session.get(Complaint, complaint_id)
    lifecycle.acknowledge(s.owner, c, c.version)
    lifecycle.investigate(s.owner, c, c.version)
    lifecycle.decide(s.owner, s.tenant, c, lifecycle.DecisionInput(False, "Not our fault."), c.version)
    lifecycle.respond(s.owner, c, "Our answer.", c.version)
    db.session.flush()
    return c


def test_reject_reopens_accept_closes_and_rating_is_once(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made, email="a@example.com")
    with in_tenant(app, made) as s:
        c = _responded(s, complaint.id)
        with pytest.raises(NotAllowed):
            portal.rate(c, 5, None)
        portal.reject(s.tenant, c, "The answer ignores my point.")
        assert (c.state, c.reopen_count, c.cycle) == ("investigating", 1, 2)
        with pytest.raises(NotAllowed):
            portal.accept(s.tenant, c)
        lifecycle.decide(s.owner, s.tenant, c, lifecycle.DecisionInput(True, "We erred."), c.version)
        c.kind = "suggestion"  # no corrective action needed for this test's second answer
        lifecycle.respond(s.owner, c, "Second answer.", c.version)
        db.session.flush()
        portal.accept(s.tenant, c)
        assert c.state == "closed"
        portal.rate(c, 4, "Faster next time")
        with pytest.raises(Duplicate):
            portal.rate(c, 5, None)
        kinds = db.session.scalars(
            sa.select(ComplaintEvent.actor_kind).where(ComplaintEvent.kind.in_(["transition", "rated"]))
        ).all()
        assert kinds.count("customer") == 3  # rejection, acceptance, rating
        events = {n.event for n in db.session.scalars(sa.select(Notice))}
        assert {"reopened", "closed"} <= events


def test_a_customer_message_is_logged_once_and_tells_the_handler(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        c = db.session.get(Complaint, complaint.id)
        c.handler_id = s.owner.id
        for _ in range(2):
            portal.customer_message(s.tenant, c, "Here is my receipt number: 5521.")
            db.session.flush()
        with pytest.raises(Refused) as refused:
            portal.customer_message(s.tenant, c, "x" * 5001)
        assert refused.value.field == "body"
        entries = db.session.scalars(sa.select(ComplaintEvent).where(ComplaintEvent.kind == "customer_message")).all()
        assert len(entries) == 1
        assert entries[0].customer_visible
        assert entries[0].actor_kind == "customer"
        staff = db.session.scalars(sa.select(Notice).where(Notice.audience == "staff")).all()
        assert [(n.event, n.recipient) for n in staff] == [("customer_replied", s.owner.email)]


def test_withdrawing_needs_a_reason_and_an_open_complaint(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    with in_tenant(app, made) as s:
        c = db.session.get(Complaint, complaint.id)
        with pytest.raises(Refused):
            portal.withdraw(s.tenant, c, " ")
        portal.withdraw(s.tenant, c, "Sorted out in person.")
        assert c.state == "withdrawn"
        with pytest.raises(NotAllowed):
            portal.withdraw(s.tenant, c, "Again")


@pytest.mark.parametrize("db_backend", ["postgresql"])
def test_the_application_role_reads_no_other_tenants_codes_whatever_it_sets(app, make_tenant, make_complaint):
    a, b = make_tenant(), make_tenant()
    make_complaint(a)
    theirs = make_complaint(b)
    with app.app_context(), tenant_scope(a.tenant.id):
        conn = db.session.connection()
        conn.exec_driver_sql("SELECT set_config('app.code_directory', 'on', true)")
        assert conn.exec_driver_sql("SELECT count(*) FROM tracking_codes").scalar() == 1
        # The one way across: the owner's function, one exact code's tenant id.
        found = conn.exec_driver_sql("SELECT tenant_of_code(%s)", (theirs.code,)).scalar()
        assert found == b.tenant.id
