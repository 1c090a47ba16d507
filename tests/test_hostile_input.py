"""Input an attacker shapes: control characters in an organization's address, JSON nested too deep for the bot
and SMS hooks, and bidirectional overrides in what customers type for the staff to read."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from services.complaints.models import Complaint
from services.connections import queries as connections
from services.notifications.models import Notice
from tenants.context import tenant_scope
from tenants.db import db
from tests.fixtures.portal import file_complaint

RLO = "\u202e"


@pytest.mark.parametrize("path", ["/x%00/", "/demo%00/", "/demo%0a/track", "/de%1bmo/console/login", "/a%e2%80%aeb/"])
def test_control_characters_in_an_organizations_address_answer_404(client, path):
    assert client.get(path).status_code == 404


def test_an_existing_organization_with_a_nul_after_its_address_is_not_found(client, make_tenant):
    made = make_tenant()
    assert client.get(f"/{made.tenant.slug}/").status_code == 200
    assert client.get(f"/{made.tenant.slug}%00/").status_code == 404


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_nested_too_deep_on_the_bot_hook_answers_400(client, make_tenant, monkeypatch):
    monkeypatch.setattr(connections, "bot_hook_accepts", lambda provider, secret: True)
    made = make_tenant()
    response = client.post(f"/{made.tenant.slug}/bots/telegram", data=_deep(100_000), content_type="application/json")
    assert response.status_code == 400


def test_json_nested_too_deep_on_the_rubika_hook_answers_400(client, make_tenant, monkeypatch):
    monkeypatch.setattr(connections, "rubika_hook_accepts", lambda key: True)
    made = make_tenant()
    response = client.post(f"/{made.tenant.slug}/bots/rubika", data=_deep(100_000), content_type="application/json")
    assert response.status_code == 400


def test_json_nested_too_deep_on_the_sms_hook_answers_400(client, make_tenant, monkeypatch):
    monkeypatch.setattr(connections, "sms_inbound_accepts", lambda token: True)
    made = make_tenant()
    response = client.post(f"/{made.tenant.slug}/sms/inbound", data=_deep(100_000), content_type="application/json")
    assert response.status_code == 400


def test_a_name_with_an_override_reaches_the_record_and_the_staff_mail_without_it(app, make_tenant):
    made = make_tenant(locale="fa")
    client = app.test_client()
    name = f"Sara {RLO}gpj.exe"
    response = file_complaint(client, made.tenant.slug, complainant_name=name, subject=f"Bill {RLO}fdp")
    assert response.status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        complaint = db.session.scalars(sa.select(Complaint)).one()
        assert complaint.complainant_name == "Sara gpj.exe"
        assert complaint.subject == "Bill fdp"
        staff_mail = db.session.scalars(
            sa.select(Notice).where(Notice.audience == "staff", Notice.channel == "email")
        ).all()
    assert staff_mail, "the new complaint is told to the staff by e-mail"
    assert all(RLO not in n.subject + n.body for n in staff_mail)
    assert any("Sara gpj.exe" in n.subject + n.body or "Bill fdp" in n.subject + n.body for n in staff_mail)


def test_a_bot_conversation_keeps_no_override(app, make_tenant):
    from services.intake.conversations import handle

    made = make_tenant(locale="fa")

    def say(text: str) -> None:
        update = {"message": {"chat": {"id": 77}, "from": {"language_code": "en"}, "text": text}}
        handle(made.tenant, "telegram", update)

    with app.test_request_context(), tenant_scope(made.tenant.id):
        for text in ("/start", f"Ali {RLO}reza", "0912 123 4567", f"Waited {RLO}two hours\u2066."):
            say(text)
        complaint = db.session.scalars(sa.select(Complaint)).one()
        assert complaint.complainant_name == "Ali reza"
        assert RLO not in complaint.description
        assert "\u2066" not in complaint.description


def test_a_mail_keeps_no_override_in_its_sender_name_subject_or_text(app, make_tenant):
    from services.intake.inbound_mail import take

    made = make_tenant()
    message = EmailMessage()
    message["From"] = f"Reza {RLO}ilA <reza@example.com>"
    message["To"] = "desk@clinic.example"
    message["Subject"] = f"Invoice {RLO}fdp.exe"
    message["Message-ID"] = "<bidi-1@example.com>"
    message.set_content(f"The {RLO}text.")
    with app.test_request_context(), tenant_scope(made.tenant.id):
        take(made.tenant, message.as_bytes())
        complaint = db.session.scalars(sa.select(Complaint)).one()
        assert (complaint.complainant_name, complaint.subject) == ("Reza ilA", "Invoice fdp.exe")
        assert complaint.description == "The text."


def test_status_lookups_are_limited_per_chat(make_app, make_tenant):
    from services.intake.conversations import handle, handle_sms

    app = make_app(RATELIMITS={"chat_status": "3/10 minutes"})
    made = make_tenant()

    def status(chat: int) -> str:
        update = {"message": {"chat": {"id": chat}, "from": {"language_code": "en"}, "text": "/status 1234567890128"}}
        return handle(made.tenant, "telegram", update)

    with app.test_request_context(), tenant_scope(made.tenant.id):
        answers = [status(5) for _ in range(4)]
        assert all("Too many" not in a for a in answers[:3])
        assert "Too many lookups" in answers[3]
        assert "Too many" not in status(6)  # another chat
        texts = [handle_sms(made.tenant, "+77011234567", "/status 1234567890128") for _ in range(4)]
        assert "Too many lookups" in texts[3]
        assert "Too many" not in texts[2]
