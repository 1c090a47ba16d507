"""Signed webhooks to the organization's own systems: every complaint event as JSON, HMAC-SHA256 over the
timestamp and the body, retried until taken; never a one-time code. A local HTTP server checks the signature."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from services.complaints.models import Complaint
from services.connections import operations as connections
from services.connections.queries import connection
from services.notifications import delivery
from services.notifications.models import Notice
from tenants.context import tenant_scope
from tenants.db import clock_at, db, utcnow
from tenants.errors import Refused
from tenants.models import StaffMember
from tests.fixtures.httpapi import JsonHandler, LocalServer, serving

SECRET = "a-shared-secret-of-our-own"


class Receiver(JsonHandler):
    server: ReceiverServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        fields = dict(part.split("=", 1) for part in self.headers["Dadras-Signature"].split(","))
        expected = hmac.new(SECRET.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
        verified = hmac.compare_digest(expected, fields["v1"])
        self.server.received.append(
            {"event": self.headers["Dadras-Event"], "verified": verified, "body": json.loads(body)}
        )
        status = self.server.answers.pop(0) if self.server.answers else 200
        self.send_response(status if verified else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()


class ReceiverServer(LocalServer):
    def __init__(self) -> None:
        super().__init__(Receiver)
        self.received: list[dict] = []
        self.answers: list[int] = []


@pytest.fixture
def receiver():
    with serving(ReceiverServer()) as server:
        yield server


def _hook(app, made, url: str) -> None:
    with app.app_context(), tenant_scope(made.tenant.id):
        connections.save_webhook(db.session.get(StaffMember, made.owner.id), url=url, secret=SECRET)
        db.session.commit()


def test_every_event_reaches_the_webhook_signed_and_a_refusal_is_retried(app, make_tenant, make_complaint, receiver):
    made = make_tenant()
    _hook(app, made, f"http://127.0.0.1:{receiver.server_address[1]}/dadras")
    receiver.answers = [503]  # the first delivery meets an outage
    complaint = make_complaint(made, phone="+98 912 123 4567")
    with app.app_context(), tenant_scope(made.tenant.id):
        hook = db.session.scalars(sa.select(Notice).where(Notice.channel == "webhook")).one()
        assert (hook.status, hook.attempts) == ("pending", 1)
        with clock_at(utcnow() + timedelta(minutes=5)):
            assert delivery.deliver(hook.id) == "sent"
        from services.portal import operations as portal

        portal.send_proof(db.session.get(Complaint, complaint.id), "sms")  # not for the organization's systems
        db.session.commit()
    assert [r["event"] for r in receiver.received] == ["registered", "registered"]
    assert all(r["verified"] for r in receiver.received)
    body = receiver.received[-1]["body"]
    assert body["complaint"]["code"] == complaint.code
    assert body["organization"] == made.tenant.slug
    assert "+989121234567" not in json.dumps(body)  # the customer's contacts stay home
    with app.app_context(), tenant_scope(made.tenant.id):
        events = db.session.scalars(sa.select(Notice.event).where(Notice.channel == "webhook")).all()
        assert events == ["registered"]


def test_the_webhook_settings_refuse_a_weak_secret_and_never_show_it(app, make_tenant, login_as):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/settings/channels/webhook"
    weak = client.post(url, data={"hook-webhook_url": "https://example.com/hook", "hook-webhook_secret": "short"})
    assert weak.status_code == 422
    saved = client.post(url, data={"hook-webhook_url": "https://example.com/hook", "hook-webhook_secret": SECRET})
    assert saved.status_code == 303
    page = client.get(f"/{made.tenant.slug}/console/settings/channels").get_data(as_text=True)
    assert SECRET not in page
    assert SECRET[-4:] in page
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        with pytest.raises(Refused):
            connections.save_webhook(owner, url="ftp://example.com", secret=SECRET)
    assert client.post(f"{url}/remove").status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        assert connection("webhook") is None
