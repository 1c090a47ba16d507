"""Notices: rendered when written, delivered after commit to a real SMTP server, retried with backoff, failed
and shown to staff, retried by hand; templates in a sandbox."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from services.complaints import lifecycle
from services.complaints.models import Complaint
from services.notifications import delivery
from services.notifications.models import Notice, NoticeTemplate
from services.notifications.templates import WordingError, check_template, render
from services.tracking import format_code
from tenants.context import tenant_scope
from tenants.db import clock_at, db, utcnow
from tenants.models import StaffMember, Tenant
from tests.fixtures.mailserver import part


def _smtp_app(make_app, controller, **extra):
    return make_app(MAIL_BACKEND="smtp", SMTP_URL=f"smtp://127.0.0.1:{controller.port}", **extra)


def _register(app, made, **fields) -> Complaint:
    """Register a complaint through `app` (so its notices leave through `app`'s mail settings)."""
    from services.complaints.registration import ComplaintInput, register_complaint

    values = {
        "channel": "phone",
        "complainant_name": "Sara Ahmadi",
        "subject": "Waited two hours",
        "description": "The appointment started two hours late and nobody said why.",
    } | fields
    with app.app_context(), tenant_scope(made.tenant.id):
        tenant = db.session.get(Tenant, made.tenant.id)
        owner = db.session.get(StaffMember, made.owner.id)
        complaint = register_complaint(owner, tenant, ComplaintInput(**values))
        db.session.commit()
        db.session.refresh(complaint)
        db.session.expunge_all()
    return complaint


def _notices(app, made) -> list[Notice]:
    with app.app_context(), tenant_scope(made.tenant.id):
        rows = list(db.session.scalars(sa.select(Notice).order_by(Notice.id)))
        db.session.expunge_all()
    return rows


def test_the_receipt_reaches_a_real_smtp_server_in_the_customers_language(make_app, make_tenant, smtp_server):
    controller, inbox = smtp_server
    app = _smtp_app(make_app, controller)
    made = make_tenant(locale="fa")
    complaint = _register(app, made, email="sara@example.com", preferred_locale="fa")
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "sara@example.com"
    assert message["Content-Language"] == "fa"
    assert message["Auto-Submitted"] == "auto-generated"
    [notice] = _notices(app, made)
    assert (notice.status, notice.attempts) == ("sent", 1)
    assert notice.sent_at is not None
    with app.app_context():
        from services.mail import installation_id

        assert message["Message-ID"] == f"<dadras-{made.tenant.id}-{notice.id}@{installation_id()}.dadras.local>"
    assert format_code(complaint.code) in message["Subject"]
    text, html = part(message, "text/plain"), part(message, "text/html")
    assert "شکایت" in text  # Persian wording
    assert format_code(complaint.code) in text
    link = re.search(rf"http://\S+/{made.tenant.slug}/track/{complaint.code}\?t=\S+", text).group(0)
    assert 'dir="rtl"' in html
    assert f'href="{link}"' in html
    # The link in the notice proves the complainant: it opens the complaint's own text.
    page = app.test_client().get(link.split("127.0.0.1:5000", 1)[1], follow_redirects=True)
    assert page.status_code == 200
    assert "The appointment started two hours late" in page.get_data(as_text=True)


def test_staff_messages_answers_and_assignments_are_told(app, make_tenant, make_complaint, make_user):
    made = make_tenant()
    handler = make_user(made.tenant, role="agent")
    complaint = make_complaint(made, email="sara@example.com")
    from services.complaints import operations

    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        c = db.session.get(Complaint, complaint.id)
        operations.assign(owner, c.id, None, handler.id, c.version)
        operations.message_customer(owner, c.id, "We are calling the clinic today.")
        lifecycle.acknowledge(owner, c, c.version)
        lifecycle.investigate(owner, c, c.version)
        lifecycle.decide(
            owner, db.session.get(Tenant, made.tenant.id), c, lifecycle.DecisionInput(False, "No fault."), c.version
        )
        lifecycle.respond(owner, c, "We found no fault; here is why.", c.version)
        db.session.commit()
    events = [(n.event, n.recipient, n.status) for n in _notices(app, made)]
    assert events == [
        ("registered", "sara@example.com", "sent"),
        ("new_complaint", handler.email, "sent"),  # the only complaints officer hears it has come
        ("assigned", handler.email, "sent"),
        ("staff_message", "sara@example.com", "sent"),
        ("responded", "sara@example.com", "sent"),
    ]
    sent = {m["To"]: m for m in app.extensions["dadras.sent_mail"]}
    bodies = [n.body for n in _notices(app, made)]
    assert "We are calling the clinic today." in bodies[3]
    assert "We found no fault; here is why." in bodies[4]
    assert f"/{made.tenant.slug}/console/complaints/{complaint.id}" in bodies[2]
    assert handler.email in sent


def test_a_complaint_given_to_a_unit_with_nobody_named_tells_its_people_and_head(
    app, make_tenant, make_complaint, make_user
):
    from services.catalog.models import Unit
    from services.complaints import operations

    made = make_tenant()
    head = make_user(made.tenant, role="manager")
    member = make_user(made.tenant, role="unit_member")
    outsider = make_user(made.tenant, role="agent")
    with app.app_context(), tenant_scope(made.tenant.id):
        unit = Unit(key="billing-desk", names={"en": "Billing"}, head_id=head.id)
        db.session.add(unit)
        db.session.flush()
        db.session.get(StaffMember, member.id).unit_id = unit.id
        db.session.commit()
        unit_id = unit.id
    complaint = make_complaint(made)
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        c = db.session.get(Complaint, complaint.id)
        operations.assign(owner, c.id, unit_id, None, c.version)
        db.session.commit()
    told = {(n.event, n.recipient) for n in _notices(app, made) if n.event.startswith("assigned")}
    assert told == {("assigned_unit", head.email), ("assigned_unit", member.email)}
    assert outsider.email not in {r for _e, r in told}
    [body] = {n.body for n in _notices(app, made) if n.recipient == member.email}
    assert "your unit" in body


def test_a_busy_server_means_backoff_then_failed_and_shown_then_a_retry_by_hand(
    make_app, make_tenant, smtp_server, login_as
):
    controller, inbox = smtp_server
    app = _smtp_app(make_app, controller, NOTICE_MAX_ATTEMPTS=3, NOTICE_RETRY_SECONDS=60)
    inbox.answer = "451 4.3.0 Try again later"
    made = make_tenant()
    _register(app, made, email="sara@example.com")
    [notice] = _notices(app, made)
    assert (notice.status, notice.attempts) == ("pending", 1)
    assert "451" in notice.last_error
    assert notice.next_attempt_at - utcnow() > timedelta(seconds=50)  # the first backoff

    def attempt(at):
        with clock_at(at), app.app_context(), tenant_scope(made.tenant.id):
            assert delivery.due_notices() == [(made.tenant.id, notice.id)]
            return delivery.deliver(notice.id)

    with app.app_context(), tenant_scope(made.tenant.id):
        assert delivery.deliver(notice.id) == "skipped"  # not due yet: nothing is sent early
    assert attempt(utcnow() + timedelta(seconds=61)) == "pending"
    [notice] = _notices(app, made)
    assert notice.next_attempt_at - utcnow() > timedelta(seconds=200)  # four times longer
    assert attempt(utcnow() + timedelta(minutes=6)) == "failed"
    assert inbox.refused == 3
    assert inbox.messages == []

    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    page = client.get(f"/{made.tenant.slug}/console/settings/deliveries?status=failed")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'data-notice="{notice.id}" data-status="failed"' in html
    assert "The server asked to try again later." in html
    assert "4.3.0" not in html  # the server's own words are the operators', not the organization's
    assert "1 notice failed." in html

    inbox.answer = None
    retried = client.post(f"/{made.tenant.slug}/console/settings/deliveries/{notice.id}/retry")
    assert retried.status_code == 303
    [notice] = _notices(app, made)
    assert (notice.status, notice.attempts) == ("sent", 1)
    assert len(inbox.messages) == 1
    again = client.post(f"/{made.tenant.slug}/console/settings/deliveries/{notice.id}/retry")
    assert again.status_code == 409  # only a failed notice is tried again
    assert len(inbox.messages) == 1


def test_a_refused_recipient_fails_at_once(make_app, make_tenant, smtp_server):
    controller, inbox = smtp_server
    app = _smtp_app(make_app, controller)
    inbox.answer = "550 5.1.1 No such mailbox"
    made = make_tenant()
    _register(app, made, email="nobody@example.com")
    [notice] = _notices(app, made)
    assert (notice.status, notice.attempts, notice.reason) == ("failed", 1, "address_refused")
    assert "550" in notice.last_error


def test_a_sent_one_time_code_does_not_stay_in_the_outbox(app, make_tenant, make_complaint):
    from services.portal import operations as portal

    made = make_tenant()
    complaint = make_complaint(made, phone="+98 912 123 4567")
    with app.app_context(), tenant_scope(made.tenant.id):
        code = portal.send_proof(db.session.get(Complaint, complaint.id), "sms")
        db.session.commit()
    assert code in app.extensions["dadras.sent_sms"][-1].body
    notice = _notices(app, made)[-1]
    assert (notice.event, notice.status) == ("verification_code", "sent")
    assert code not in notice.body
    assert "code" not in notice.data


def test_a_notice_is_sent_once_however_often_it_is_offered(app, make_tenant, make_complaint):
    made = make_tenant()
    make_complaint(made, phone="+98 912 123 4567")
    [notice] = _notices(app, made)
    with app.app_context(), tenant_scope(made.tenant.id):
        for _ in range(3):
            assert delivery.deliver(notice.id) == "skipped"
    assert len(app.extensions["dadras.sent_sms"]) == 1


def test_the_tenants_own_wording_is_used_and_the_sandbox_holds(app, make_tenant, make_complaint):
    made = make_tenant()
    with app.app_context(), tenant_scope(made.tenant.id):
        db.session.add(
            NoticeTemplate(event="registered", channel="sms", locale="en", body="{{ organization }} got {{ code }}.")
        )
        db.session.commit()
    complaint = make_complaint(made, phone="+98 912 123 4567")
    assert app.extensions["dadras.sent_sms"][-1].body == f"{made.tenant.name} got {format_code(complaint.code)}."

    with app.app_context():
        with pytest.raises(WordingError, match="no placeholder called config"):
            check_template("{{ config }}")
        for escape in ("{{ code.__class__.__mro__ }}", "{{ ''.__class__.__subclasses__() }}"):
            with pytest.raises(WordingError):
                render("", escape, {"code": "1"})
        with pytest.raises(WordingError, match="no placeholder called secret"):
            check_template("Hello {{ secret }}")
        with pytest.raises(WordingError, match="mistake"):
            check_template("Hello {{ code ")


def test_an_organization_with_its_own_mail_server_sends_through_it(make_app, make_tenant, smtp_server, login_as):
    """The platform's server serves every organization that has not given its own."""
    from aiosmtpd.controller import Controller

    from tests.fixtures.mailserver import Inbox, free_port

    platform, platform_inbox = smtp_server
    app = _smtp_app(make_app, platform)
    from aiosmtpd.smtp import AuthResult, LoginPassword

    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"clinic",
            b"s3cret-pass",
        )
        logins.append(ok)
        return AuthResult(success=ok)

    own_inbox = Inbox()
    own = Controller(
        own_inbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticator, auth_require_tls=False
    )
    own.start()
    try:
        made, other = make_tenant(), make_tenant()
        client = app.test_client()
        login_as(client, made.tenant, made.owner)
        url = f"/{made.tenant.slug}/console/settings/channels/mail"
        server = f"smtp://clinic:s3cret-pass@127.0.0.1:{own.port}"
        refused = client.post(
            url, data={"mail-mail_url": "http://x", "mail-mail_sender": "Clinic <care@clinic.example>"}
        )
        assert refused.status_code == 422
        saved = client.post(url, data={"mail-mail_url": server, "mail-mail_sender": "Clinic <care@clinic.example>"})
        assert saved.status_code == 303
        page = client.get(f"/{made.tenant.slug}/console/settings/channels").get_data(as_text=True)
        assert "s3cret-pass" not in page
        _register(app, made, email="sara@example.com")
        _register(app, other, email="ali@example.com")
    finally:
        own.stop()
    assert [(m["To"], m["From"]) for m in own_inbox.messages] == [("sara@example.com", "Clinic <care@clinic.example>")]
    assert [m["To"] for m in platform_inbox.messages] == ["ali@example.com"]
    assert own_inbox.messages[0]["Message-ID"].endswith(".clinic.example>")  # behind the installation id
    assert logins == [True]  # with the organization's login


def test_a_kept_connection_the_mail_server_dropped_is_replaced_and_the_notice_still_sent(make_app):
    """A worker keeps its mail server's connection between batches; when the server has closed it meanwhile (it
    restarted, or dropped an idle client), the next notice goes over a new connection instead of failing."""
    from aiosmtpd.controller import Controller

    from services.mail import Mail, build_message, deliver_message, kept_connections
    from tests.fixtures.mailserver import Inbox, free_port

    inbox, port = Inbox(), free_port()
    first = Controller(inbox, hostname="127.0.0.1", port=port)
    first.start()
    app = _smtp_app(make_app, first)
    again = Controller(inbox, hostname="127.0.0.1", port=port)
    with app.app_context(), kept_connections():
        deliver_message(build_message(Mail("first@example.com", "First", "One."), "desk@example.com"))
        first.stop()  # the server goes away, and every connection it had with it
        again.start()
        try:
            deliver_message(build_message(Mail("second@example.com", "Second", "Two."), "desk@example.com"))
            deliver_message(build_message(Mail("third@example.com", "Third", "Three."), "desk@example.com"))
        finally:
            again.stop()
    assert [m["To"] for m in inbox.messages] == ["first@example.com", "second@example.com", "third@example.com"]
    # The second and third went over one new connection.
    assert inbox.peers[1] == inbox.peers[2] != inbox.peers[0]
