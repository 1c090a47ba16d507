"""Text messages through the organization's own provider. Each adapter talks to a local HTTP server that answers
in that provider's request and response format, its refusals included; no function is mocked."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from services.connections import operations as connections
from services.connections.models import Connection
from services.connections.queries import connection, sms_sender
from services.notifications.models import Notice
from tenants.context import tenant_scope
from tenants.db import db
from tenants.errors import Refused
from tenants.models import StaffMember
from tests.fixtures.httpapi import JsonHandler, LocalServer, serving

GOOD_KEY = "good-key-1234"
BAD_NUMBER = "+989120000000"


class Gateway(JsonHandler):
    """Answers as Kavenegar, SMS.ir, Mobizon or a plain JSON gateway would, by the path it is called on."""

    server: GatewayServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        is_json = self.headers.get("Content-Type", "").startswith("application/json")
        body = json.loads(raw) if is_json else {k: v[0] for k, v in parse_qs(raw).items()}
        self.server.calls.append({"path": parts.path, "query": query, "headers": dict(self.headers), "body": body})
        if parts.path.startswith("/v1/") and parts.path.endswith("/sms/send.json"):
            self._kavenegar(parts.path.split("/")[2], body)
        elif parts.path == "/v1/send/bulk":
            self._smsir(self.headers.get("X-API-KEY"), body)
        elif parts.path == "/service/message/sendsmsmessage":
            self._mobizon(query.get("apiKey"), body)
        else:
            self._plain(self.headers.get("Authorization"), body)

    def _kavenegar(self, key: str, body: dict) -> None:
        if key != GOOD_KEY:
            self._reply(
                403, {"return": {"status": 403, "message": "کد شناسائی API-Key معتبر نمی‌باشد"}, "entries": None}
            )
        elif body["receptor"] == BAD_NUMBER.lstrip("+"):
            self._reply(411, {"return": {"status": 411, "message": "گیرنده نامعتبر است"}, "entries": None})
        else:
            entry = {"messageid": 8792343, "message": body["message"], "status": 1, "statustext": "در صف ارسال"}
            self._reply(200, {"return": {"status": 200, "message": "تایید شد"}, "entries": [entry | body]})

    def _smsir(self, key: str | None, body: dict) -> None:
        if key != GOOD_KEY:
            self._reply(401, {"status": 0, "message": "کلید وب سرویس نامعتبر است", "data": None})
        elif body["mobiles"] == [BAD_NUMBER[3:]]:
            self._reply(400, {"status": 104, "message": "شماره موبایل نامعتبر است", "data": None})
        else:
            data = {"packId": "c4f1a7b0-1d9e-4a6b-9d7e-0c1b2f3a4d5e", "messageIds": [1043211], "cost": 1.0}
            self._reply(200, {"status": 1, "message": "موفق", "data": data})

    def _mobizon(self, key: str | None, body: dict) -> None:
        if key != GOOD_KEY:
            self._reply(200, {"code": 8, "data": "", "message": "Неверный ключ API."})
        elif body["recipient"] == BAD_NUMBER.lstrip("+"):
            self._reply(200, {"code": 1, "data": {"recipient": "Неверный номер получателя."}, "message": ""})
        else:
            self._reply(
                200, {"code": 0, "data": {"campaignId": "9182", "messageId": "55301", "status": 1}, "message": ""}
            )

    def _plain(self, authorization: str | None, body: dict) -> None:
        if authorization != f"Bearer {GOOD_KEY}":
            self._reply(503, {"error": "try later"})
        elif body["to"] == BAD_NUMBER:
            self._reply(400, {"error": "no such number"})
        else:
            self._reply(200, {"id": "gw-77"})


class GatewayServer(LocalServer):
    def __init__(self) -> None:
        super().__init__(Gateway)


@pytest.fixture
def gateway():
    with serving(GatewayServer()) as server:
        yield server


def _use(app, made, provider: str, base_url: str, *, key: str = GOOD_KEY, sender: str = "10004346") -> None:
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        connections.save_sms_gateway(owner, provider=provider, sender=sender, base_url=base_url, secret=key)
        db.session.commit()


def _notice(app, made) -> Notice:
    with app.app_context(), tenant_scope(made.tenant.id):
        notice = db.session.scalars(sa.select(Notice).order_by(Notice.id.desc())).first()
        db.session.expunge(notice)
        return notice


PROVIDERS = ["kavenegar", "smsir", "mobizon", "http"]


def _base(gateway, provider: str) -> str:
    return gateway.url + ("/gateway/send" if provider == "http" else "")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_receipt_goes_out_through_the_organizations_provider(app, make_tenant, make_complaint, gateway, provider):
    made = make_tenant(locale="fa")
    _use(app, made, provider, _base(gateway, provider))
    complaint = make_complaint(made, phone="+98 912 123 4567", preferred_locale="fa")
    notice = _notice(app, made)
    assert (notice.channel, notice.status, notice.attempts) == ("sms", "sent", 1)
    assert app.extensions.get("dadras.sent_sms", []) == []  # not the development backend
    [call] = gateway.calls
    text = {
        "kavenegar": lambda b: b["message"],
        "smsir": lambda b: b["messageText"],
        "mobizon": lambda b: b["text"],
        "http": lambda b: b["text"],
    }[provider](call["body"])
    assert complaint.code[:4] in text
    assert "شکایت" in text
    if provider == "kavenegar":
        assert call["path"] == f"/v1/{GOOD_KEY}/sms/send.json"
        assert call["body"]["receptor"] == "989121234567"
        assert call["body"]["sender"] == "10004346"
        assert call["body"]["localid"] == str(notice.id)  # a repeat of this notice is dropped by Kavenegar
        assert notice.provider_id == "8792343"
    elif provider == "smsir":
        assert call["headers"]["X-API-KEY"] == GOOD_KEY
        assert call["body"]["mobiles"] == ["9121234567"]
        assert call["body"]["lineNumber"] == "10004346"
        assert notice.provider_id == "1043211"
    elif provider == "mobizon":
        assert call["query"] == {"output": "json", "api": "v1", "apiKey": GOOD_KEY}
        assert call["body"]["recipient"] == "989121234567"
        assert notice.provider_id == "55301"
    else:
        assert call["headers"]["Authorization"] == f"Bearer {GOOD_KEY}"
        assert call["headers"]["Idempotency-Key"] == f"dadras-{made.tenant.id}-{notice.id}"
        assert notice.provider_id == "gw-77"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_refused_number_fails_at_once_and_a_refused_key_is_retried(
    app, make_tenant, make_complaint, gateway, provider
):
    made = make_tenant()
    _use(app, made, provider, _base(gateway, provider))
    make_complaint(made, phone=BAD_NUMBER)
    notice = _notice(app, made)
    assert (notice.status, notice.attempts) == ("failed", 1)
    _use(app, made, provider, _base(gateway, provider), key="wrong-key")
    make_complaint(made, phone="+98 912 123 4567")
    notice = _notice(app, made)
    assert (notice.status, notice.attempts) == ("pending", 1)  # the organization's to fix: tried again later
    assert notice.last_error


def test_a_gateway_that_does_not_answer_is_retried(app, make_tenant, make_complaint):
    made = make_tenant()
    _use(app, made, "kavenegar", "http://127.0.0.1:9")  # nothing listens on the discard port
    make_complaint(made, phone="+98 912 123 4567")
    notice = _notice(app, made)
    assert (notice.status, notice.attempts) == ("pending", 1)
    assert "unreachable" in notice.last_error


def test_the_key_is_sealed_never_shown_and_kept_when_left_blank(app, make_tenant, login_as, gateway):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/settings/channels"
    assert client.get(url).status_code == 200
    missing = client.post(url, data={"provider": "kavenegar", "sender": "10004346"})
    assert missing.status_code == 422  # no key yet
    saved = client.post(url, data={"provider": "kavenegar", "sender": "10004346", "secret": GOOD_KEY})
    assert saved.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert GOOD_KEY not in page
    assert GOOD_KEY[-4:] in page
    with app.app_context(), tenant_scope(made.tenant.id):
        row = db.session.scalars(sa.select(Connection)).one()
        assert GOOD_KEY not in row.secret_encrypted
    kept = client.post(url, data={"provider": "kavenegar", "sender": "10009999", "secret": ""})
    assert kept.status_code == 303
    switched = client.post(url, data={"provider": "smsir", "sender": "3000"})
    assert switched.status_code == 422  # a new provider needs its own key
    with app.app_context(), tenant_scope(made.tenant.id):
        row = db.session.scalars(sa.select(Connection)).one()
        assert (row.provider, row.settings["sender"]) == ("kavenegar", "10009999")
        assert sms_sender() is not None
    assert client.post(f"{url}/pigeon/remove").status_code == 404
    assert client.post(f"{url}/sms/remove").status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        assert connection("sms") is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"provider": "pigeon"}, "provider"),
        ({"sender": ""}, "sender"),
        ({"provider": "http", "base_url": ""}, "base_url"),
        ({"base_url": "ftp://example.com"}, "base_url"),
    ],
)
def test_an_account_that_cannot_work_is_refused(app, make_tenant, change, field):
    made = make_tenant()
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        data = {"provider": "kavenegar", "sender": "10004346", "base_url": "", "secret": GOOD_KEY} | change
        with pytest.raises(Refused) as refused:
            connections.save_sms_gateway(owner, **data)
        assert refused.value.field == field


def test_a_complaint_by_text_message_through_the_gateway(app, make_tenant, login_as, gateway):
    """The gateway posts what the organization's number received; the answers go back through it."""
    from services.complaints.models import Complaint

    made = make_tenant(locale="fa")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/settings/channels"
    assert client.post(f"{url}/inbound").status_code == 422  # before a provider: refused, nothing made
    _use(app, made, "http", _base(gateway, "http"))
    shown = client.post(f"{url}/inbound").get_data(as_text=True)
    token = re.search(r"data-token>([^<]+)<", shown).group(1)
    assert f"/{made.tenant.slug}/sms/inbound" in shown
    assert token not in client.get(url).get_data(as_text=True)  # shown once

    _use(app, made, "http", _base(gateway, "http"), sender="30001")  # a changed provider keeps the inbound token
    inbound = f"/{made.tenant.slug}/sms/inbound"
    assert client.post(inbound, data={"from": "09121234567", "text": "سلام"}).status_code == 403
    sms = app.test_client()
    for text in ("سلام", "سارا احمدی", "دو ساعت منتظر ماندم."):
        response = sms.post(f"{inbound}?token={token}", data={"from": "0912 123 4567", "text": text})
        assert response.status_code == 200
    with app.app_context(), tenant_scope(made.tenant.id):
        complaint = db.session.scalars(sa.select(Complaint)).one()
        assert (complaint.channel, complaint.phone, complaint.preferred_contact) == ("sms", "+989121234567", "sms")
    texts = [call["body"]["text"] for call in gateway.calls if call["body"].get("to") == "+989121234567"]
    assert len(texts) == 4  # three answers and the receipt
    assert any(complaint.code[:4] in text for text in texts)
    assert (
        sms.post(inbound, json={"from": "0912 123 4567", "text": "x"}, headers={"X-Dadras-Token": token}).status_code
        == 200
    )
