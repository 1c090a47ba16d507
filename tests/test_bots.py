"""Complaints by messenger: the organization connects its Telegram or Bale bot; a customer's conversation
registers a complaint, /status answers where it stands, and notices come back to the chat. A local HTTP
server answers as the Bot API does, its refusals included."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from services.complaints.models import Complaint
from services.notifications.models import Notice
from tenants.context import tenant_scope
from tenants.db import db
from tests.fixtures.httpapi import JsonHandler, LocalServer, serving

TOKEN = "123456:ABC-our-bot-token"


class BotApi(JsonHandler):
    server: BotApiServer

    def do_POST(self) -> None:
        match = re.fullmatch(r"/bot(?P<token>[^/]+)/(?P<method>\w+)", self.path)
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        self.server.calls.append((match["method"], payload))
        if match["token"] != TOKEN:
            self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        elif match["method"] == "setWebhook":
            self._reply(200, {"ok": True, "result": True, "description": "Webhook was set"})
        elif match["method"] == "getMe":
            self._reply(200, {"ok": True, "result": {"id": 42, "is_bot": True, "username": "clinic_bot"}})
        elif match["method"] == "sendMessage" and str(payload["chat_id"]) == "404":
            self._reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
        elif match["method"] == "sendMessage":
            message = {
                "message_id": len(self.server.calls),
                "chat": {"id": payload["chat_id"]},
                "text": payload["text"],
            }
            self._reply(200, {"ok": True, "result": message})
        else:
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})


class BotApiServer(LocalServer):
    def __init__(self) -> None:
        super().__init__(BotApi)

    def sent(self) -> list[tuple[str, str]]:
        return [(str(p["chat_id"]), p["text"]) for m, p in self.calls if m == "sendMessage"]


@pytest.fixture
def bot_api():
    with serving(BotApiServer()) as server:
        yield server


def _connect(make_app, make_tenant, login_as, bot_api, provider: str, *, locale: str = "en"):
    base = f"http://127.0.0.1:{bot_api.server_address[1]}"
    app = make_app(BOT_API_URLS={"telegram": base, "bale": base})
    made = make_tenant(locale=locale)
    staff = app.test_client()
    login_as(staff, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/settings/channels/bot"
    refused = staff.post(url, data={"bot-bot_provider": provider, "bot-bot_token": "wrong"})
    assert refused.status_code == 422
    assert "Unauthorized" in refused.get_data(as_text=True)
    assert staff.post(url, data={"bot-bot_provider": provider, "bot-bot_token": TOKEN}).status_code == 303
    hook = next(p for m, p in reversed(bot_api.calls) if m == "setWebhook")
    assert hook["url"] == f"http://127.0.0.1:5000/{made.tenant.slug}/bots/{provider}"
    page = staff.get(f"/{made.tenant.slug}/console/settings/channels").get_data(as_text=True)
    assert TOKEN not in page
    assert "@clinic_bot" in page
    return app, made, hook["secret_token"]


def _say(client, bot, chat: int, text: str, *, language: str = "fa"):
    """`bot` is (made, provider, secret): post one message from `chat` as the messenger would."""
    made, provider, secret = bot
    update = {
        "update_id": 1,
        "message": {
            "message_id": 7,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "Sara", "language_code": language},
            "text": text,
        },
    }
    return client.post(
        f"/{made.tenant.slug}/bots/{provider}", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
    )


@pytest.mark.parametrize("provider", ["telegram", "bale"])
def test_a_conversation_registers_a_complaint_and_status_answers(make_app, make_tenant, login_as, bot_api, provider):
    app, made, secret = _connect(make_app, make_tenant, login_as, bot_api, provider, locale="fa")
    client = app.test_client()
    assert _say(client, (made, provider, "wrong-secret"), 555, "/start").status_code == 403
    assert (
        client.post(
            f"/{made.tenant.slug}/bots/{provider}", data="not json", headers={"X-Telegram-Bot-Api-Secret-Token": secret}
        ).status_code
        == 400
    )
    for text in ("/start", "سارا احمدی", "not a number", "0912 123 4567", "دو ساعت منتظر ماندم و کسی توضیح نداد."):
        assert _say(client, (made, provider, secret), 555, text).status_code == 200
    answers = [text for chat, text in bot_api.sent() if chat == "555"]
    assert len(answers) >= 6  # five answers and the receipt notice
    with app.app_context(), tenant_scope(made.tenant.id):
        complaint = db.session.scalars(sa.select(Complaint)).one()
        assert (complaint.channel, complaint.messenger_id) == ("messenger", f"{provider}:555")
        assert complaint.phone == "+989121234567"
        assert complaint.preferred_locale == "fa"
        notice = db.session.scalars(sa.select(Notice).where(Notice.event == "registered")).one()
        assert (notice.channel, notice.recipient, notice.status) == (provider, "555", "sent")
        code = complaint.code
    assert any(code[:4] in text for text in answers[-2:])  # the code, in the answer and in the receipt
    assert any("?t=" in text for text in answers)  # the receipt carries the signed tracking link
    assert _say(client, (made, provider, secret), 555, f"/status {code}").status_code == 200
    assert bot_api.sent()[-1][1].lstrip("\u2066").startswith(code[:4])
    assert _say(client, (made, provider, secret), 555, "/status 1234").status_code == 200
    assert "13" in bot_api.sent()[-1][1] or "۱۳" in bot_api.sent()[-1][1]  # a code has 13 digits


def test_a_chat_that_is_gone_fails_the_notice_at_once(make_app, make_tenant, login_as, bot_api):
    app, made, secret = _connect(make_app, make_tenant, login_as, bot_api, "telegram")
    client = app.test_client()
    for text in ("/start", "Sara", "+98 912 123 4567", "Waited two hours."):
        _say(client, (made, "telegram", secret), 404, text, language="en")
    with app.app_context(), tenant_scope(made.tenant.id):
        notice = db.session.scalars(sa.select(Notice).where(Notice.event == "registered")).one()
        assert (notice.status, notice.attempts) == ("failed", 1)
        assert "chat not found" in notice.last_error


def test_one_organizations_bot_secret_opens_no_other_organization(make_app, make_tenant, login_as, bot_api):
    app, made, secret = _connect(make_app, make_tenant, login_as, bot_api, "telegram")
    other = make_tenant()
    client = app.test_client()
    assert _say(client, (other, "telegram", secret), 9, "/start").status_code == 403
    assert _say(client, (made, "bale", secret), 9, "/start").status_code == 403  # no Bale bot here
    with app.app_context(), tenant_scope(other.tenant.id):
        from services.intake.models import BotConversation

        assert db.session.scalars(sa.select(BotConversation)).all() == []


def test_a_chat_files_a_few_complaints_a_day_not_a_flood(make_app, make_tenant, login_as, bot_api):
    app, made, secret = _connect(make_app, make_tenant, login_as, bot_api, "telegram")
    app.config["RATELIMITS"]["chat_filing"] = "2/day"
    client = app.test_client()
    for n in range(3):
        for text in ("/start", "Sara", "+98 912 123 4567", f"Complaint number {n}."):
            assert _say(client, (made, "telegram", secret), 77, text, language="en").status_code == 200
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 2
    assert "several complaints today" in bot_api.sent()[-1][1]
    # Another chat is not held back.
    for text in ("/start", "Reza", "+98 912 765 4321", "Cold waiting room."):
        _say(client, (made, "telegram", secret), 78, text, language="en")
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 3
