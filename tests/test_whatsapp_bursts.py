"""A customer's burst on WhatsApp (several photos picked at once) comes as deliveries at the same moment; on
PostgreSQL with real commits, each is taken, none overwrites another's file, and a conversation is begun once."""

from __future__ import annotations

import json
import threading

import sqlalchemy as sa

from services.intake.models import BotConversation, WhatsAppMessage
from tenants.context import tenant_scope
from tenants.db import db
from tests.fixtures.factories import PASSWORD
from tests.fixtures.httpapi import serving
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


def _at_once(app, slug: str, payloads: list[dict]) -> list[int]:
    start = threading.Barrier(len(payloads))
    codes: list[int] = []
    failures: list[BaseException] = []

    def deliver(payload: dict) -> None:
        try:
            start.wait(10)
            codes.append(_post(app, slug, payload))
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
