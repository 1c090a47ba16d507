"""A customer's burst comes as deliveries at the same moment (WhatsApp: several photos picked at once; Telegram:
updates over up to 40 connections); on PostgreSQL with real commits, each is taken, none overwrites another's
file, and a conversation is begun once."""

from __future__ import annotations

import json
import threading

import sqlalchemy as sa

from services.intake.models import BotConversation, WhatsAppMessage
from tenants.context import tenant_scope
from tenants.db import db
from tests.fixtures.factories import PASSWORD
from tests.fixtures.httpapi import serving
from tests.test_bots import TOKEN as BOT_TOKEN
from tests.test_bots import BotApiServer
from tests.test_whatsapp_intake import APP_SECRET, NUMBER_ID, TOKEN, GraphServer, _body, _document, _signed, _text


def _connected(committing, graph) -> tuple[object, int, str]:
    app, tenant_id, slug = committing(
        MESSENGER_API_URLS={"whatsapp": f"{graph.url}/wa"}, BASE_URL="https://dadras.example.com"
    )
    staff = app.test_client()
    login = {"email": f"owner@{slug}.ir", "password": PASSWORD}
    assert staff.post(f"/{slug}/console/login", data=login).status_code == 303
    form = {
        "whatsapp-whatsapp_number": NUMBER_ID,
        "whatsapp-whatsapp_token": TOKEN,
        "whatsapp-whatsapp_app_secret": APP_SECRET,
    }
    assert staff.post(f"/{slug}/console/settings/channels/whatsapp", data=form).status_code == 303
    return app, tenant_id, slug


def _post(app, slug: str, payload: dict) -> int:
    raw = json.dumps(payload).encode()
    return app.test_client().post(f"/{slug}/bots/whatsapp", data=raw, headers=_signed(raw)).status_code


def _at_once(app, slug: str, payloads: list[dict], post=None) -> list[int]:
    start = threading.Barrier(len(payloads))
    codes: list[int] = []
    failures: list[BaseException] = []

    def deliver(payload: dict) -> None:
        try:
            start.wait(10)
            codes.append((post or _post)(app, slug, payload))
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=deliver, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    return codes


def _conversations(app, tenant_id: int) -> list[dict]:
    with app.app_context(), tenant_scope(tenant_id):
        found = [dict(talk.data) for talk in db.session.scalars(sa.select(BotConversation))]
        db.session.remove()
    return found


def test_files_sent_at_once_during_a_conversation_are_all_kept(committing):
    with serving(GraphServer()) as graph:
        app, tenant_id, slug = _connected(committing, graph)
        for text in ("Hello", "Aigerim Bekova"):
            assert _post(app, slug, _body(_text(text))) == 200
        codes = _at_once(app, slug, [_body(_document("MEDIA-PDF", f"scan{i}.pdf")) for i in range(4)])
        assert codes == [200] * 4
        [talk] = _conversations(app, tenant_id)
        assert sorted(item["filename"] for item in talk["files"]) == [f"scan{i}.pdf" for i in range(4)]
        assert sum("The file is kept" in text for text in graph.texts()) == 4


def test_photos_that_begin_a_conversation_at_once_begin_it_once_and_are_all_kept(committing):
    with serving(GraphServer()) as graph:
        app, tenant_id, slug = _connected(committing, graph)
        codes = _at_once(app, slug, [_body(_document("MEDIA-PDF", f"photo{i}.pdf")) for i in range(3)])
        assert codes == [200] * 3
        [talk] = _conversations(app, tenant_id)
        assert sorted(item["filename"] for item in talk["files"]) == [f"photo{i}.pdf" for i in range(3)]
        with app.app_context(), tenant_scope(tenant_id):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(WhatsAppMessage)) == 3
            db.session.remove()
        assert len(graph.texts()) == 3  # the greeting, and each of the other two told it is kept


def test_two_telegram_messages_at_once_begin_one_conversation(committing):
    with serving(BotApiServer()) as bots:
        app, tenant_id, slug = committing(BOT_API_URLS={"telegram": f"http://127.0.0.1:{bots.server_address[1]}"})
        staff = app.test_client()
        assert (
            staff.post(f"/{slug}/console/login", data={"email": f"owner@{slug}.ir", "password": PASSWORD}).status_code
            == 303
        )
        form = {"bot-bot_provider": "telegram", "bot-bot_token": BOT_TOKEN}
        assert staff.post(f"/{slug}/console/settings/channels/bot", data=form).status_code == 303
        secret = next(p for m, p in reversed(bots.calls) if m == "setWebhook")["secret_token"]

        def post(app, slug: str, update: dict) -> int:
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            return app.test_client().post(f"/{slug}/bots/telegram", json=update, headers=headers).status_code

        updates = [
            {
                "update_id": number,
                "message": {
                    "message_id": number,
                    "chat": {"id": 555, "type": "private"},
                    "from": {"id": 555, "is_bot": False, "first_name": "Sara", "language_code": "en"},
                    "text": text,
                },
            }
            for number, text in enumerate(("Hello", "Sara Ahmadi"), start=1)
        ]
        assert _at_once(app, slug, updates, post) == [200, 200]
        assert len(_conversations(app, tenant_id)) == 1
        assert len(bots.sent()) == 2  # the greeting, and the next question
