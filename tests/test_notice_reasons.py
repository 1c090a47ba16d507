"""What became of a notice, told in the reader's words: a mail server's answer stays with the operators; a
customer this organization has no way to reach is recorded as such, seen by staff, and told on the portal that
the tracking code is their only receipt."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from services.gateways.base import DeliveryError, Reason, Unavailable, Undeliverable
from services.notifications.models import Notice
from services.notifications.senders import smtp_reason
from tenants.context import tenant_scope
from tenants.db import db
from tests.fixtures.mailserver import free_port
from tests.fixtures.portal import file_complaint, form_page


@pytest.fixture
def app(make_app):
    """An app with no text-message backend: an organization sends text messages only through its own provider."""
    return make_app(SMS_BACKEND="")


def _register(app, made, **fields) -> None:
    """Register a complaint through `app`, so that its notices leave through `app`'s mail settings."""
    from services.complaints.registration import ComplaintInput, register_complaint
    from tenants.models import StaffMember, Tenant

    values = {"channel": "phone", "complainant_name": "Sara Ahmadi", "subject": "Waited", "description": "Late."}
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        register_complaint(owner, db.session.get(Tenant, made.tenant.id), ComplaintInput(**(values | fields)))
        db.session.commit()
        db.session.expunge_all()


def _notices(app, made) -> list[Notice]:
    with app.app_context(), tenant_scope(made.tenant.id):
        rows = list(db.session.scalars(sa.select(Notice).order_by(Notice.id)))
        db.session.expunge_all()
    return rows


def _deliveries(client, made) -> str:
    page = client.get(f"/{made.tenant.slug}/console/settings/deliveries")
    assert page.status_code == 200
    return page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("code", "said", "recipient", "reason"),
    [
        (550, "5.1.1 No such user", True, Reason.ADDRESS_REFUSED),
        (452, "4.2.2 Mailbox full", True, Reason.MAILBOX_FULL),
        (552, "5.2.2 Over quota", False, Reason.MAILBOX_FULL),
        (535, "5.7.8 Authentication credentials invalid", False, Reason.LOGIN_REFUSED),
        (530, "5.7.0 Authentication required", False, Reason.LOGIN_REFUSED),
        (421, "4.7.0 Too many connections", False, Reason.TRY_LATER),
        (554, "5.7.1 Message rejected as spam", False, Reason.REFUSED),
    ],
)
def test_an_smtp_reply_code_says_what_happened(code, said, recipient, reason):
    assert smtp_reason(code, said, recipient=recipient) == reason


def _raised(error: DeliveryError, cause: Exception) -> DeliveryError:
    try:
        raise error from cause
    except DeliveryError as exc:
        return exc


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (Unavailable("bot API 401: Unauthorized"), Reason.LOGIN_REFUSED),
        (Unavailable("webhook HTTP 403: forbidden"), Reason.LOGIN_REFUSED),
        (Unavailable("webhook HTTP 503: <html>busy</html>"), Reason.TRY_LATER),
        (Unavailable("Kavenegar 429: too many"), Reason.TRY_LATER),
        (Undeliverable("webhook HTTP 404: not found"), Reason.REFUSED),
        (Unavailable("Kavenegar 418: credit"), Reason.OTHER),
        (_raised(Unavailable("gateway unreachable: read"), httpx.ReadTimeout("read")), Reason.TIMED_OUT),
        (_raised(Unavailable("bot API unreachable: refused"), httpx.ConnectError("refused")), Reason.UNREACHABLE),
    ],
)
def test_a_gateways_error_says_what_happened(error, reason):
    assert error.reason == reason


def test_deliveries_say_a_full_mailbox_in_words_and_never_the_servers_answer(
    make_app, make_tenant, smtp_server, login_as
):
    controller, inbox = smtp_server
    inbox.answer = "552 5.2.2 Quota of sara@mx7.internal-relay.example exceeded <b>see /var/spool</b>"
    made = make_tenant(locale="fa")
    app = make_app(MAIL_BACKEND="smtp", SMTP_URL=f"smtp://127.0.0.1:{controller.port}")
    _register(app, made, email="sara@example.com")
    [notice] = [n for n in _notices(app, made) if n.audience == "customer"]
    assert (notice.status, notice.reason) == ("failed", Reason.MAILBOX_FULL)
    assert "internal-relay" in notice.last_error  # kept, for the operators
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    html = _deliveries(client, made)
    assert 'data-reason="mailbox_full"' in html
    assert "صندوق پستی گیرنده پر است." in html
    assert "internal-relay" not in html
    assert "552" not in html
    assert "/var/spool" not in html


def test_an_unreachable_mail_server_reads_as_unreachable_with_the_next_attempt(make_app, make_tenant, login_as):
    app = make_app(MAIL_BACKEND="smtp", SMTP_URL=f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    made = make_tenant()
    _register(app, made, email="sara@example.com")
    [notice] = [n for n in _notices(app, made) if n.audience == "customer"]
    assert (notice.status, notice.reason) == ("pending", Reason.UNREACHABLE)
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    html = _deliveries(client, made)
    assert "The server could not be reached." in html
    assert "Next attempt:" in html
    assert "Errno" not in html
    assert "Connection refused" not in html


def test_a_phone_only_complaint_with_no_text_messages_is_recorded_as_no_way_to_reach(app, make_tenant, login_as):
    made = make_tenant()
    client = app.test_client()
    form = file_complaint(client, made.tenant.slug, phone="8 701 123 45 67", preferred_contact="sms")
    assert form.status_code == 303
    receipt = client.get(form.headers["Location"]).get_data(as_text=True)
    assert 'id="only-receipt"' in receipt
    assert "this code is your only receipt" in receipt

    [notice] = [n for n in _notices(app, made) if n.audience == "customer"]
    assert (notice.event, notice.channel, notice.status, notice.reason) == ("registered", "sms", "failed", "no_way")

    staff = app.test_client()
    login_as(staff, made.tenant, made.owner)
    html = _deliveries(staff, made)
    assert "No way to reach the recipient" in html
    assert "no way to send on" not in html  # the operators' words stay in the log
    page = staff.get(f"/{made.tenant.slug}/console/complaints/{notice.complaint_id}").get_data(as_text=True)
    assert 'id="customer-not-told"' in page
    assert "Receipt confirmed to the customer — No way to reach the recipient" in page
    assert 'href="tel:' in page


def test_the_form_says_before_filing_that_without_text_messages_the_code_is_the_only_receipt(app, make_tenant):
    made = make_tenant(locale="ru")
    client = app.test_client()
    html = form_page(client, made.tenant.slug)
    assert 'id="only-receipt-hint"' in html
    assert html.index('id="only-receipt-hint"') < html.index('id="question"')  # by the contact fields


def test_where_text_messages_go_nothing_warns_and_the_staff_see_nobody_untold(make_app, make_tenant, login_as):
    app = make_app(SMS_BACKEND="memory")
    made = make_tenant()
    client = app.test_client()
    assert 'id="only-receipt-hint"' not in form_page(client, made.tenant.slug)
    form = file_complaint(client, made.tenant.slug, phone="8 701 123 45 67", preferred_contact="sms")
    assert 'id="only-receipt"' not in client.get(form.headers["Location"]).get_data(as_text=True)
    [notice] = [n for n in _notices(app, made) if n.audience == "customer"]
    assert notice.status == "sent"
    staff = app.test_client()
    login_as(staff, made.tenant, made.owner)
    page = staff.get(f"/{made.tenant.slug}/console/complaints/{notice.complaint_id}").get_data(as_text=True)
    assert 'id="customer-not-told"' not in page
