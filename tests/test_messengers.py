"""Rubika, WhatsApp and Eitaa against a local HTTP server that answers as each API does, refusals included:
a Rubika bot takes complaints by conversation and carries their notices; WhatsApp carries the notices of
customers who chose it, as text or as the approved template; the notice rules send staff notices to the unit's
head, the managers and the organization's Eitaa group."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from services.catalog.models import Unit
from services.complaints.models import Complaint
from services.complaints.operations import assign
from services.notifications.models import Notice
from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import StaffMember
from tests.fixtures.httpapi import JsonHandler, LocalServer, serving

TOKEN = "BOT-TOKEN-OF-THE-CLINIC-0123456789"


class Apis(JsonHandler):
    server: ApiServer

    def do_GET(self) -> None:
        match = re.fullmatch(r"/wa/(\d+)", self.path)
        if match and self.headers.get("Authorization") == f"Bearer {TOKEN}":
            self._reply(200, {"verified_name": "Clinic", "display_phone_number": "+7 701 000 00 00", "id": match[1]})
        else:
            self._reply(
                401, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}
            )

    def do_POST(self) -> None:
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        path = urlsplit(self.path).path
        self.server.calls.append((path, payload))
        if path.startswith("/rubika/"):
            self._rubika(path.split("/")[2], path.split("/")[3], payload)
        elif path.startswith("/eitaa/"):
            self._eitaa(path.split("/")[2], path.split("/")[3], payload)
        else:
            self._whatsapp(payload)

    def _rubika(self, token: str, method: str, payload: dict) -> None:
        if token != TOKEN:
            self._reply(200, {"status": "INVALID_ACCESS", "dev_message": "token is not valid"})
        elif method == "getMe":
            self._reply(200, {"status": "OK", "data": {"bot": {"bot_id": "b0X", "username": "clinic_bot"}}})
        elif method == "updateBotEndpoints":
            self._reply(200, {"status": "OK", "data": {"status": "Done"}})
        elif method == "sendMessage" and payload["chat_id"] == "b0gone":
            self._reply(200, {"status": "INVALID_INPUT", "dev_message": "chat_id is not valid"})
        else:
            self._reply(200, {"status": "OK", "data": {"message_id": str(len(self.server.calls))}})

    def _eitaa(self, token: str, method: str, payload: dict) -> None:
        if token != TOKEN:
            self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        elif method == "getMe":
            self._reply(200, {"ok": True, "result": {"id": 7, "first_name": "Clinic", "username": "clinicbot"}})
        elif payload.get("chat_id") == "missing":
            self._reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
        else:
            self._reply(200, {"ok": True, "result": {"message_id": len(self.server.calls), "text": payload["text"]}})

    def _whatsapp(self, payload: dict) -> None:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._reply(
                401, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}
            )
        elif payload["type"] == "text" and payload["to"].endswith("99"):
            error = {"message": "(#131047) Re-engagement message", "type": "OAuthException", "code": 131047}
            self._reply(400, {"error": {**error, "error_data": {"details": "More than 24 hours have passed"}}})
        else:
            to = payload["to"]
            self._reply(
                200,
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": to, "wa_id": to}],
                    "messages": [{"id": f"wamid.{len(self.server.calls)}"}],
                },
            )


class ApiServer(LocalServer):
    def __init__(self) -> None:
        super().__init__(Apis)

    @property
    def base(self) -> str:
        return self.url

    def to(self, prefix: str) -> list[dict]:
        return [p for path, p in self.calls if path.startswith(prefix)]


@pytest.fixture
def apis():
    with serving(ApiServer()) as server:
        yield server


def _app(make_app, apis):
    return make_app(
        MESSENGER_API_URLS={
            "rubika": f"{apis.base}/rubika",
            "eitaa": f"{apis.base}/eitaa",
            "whatsapp": f"{apis.base}/wa",
        }
    )


def _staff(app, made, login_as):
    staff = app.test_client()
    login_as(staff, made.tenant, made.owner)
    return staff


def _assign(app, made, complaint_id: int, unit_id: int, handler_id: int) -> None:
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        complaint = db.session.get(Complaint, complaint_id)
        assign(owner, complaint_id, unit_id, handler_id, complaint.version)
        db.session.commit()


def _notices(app, made, **where) -> list[Notice]:
    with app.app_context(), tenant_scope(made.tenant.id):
        query = sa.select(Notice).order_by(Notice.id)
        for name, value in where.items():
            query = query.where(getattr(Notice, name) == value)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
    return found


def test_a_rubika_bot_takes_a_complaint_and_carries_its_notices(make_app, make_tenant, login_as, apis):
    app = _app(make_app, apis)
    made = make_tenant(locale="fa")
    staff = _staff(app, made, login_as)
    url = f"/{made.tenant.slug}/console/settings/channels/bot"
    refused = staff.post(url, data={"bot-bot_provider": "rubika", "bot-bot_token": "wrong"})
    assert refused.status_code == 422
    assert "INVALID_ACCESS" in refused.get_data(as_text=True)
    assert staff.post(url, data={"bot-bot_provider": "rubika", "bot-bot_token": TOKEN}).status_code == 303
    [endpoint] = [p for path, p in apis.calls if path.endswith("/updateBotEndpoints")]
    assert endpoint["type"] == "ReceiveUpdate"
    hook = urlsplit(endpoint["url"])
    assert hook.path == f"/{made.tenant.slug}/bots/rubika"
    key = parse_qs(hook.query)["key"][0]
    page = staff.get(f"/{made.tenant.slug}/console/settings/channels").get_data(as_text=True)
    assert TOKEN not in page
    assert key not in page
    client = app.test_client()

    def say(text: str, chat: str = "b0sara", presented: str = key):
        update = {
            "update": {
                "type": "NewMessage",
                "chat_id": chat,
                "new_message": {"message_id": "1", "text": text, "time": "1764400000", "sender_type": "User"},
            }
        }
        return client.post(f"/{made.tenant.slug}/bots/rubika?key={presented}", json=update)

    assert say("/start", presented="wrong").status_code == 403
    hook_url = f"/{made.tenant.slug}/bots/rubika?key={key}"
    assert client.post(hook_url, data="not json", content_type="application/json").status_code == 400
    # Not a message (the bot started, a button): acknowledged, nothing registered, nothing answered.
    assert client.post(hook_url, json={"update": {"type": "StartedBot", "chat_id": "b0sara"}}).status_code == 200
    assert client.post(hook_url, json={"inline_message": {"text": "x"}}).status_code == 200
    assert [p for p in apis.to("/rubika/") if "text" in p] == []
    for text in ("/start", "سارا احمدی", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "دو ساعت منتظر ماندم."):
        assert say(text).status_code == 200
    sent = [p for p in apis.to("/rubika/") if "text" in p]
    assert all(p["chat_id"] == "b0sara" for p in sent)
    with app.app_context(), tenant_scope(made.tenant.id):
        complaint = db.session.scalars(sa.select(Complaint)).one()
        assert (complaint.channel, complaint.messenger_id, complaint.phone) == (
            "messenger",
            "rubika:b0sara",
            "+989121234567",
        )
        code = complaint.code
    [receipt] = _notices(app, made, event="registered")
    assert (receipt.channel, receipt.recipient, receipt.status) == ("rubika", "b0sara", "sent")
    assert any(
        code[:4] in p["text"] or code[:4].translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in p["text"]
        for p in sent
    )
    # A chat Rubika does not know: the notice fails at once, with Rubika's words.
    for text in ("/start", "Reza", "09121234568", "Cold room."):
        say(text, chat="b0gone")
    failed = [n for n in _notices(app, made, event="registered") if n.recipient == "b0gone"]
    assert [(n.status, n.attempts) for n in failed] == [("failed", 1)]
    assert "INVALID_INPUT" in failed[0].last_error


def test_whatsapp_carries_the_notices_of_customers_who_chose_it(make_app, make_tenant, login_as, make_complaint, apis):
    app = _app(make_app, apis)
    made = make_tenant(locale="kk")
    staff = _staff(app, made, login_as)
    url = f"/{made.tenant.slug}/console/settings/channels/whatsapp"
    form = {"whatsapp-whatsapp_number": "1234567890", "whatsapp-whatsapp_token": "wrong"}
    refused = staff.post(url, data=form)
    assert refused.status_code == 422
    said = refused.get_data(as_text=True)
    assert "Invalid OAuth access token" in said
    assert "WhatsApp бұл телефон нөмірінің ID-ін және қолжетімділік токенін қабылдамады" in said  # in Kazakh
    bad_template = {**form, "whatsapp-whatsapp_token": TOKEN, "whatsapp-whatsapp_template": "Not A Name"}
    assert staff.post(url, data=bad_template).status_code == 422
    assert staff.post(url, data={**form, "whatsapp-whatsapp_token": TOKEN}).status_code == 303
    assert "+7 701 000 00 00" in staff.get(f"/{made.tenant.slug}/console/settings/channels").get_data(as_text=True)
    # The portal offers WhatsApp now that the organization has it.
    assert 'value="whatsapp"' in app.test_client().get(f"/{made.tenant.slug}/complaints/new").get_data(as_text=True)
    complaint = make_complaint(made, phone="+77011234567", preferred_contact="whatsapp", preferred_locale="kk")
    [receipt] = _notices(app, made, complaint_id=complaint.id, event="registered")
    assert (receipt.channel, receipt.recipient, receipt.status) == ("whatsapp", "+77011234567", "sent")
    assert receipt.provider_id.startswith("wamid.")
    [sent] = apis.to("/wa/1234567890/messages")
    assert (sent["to"], sent["type"], sent["messaging_product"]) == ("77011234567", "text", "whatsapp")
    assert complaint.code[:4] in sent["text"]["body"]
    # Outside the 24-hour window free text is refused for good; an approved template goes through.
    late = make_complaint(made, phone="+77011234599", preferred_contact="whatsapp", preferred_locale="kk")
    [refused_notice] = _notices(app, made, complaint_id=late.id, event="registered")
    assert refused_notice.status == "failed"
    assert "131047" in refused_notice.last_error
    kept_token = {**form, "whatsapp-whatsapp_token": "", "whatsapp-whatsapp_template": "dadras_notice"}
    assert staff.post(url, data=kept_token).status_code == 303
    later = make_complaint(made, phone="+77011234599", preferred_contact="whatsapp", preferred_locale="kk")
    [templated] = _notices(app, made, complaint_id=later.id, event="registered")
    assert templated.status == "sent"
    template = apis.to("/wa/1234567890/messages")[-1]["template"]
    assert (template["name"], template["language"]["code"]) == ("dadras_notice", "kk")
    [parameter] = template["components"][0]["parameters"]
    assert "\n" not in parameter["text"]
    assert later.code[:4] in parameter["text"]


def test_notice_rules_send_staff_notices_to_the_head_the_managers_and_the_eitaa_group(  # noqa: PLR0917
    make_app, make_tenant, make_user, login_as, make_complaint, apis
):
    app = _app(make_app, apis)
    made = make_tenant()
    staff = _staff(app, made, login_as)
    url = f"/{made.tenant.slug}/console/settings/channels/eitaa"
    assert staff.post(url, data={"eitaa-eitaa_token": "wrong", "eitaa-eitaa_chat": "clinic_staff"}).status_code == 422
    assert staff.post(url, data={"eitaa-eitaa_token": TOKEN, "eitaa-eitaa_chat": ""}).status_code == 422
    assert staff.post(url, data={"eitaa-eitaa_token": TOKEN, "eitaa-eitaa_chat": "clinic_staff"}).status_code == 303
    head = make_user(made.tenant, role="agent", email="head@clinic.example.com")
    agent = make_user(made.tenant, role="agent", email="agent@clinic.example.com")
    make_user(made.tenant, role="manager", email="manager@clinic.example.com")
    with app.app_context(), tenant_scope(made.tenant.id):
        unit = Unit(key="night-desk", names={"en": "Night desk"}, head_id=head.id)
        db.session.add(unit)
        db.session.commit()
        unit_id = unit.id
    page = staff.get(f"/{made.tenant.slug}/console/settings/notices").get_data(as_text=True)
    assert 'id="copy-assigned-group"' in page
    assert 'id="no-group"' not in page
    events = ["assigned", "customer_replied", "registered", "staff_message", "responded"]
    form = {"enabled": events, "copy-assigned": ["unit_head", "managers", "group"], "copy-customer_replied": ["nobody"]}
    assert staff.post(f"/{made.tenant.slug}/console/settings/notices", data=form).status_code == 303
    page = staff.get(f"/{made.tenant.slug}/console/settings/notices").get_data(as_text=True)
    assert re.search(r'id="copy-assigned-managers"[^>]* checked', page)
    complaint = make_complaint(made)
    _assign(app, made, complaint.id, unit_id, agent.id)
    told = {(n.channel, n.recipient, n.status) for n in _notices(app, made, event="assigned")}
    assert told == {
        ("email", "agent@clinic.example.com", "sent"),
        ("email", "head@clinic.example.com", "sent"),
        ("email", "manager@clinic.example.com", "sent"),
        ("eitaa", "clinic_staff", "sent"),
    }  # and not the owner, who made the assignment
    [posted] = apis.to("/eitaa/")[-1:]
    assert posted["chat_id"] == "clinic_staff"
    assert complaint.code[:4] in posted["text"]
    # The group gone from Eitaa: the notice fails with Eitaa's words; switched off, nobody is told.
    assert staff.post(url, data={"eitaa-eitaa_token": "", "eitaa-eitaa_chat": "missing"}).status_code == 303
    second = make_complaint(made)
    _assign(app, made, second.id, unit_id, agent.id)
    [group] = _notices(app, made, event="assigned", complaint_id=second.id, channel="eitaa")
    assert (group.status, "chat not found" in group.last_error) == ("failed", True)
    form["enabled"] = [e for e in events if e != "assigned"]
    assert staff.post(f"/{made.tenant.slug}/console/settings/notices", data=form).status_code == 303
    third = make_complaint(made)
    _assign(app, made, third.id, unit_id, agent.id)
    assert _notices(app, made, event="assigned", complaint_id=third.id) == []
