"""Complaints by WhatsApp against a local HTTP server standing in for the Graph API, with callback bodies shaped as
Meta documents them and signed over their raw bytes: the handshake, the signature, the conversation to a
registered complaint, a message on an open complaint, files through the media endpoint, repeated deliveries, the
statuses of our notices, and bodies of every other shape acknowledged without harm."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from services.complaints.models import Attachment, Complaint, ComplaintEvent
from services.intake.models import BotConversation
from services.intake.whatsapp import forget_all_message_ids
from services.notifications.models import Notice, NoticeStatus
from services.tracking import format_code
from tenants.context import tenant_scope
from tenants.db import db, utcnow
from tests.fixtures.files import make_pdf
from tests.fixtures.httpapi import JsonHandler, LocalServer, serving

TOKEN = "EAAG-ACCESS-TOKEN-OF-THE-CLINIC-0123456789"
APP_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
NUMBER_ID = "1234567890"
WA_ID = "77011234567"
# A voice message is Ogg Opus: the container's first page is all the attachment rules look at.
VOICE = b"OggS\x00\x02" + bytes(20) + b"\x01\x13OpusHead\x01\x01" + bytes(200)
FILES = {"MEDIA-PDF": make_pdf(), "MEDIA-BROKEN": make_pdf()[:-12], "MEDIA-VOICE": VOICE}


class Graph(JsonHandler):
    server: GraphServer

    def _refuse(self) -> None:
        self._reply(401, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}})

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._refuse()
            return
        path = urlsplit(self.path).path
        self.server.calls.append(("GET", path, None))
        if path == f"/wa/{NUMBER_ID}":
            self._reply(200, {"verified_name": "Clinic", "display_phone_number": "+7 701 000 00 00", "id": NUMBER_ID})
        elif (media := re.fullmatch(r"/wa/(MEDIA-[A-Z]+)", path)) and media[1] in FILES:
            self._reply(200, {"url": f"{self.server.url}/files/{media[1]}", "mime_type": "application/pdf"})
        elif (file := re.fullmatch(r"/files/(MEDIA-[A-Z]+)", path)) and file[1] in FILES:
            data = FILES[file[1]]
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self._reply(
                400, {"error": {"message": "Unsupported get request.", "type": "GraphMethodException", "code": 100}}
            )

    def do_POST(self) -> None:
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._refuse()
            return
        self.server.calls.append(("POST", urlsplit(self.path).path, payload))
        to = payload["to"]
        self._reply(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": f"wamid.OUT{len(self.server.calls)}"}],
            },
        )


class GraphServer(LocalServer):
    def __init__(self) -> None:
        super().__init__(Graph)

    def texts(self, to: str = WA_ID) -> list[str]:
        """What was sent to the number, as text or as a template's parameter."""
        found = []
        for method, path, payload in self.calls:
            if method != "POST" or path != f"/wa/{NUMBER_ID}/messages" or payload["to"] != to:
                continue
            if payload["type"] == "text":
                found.append(payload["text"]["body"])
            else:
                found.append(payload["template"]["components"][0]["parameters"][0]["text"])
        return found


@pytest.fixture
def graph():
    with serving(GraphServer()) as server:
        yield server


@pytest.fixture
def wa_app(make_app, graph):
    return make_app(MESSENGER_API_URLS={"whatsapp": f"{graph.url}/wa"}, BASE_URL="https://dadras.example.com")


def _connect(app, made, login_as, app_secret: str = APP_SECRET):
    """Connect the organization's number with the app secret; its callback's path and the verify token shown."""
    staff = app.test_client()
    login_as(staff, made.tenant, made.owner)
    form = {
        "whatsapp-whatsapp_number": NUMBER_ID,
        "whatsapp-whatsapp_token": TOKEN,
        "whatsapp-whatsapp_app_secret": app_secret,
    }
    assert staff.post(f"/{made.tenant.slug}/console/settings/channels/whatsapp", data=form).status_code == 303
    page = staff.get(f"/{made.tenant.slug}/console/settings/channels").get_data(as_text=True)
    callback = re.search(r"<code dir=\"ltr\" data-callback>([^<]+)</code>", page)[1]
    verify = re.search(r"<code dir=\"ltr\" data-verify-token>([^<]+)</code>", page)[1]
    return staff, callback, verify, page


def _signed(raw: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    return {
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest(),
        "Content-Type": "application/json",
    }


def _body(*messages: dict, statuses: tuple[dict, ...] = (), contacts: tuple[dict, ...] = ()) -> dict:
    value: dict = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "77010000000", "phone_number_id": NUMBER_ID},
    }
    if messages:
        value["contacts"] = list(contacts) or [{"profile": {"name": "Aigerim"}, "wa_id": WA_ID}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}],
    }


_ids = iter(range(1, 10_000))


def _text(text: str, wa_id: str = WA_ID, message_id: str | None = None) -> dict:
    return {
        "from": wa_id,
        "id": message_id or f"wamid.IN{next(_ids)}",
        "timestamp": "1764400000",
        "type": "text",
        "text": {"body": text},
    }


def _document(media_id: str, filename: str = "receipt.pdf", caption: str | None = None) -> dict:
    document = {"id": media_id, "mime_type": "application/pdf", "filename": filename, "sha256": "x"}
    if caption is not None:
        document["caption"] = caption
    return {
        "from": WA_ID,
        "id": f"wamid.IN{next(_ids)}",
        "timestamp": "1764400000",
        "type": "document",
        "document": document,
    }


def _post(client, made, payload: dict | bytes, secret: str = APP_SECRET, slug: str | None = None):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(f"/{slug or made.tenant.slug}/bots/whatsapp", data=raw, headers=_signed(raw, secret))


def _complaints(app, made) -> list[Complaint]:
    with app.app_context(), tenant_scope(made.tenant.id):
        found = list(db.session.scalars(sa.select(Complaint).order_by(Complaint.id)))
        db.session.expunge_all()
    return found


def _notified(app, made, login_as, graph):
    """A connected organization with a complaint registered by WhatsApp: (the client Meta posts with, the
    complaint, the WhatsApp message id of its notice of registration)."""
    _connect(app, made, login_as)
    client = app.test_client()
    complaint = _register(app, made, client, graph)
    with app.app_context(), tenant_scope(made.tenant.id):
        wamid = db.session.scalars(sa.select(Notice.provider_id).where(Notice.event == "registered")).one()
    return client, complaint, wamid


def _customer_said(complaint_id: int) -> list[str]:
    """The customer's messages on the complaint, read in the caller's tenant scope."""
    query = sa.select(ComplaintEvent.body).where(
        ComplaintEvent.complaint_id == complaint_id, ComplaintEvent.kind == "customer_message"
    )
    return list(db.session.scalars(query.order_by(ComplaintEvent.id)))


def _register(app, made, client, graph) -> Complaint:
    for text in ("Hello", "Aigerim Bekova", "The pharmacy gave me the wrong medicine on Monday."):
        assert _post(client, made, _body(_text(text))).status_code == 200
    [complaint] = _complaints(app, made)
    return complaint


def test_settings_show_the_callback_and_the_verify_token_and_keep_the_app_secret_sealed(
    wa_app, make_tenant, login_as, graph
):
    made = make_tenant(locale="kk")
    staff, callback, verify, page = _connect(wa_app, made, login_as)
    assert callback == f"https://dadras.example.com/{made.tenant.slug}/bots/whatsapp"
    assert len(verify) >= 24
    assert APP_SECRET not in page
    assert TOKEN not in page
    # Saved again with the secrets left blank: both kept, and the verify token Meta was given stays the same.
    form = {"whatsapp-whatsapp_number": NUMBER_ID, "whatsapp-whatsapp_token": "", "whatsapp-whatsapp_app_secret": ""}
    assert staff.post(f"/{made.tenant.slug}/console/settings/channels/whatsapp", data=form).status_code == 303
    page = staff.get(f"/{made.tenant.slug}/console/settings/channels").get_data(as_text=True)
    assert verify in page
    assert "data-app-secret" in page
    assert _post(wa_app.test_client(), made, _body(_text("hello"))).status_code == 200
    bad = {**form, "whatsapp-whatsapp_app_secret": "not a secret!"}
    assert staff.post(f"/{made.tenant.slug}/console/settings/channels/whatsapp", data=bad).status_code == 422


def test_the_handshake_answers_the_challenge_only_with_the_organizations_token(wa_app, make_tenant, login_as, graph):
    made = make_tenant()
    _staff, _callback, verify, _page = _connect(wa_app, made, login_as)
    client = wa_app.test_client()
    url = f"/{made.tenant.slug}/bots/whatsapp"
    good = client.get(
        url, query_string={"hub.mode": "subscribe", "hub.verify_token": verify, "hub.challenge": "1158201444"}
    )
    assert (good.status_code, good.get_data(as_text=True), good.mimetype) == (200, "1158201444", "text/plain")
    wrong = {"hub.mode": "subscribe", "hub.verify_token": verify + "x", "hub.challenge": "1158201444"}
    assert client.get(url, query_string=wrong).status_code == 403
    assert client.get(url, query_string={"hub.mode": "subscribe", "hub.challenge": "1"}).status_code == 403
    not_subscribe = {"hub.mode": "unsubscribe", "hub.verify_token": verify, "hub.challenge": "1"}
    assert client.get(url, query_string=not_subscribe).status_code == 403
    # An organization without WhatsApp answers no handshake, whatever token is tried.
    other = make_tenant()
    assert (
        client.get(f"/{other.tenant.slug}/bots/whatsapp", query_string={**wrong, "hub.verify_token": ""}).status_code
        == 403
    )


def test_a_forged_or_missing_signature_is_refused_before_anything_is_read(wa_app, make_tenant, login_as, graph):
    made = make_tenant()
    _connect(wa_app, made, login_as)
    client = wa_app.test_client()
    raw = json.dumps(_body(_text("hello"))).encode()
    url = f"/{made.tenant.slug}/bots/whatsapp"
    assert client.post(url, data=raw, content_type="application/json").status_code == 403
    assert client.post(url, data=raw, headers=_signed(raw, "another-app-secret")).status_code == 403
    tampered = raw.replace(b"hello", b"hellO")
    assert client.post(url, data=tampered, headers=_signed(raw)).status_code == 403
    assert client.post(url, data=raw, headers={"X-Hub-Signature-256": "sha1=" + "0" * 40}).status_code == 403
    assert graph.texts() == []
    assert client.post(url, data=raw, headers=_signed(raw)).status_code == 200
    assert len(graph.texts()) == 1


def test_the_signature_is_checked_on_the_raw_bytes_of_persian_text_and_emoji(wa_app, make_tenant, login_as, graph):
    made = make_tenant(locale="en")
    _connect(wa_app, made, login_as)
    client = wa_app.test_client()
    # Sent as Meta sends it: UTF-8 as is, its own spacing; re-serializing it would change the bytes signed.
    raw = json.dumps(_body(_text("سلام، شکایت دارم 😡🙏")), ensure_ascii=False, separators=(",", ":")).encode()
    assert client.post(f"/{made.tenant.slug}/bots/whatsapp", data=raw, headers=_signed(raw)).status_code == 200
    escaped = json.dumps(json.loads(raw)).encode()  # the same JSON, other bytes
    assert escaped != raw
    assert client.post(f"/{made.tenant.slug}/bots/whatsapp", data=escaped, headers=_signed(raw)).status_code == 403
    [greeting] = graph.texts()
    assert "دفتر" in greeting or "شکایت" in greeting  # Persian letters: answered in Persian


def test_a_conversation_registers_a_complaint_and_status_answers_where_it_stands(wa_app, make_tenant, login_as, graph):
    made = make_tenant(locale="en")
    _connect(wa_app, made, login_as)
    client = wa_app.test_client()
    complaint = _register(wa_app, made, client, graph)
    assert (complaint.channel, complaint.messenger_id, complaint.phone, complaint.complainant_name) == (
        "messenger",
        f"whatsapp:{WA_ID}",
        f"+{WA_ID}",
        "Aigerim Bekova",
    )
    assert complaint.description == "The pharmacy gave me the wrong medicine on Monday."
    answers = graph.texts()
    assert "What is your name?" in answers[0]
    assert "What happened?" in answers[1]  # the number is WhatsApp's own: not asked
    assert not any("mobile number" in a for a in answers)
    code = complaint.code
    assert any("registered" in a and code[:4] in a for a in answers[2:])
    assert _post(client, made, _body(_text(f"/status {code}"))).status_code == 200
    assert code[:4] in graph.texts()[-1]
    # The code alone asks the same; a mistyped one is told so, and neither is taken as a message on it.
    assert _post(client, made, _body(_text(format_code(code)))).status_code == 200
    assert code[:4] in graph.texts()[-1]
    mistyped = format_code(code)[:-1] + ("0" if code[-1] != "0" else "1")
    assert _post(client, made, _body(_text(mistyped))).status_code == 200
    assert "Added to your complaint" not in graph.texts()[-1]
    # The receipt notice goes to the same chat.
    with wa_app.app_context(), tenant_scope(made.tenant.id):
        receipt = db.session.scalars(sa.select(Notice).where(Notice.event == "registered")).one()
        assert (receipt.channel, receipt.recipient, receipt.status) == ("whatsapp", WA_ID, "sent")


def test_a_delivery_sent_again_is_taken_once(wa_app, make_tenant, login_as, graph):
    made = make_tenant()
    _connect(wa_app, made, login_as)
    client = wa_app.test_client()
    for text in ("hi", "Aigerim"):
        _post(client, made, _body(_text(text)))
    story = _body(_text("The lift was broken for a week.", message_id="wamid.STORY"))
    for _attempt in range(3):
        assert _post(client, made, story).status_code == 200
    assert len(_complaints(wa_app, made)) == 1
    assert len(graph.texts()) == 3 + 1  # three answers, and the receipt notice
    # The ids are let go by the retention job once Meta can no longer send them again.
    with wa_app.app_context():
        assert forget_all_message_ids(utcnow() + timedelta(days=29)) == 0
        assert forget_all_message_ids(utcnow() + timedelta(days=31)) == 3


def test_a_message_on_an_open_complaint_becomes_the_customers_message(wa_app, make_tenant, login_as, graph):
    made = make_tenant()
    _connect(wa_app, made, login_as)
    client = wa_app.test_client()
    complaint = _register(wa_app, made, client, graph)
    assert _post(client, made, _body(_text("I also kept the box it came in."))).status_code == 200
    assert len(_complaints(wa_app, made)) == 1
    with wa_app.app_context(), tenant_scope(made.tenant.id):
        [event] = db.session.scalars(
            sa.select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "customer_message"
            )
        ).all()
        assert event.body == "I also kept the box it came in."
    assert "Added to your complaint" in graph.texts()[-1]
    # /new starts another complaint instead.
    for text in ("/new", "Aigerim", "A second, different problem."):
        _post(client, made, _body(_text(text)))
    assert len(_complaints(wa_app, made)) == 2


def test_files_are_fetched_through_the_media_endpoint_and_checked(wa_app, make_tenant, login_as, graph):
    made = make_tenant()
    _connect(wa_app, made, login_as)
    client = wa_app.test_client()
    _post(client, made, _body(_text("hello")))
    _post(client, made, _body(_text("Aigerim")))
    # A document sent while the complaint is told is kept for it, and attached once it is registered.
    assert _post(client, made, _body(_document("MEDIA-PDF"))).status_code == 200
    assert "attached" in graph.texts()[-1]
    _post(client, made, _body(_text("Charged twice, the receipt is attached.")))
    [complaint] = _complaints(wa_app, made)
    assert ("GET", "/wa/MEDIA-PDF", None) in graph.calls
    assert ("GET", "/files/MEDIA-PDF", None) in graph.calls
    with wa_app.app_context(), tenant_scope(made.tenant.id):
        [kept] = db.session.scalars(sa.select(Attachment).where(Attachment.complaint_id == complaint.id)).all()
        assert (kept.filename, kept.content_type, kept.size) == (
            "receipt.pdf",
            "application/pdf",
            len(FILES["MEDIA-PDF"]),
        )
    # A damaged file sent on the open complaint is refused, said in the chat, and noted in its log.
    assert _post(client, made, _body(_document("MEDIA-BROKEN", "scan.pdf"))).status_code == 200
    assert "damaged" in graph.texts()[-1]
    with wa_app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 1
        refused = db.session.scalars(sa.select(ComplaintEvent).where(ComplaintEvent.kind == "file_refused")).one()
        assert refused.data["reason"] == "broken"


def test_statuses_of_our_notices_are_recorded_and_failures_shown_in_deliveries(wa_app, make_tenant, login_as, graph):
    made = make_tenant()
    staff, *_ = _connect(wa_app, made, login_as)
    client = wa_app.test_client()
    _register(wa_app, made, client, graph)
    with wa_app.app_context(), tenant_scope(made.tenant.id):
        wamid = db.session.scalars(sa.select(Notice.provider_id).where(Notice.event == "registered")).one()
    assert wamid.startswith("wamid.OUT")

    def status(state: str, **extra) -> dict:
        return {"id": wamid, "status": state, "timestamp": "1764400100", "recipient_id": WA_ID, **extra}

    assert _post(client, made, _body(statuses=(status("delivered"),))).status_code == 200
    assert _post(client, made, _body(statuses=(status("read"), status("delivered")))).status_code == 200
    with wa_app.app_context(), tenant_scope(made.tenant.id):
        notice = db.session.scalars(sa.select(Notice).where(Notice.provider_id == wamid)).one()
        assert (notice.status, notice.receipt) == ("sent", "read")  # a late "delivered" does not undo "read"
    page = staff.get(f"/{made.tenant.slug}/console/settings/deliveries").get_data(as_text=True)
    assert 'data-receipt="read"' in page
    failed = status("failed", errors=[{"code": 131026, "title": "Message undeliverable"}])
    assert _post(client, made, _body(statuses=(failed,))).status_code == 200
    with wa_app.app_context(), tenant_scope(made.tenant.id):
        notice = db.session.scalars(sa.select(Notice).where(Notice.provider_id == wamid)).one()
        assert (notice.status, notice.reason) == ("failed", "address_refused")
        assert "131026" in notice.last_error
        notice_id = notice.id
    page = staff.get(f"/{made.tenant.slug}/console/settings/deliveries?status=failed").get_data(as_text=True)
    assert f'data-notice="{notice_id}" data-status="failed"' in page
    assert 'data-reason="address_refused"' in page
    # A status of a message that is no notice of ours (an answer in the chat) is acknowledged and left alone.
    unknown = {"id": "wamid.SOMETHING", "status": "read", "timestamp": "1", "recipient_id": WA_ID}
    assert _post(client, made, _body(statuses=(unknown,))).status_code == 200


def test_another_organizations_callback_refuses_this_ones_signature(wa_app, make_tenant, login_as, graph):
    made = make_tenant()
    other = make_tenant()
    _connect(wa_app, made, login_as)
    _connect(wa_app, other, login_as, app_secret="a1b2c3d4e5f60718293a4b5c6d7e8f90")
    client = wa_app.test_client()
    assert _post(client, made, _body(_text("hello")), slug=other.tenant.slug).status_code == 403
    assert _complaints(wa_app, other) == []
    assert graph.texts() == []


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"",
        b"[1, 2, 3]",
        b'{"object": "page", "entry": [{"id": "1", "messaging": []}]}',
        b'{"object": "whatsapp_business_account", "entry": "nothing"}',
        json.dumps(
            _body({"from": "x"}, 5, {"id": "wamid.Q", "from": "7701", "type": "text", "text": "flat"}, "text")
        ).encode(),
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=["not-json", "empty", "a-list", "another-object", "entry-not-a-list", "broken-messages", "nested-too-deep"],
)
def test_bodies_of_another_shape_are_acknowledged_and_nothing_is_done(wa_app, make_tenant, login_as, graph, raw):
    made = make_tenant()
    _connect(wa_app, made, login_as)
    response = wa_app.test_client().post(f"/{made.tenant.slug}/bots/whatsapp", data=raw, headers=_signed(raw))
    assert response.status_code == 200
    assert _complaints(wa_app, made) == []


def test_a_location_or_a_sticker_is_answered_politely(wa_app, make_tenant, login_as, graph):
    made = make_tenant()
    _connect(wa_app, made, login_as)
    client = wa_app.test_client()
    location = {
        "from": WA_ID,
        "id": "wamid.LOC",
        "timestamp": "1764400000",
        "type": "location",
        "location": {"latitude": 43.238, "longitude": 76.945, "name": "Clinic"},
    }
    sticker = {"from": WA_ID, "id": "wamid.STK", "timestamp": "1", "type": "sticker", "sticker": {"id": "S1"}}
    assert _post(client, made, _body(location, sticker)).status_code == 200
    only = "Only text, photos, documents and voice messages are taken here. Please write your message in words."
    assert graph.texts() == [only] * 2
    assert _complaints(wa_app, made) == []


@pytest.mark.parametrize(
    "header",
    ["sha256=\u00e9", "sha256=" + "é" * 64, "sha256=" + "0" * 63, "sha1=" + "0" * 40, "0" * 64, "sha256= "],
    ids=["latin-1-letter", "latin-1-letters", "too-short", "another-algorithm", "no-prefix", "blank"],
)
def test_a_signature_of_another_shape_is_refused_without_an_error(wa_app, make_tenant, login_as, graph, header):
    made = make_tenant()
    _connect(wa_app, made, login_as)
    raw = json.dumps(_body(_text("hello"))).encode()
    response = wa_app.test_client().post(
        f"/{made.tenant.slug}/bots/whatsapp", data=raw, headers={"X-Hub-Signature-256": header}
    )
    assert response.status_code == 403
    assert graph.texts() == []


def test_a_status_of_an_odd_shape_costs_nothing_of_the_messages_beside_it(wa_app, make_tenant, login_as, graph):
    made = make_tenant()
    client, complaint, wamid = _notified(wa_app, made, login_as, graph)
    odd = [
        {"id": wamid, "status": "failed", "timestamp": "1", "errors": [{"code": [131026], "title": "Bad\x00 title"}]},
        {"id": {"nested": True}, "status": "read"},
        {"id": wamid, "status": ["read"]},
    ]
    body = _body(_text("I also kept the box."), statuses=tuple(odd))
    assert _post(client, made, body).status_code == 200
    with wa_app.app_context(), tenant_scope(made.tenant.id):
        notice = db.session.scalars(sa.select(Notice).where(Notice.provider_id == wamid)).one()
        assert (notice.status, notice.reason) == ("failed", "refused")
        assert notice.last_error == "WhatsApp ?: Bad title"
        said = _customer_said(complaint.id)
    assert said == ["I also kept the box."]


def test_a_late_failure_never_undoes_a_retry_of_the_notice(wa_app, make_tenant, login_as, graph):
    made = make_tenant()
    client, _complaint, wamid = _notified(wa_app, made, login_as, graph)
    with wa_app.app_context(), tenant_scope(made.tenant.id):
        notice = db.session.scalars(sa.select(Notice).where(Notice.provider_id == wamid)).one()
        notice.status = NoticeStatus.PENDING  # staff asked for it to be sent again
        db.session.commit()
    failed = {"id": wamid, "status": "failed", "timestamp": "1", "errors": [{"code": 131026, "title": "Gone"}]}
    assert _post(client, made, _body(statuses=(failed,))).status_code == 200
    with wa_app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalars(sa.select(Notice.status).where(Notice.provider_id == wamid)).one() == "pending"


def test_what_was_written_to_another_business_number_is_not_this_organizations(wa_app, make_tenant, login_as, graph):
    made = make_tenant()
    client, _complaint, wamid = _notified(wa_app, made, login_as, graph)
    before = len(graph.texts())
    body = _body(
        _text("hello from another number's customer", wa_id="77019998877"),
        statuses=({"id": wamid, "status": "read", "timestamp": "1"},),
    )
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999999"
    assert _post(client, made, body).status_code == 200
    assert graph.texts("77019998877") == []
    assert len(graph.texts()) == before
    with wa_app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalars(sa.select(Notice.receipt).where(Notice.provider_id == wamid)).one() is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BotConversation)) == 0


def test_answers_in_the_chat_go_as_plain_text_in_the_customers_language(wa_app, make_tenant, login_as, graph):
    made = make_tenant(locale="kk")
    staff, *_ = _connect(wa_app, made, login_as)
    form = {
        "whatsapp-whatsapp_number": NUMBER_ID,
        "whatsapp-whatsapp_template": "complaint_update",
    }
    assert staff.post(f"/{made.tenant.slug}/console/settings/channels/whatsapp", data=form).status_code == 303
    client = wa_app.test_client()
    # Persian from the first message; a name in Latin letters keeps the conversation in Persian.
    for text in ("سلام", "Ali Rezaei", "داروخانه داروی اشتباه به من داد."):
        assert _post(client, made, _body(_text(text))).status_code == 200
    sent = [payload for method, path, payload in graph.calls if method == "POST" and payload["to"] == WA_ID]
    replies = [payload for payload in sent if payload["type"] == "text"]
    notices = [payload for payload in sent if payload["type"] == "template"]
    assert len(replies) == 3
    assert all(re.search(r"[\u0600-\u06ff]", reply["text"]["body"]) for reply in replies), replies
    # The notice of registration may come when the 24-hour window is closed: it keeps the template.
    assert len(notices) == 1
    assert len(sent) == 4
    [complaint] = _complaints(wa_app, made)
    assert complaint.preferred_locale == "fa"
    # A message without a letter that tells (a digit, a photo) answers in the complaint's language.
    assert _post(client, made, _body(_text("2"))).status_code == 200
    assert re.search(r"[\u0600-\u06ff]", graph.texts()[-1])


def test_a_kazakh_conversation_stays_kazakh_through_words_any_cyrillic_could_be(wa_app, make_tenant, login_as, graph):
    made = make_tenant(locale="ru")
    _connect(wa_app, made, login_as)
    client = wa_app.test_client()
    assert _post(client, made, _body(_text("Сәлеметсіз бе"))).status_code == 200
    assert _post(client, made, _body(_text("Айгерим Бекова"))).status_code == 200  # no letter only Kazakh has
    with wa_app.app_context(), tenant_scope(made.tenant.id):
        talk = db.session.scalars(sa.select(BotConversation)).one()
        assert talk.data["locale"] == "kk"


def test_a_voice_message_is_kept_and_a_reaction_or_a_button_tap_is_read_as_it_is(wa_app, make_tenant, login_as, graph):
    made = make_tenant()
    _connect(wa_app, made, login_as)
    client = wa_app.test_client()
    complaint = _register(wa_app, made, client, graph)
    before = len(graph.texts())

    def message(kind: str, what: dict) -> dict:
        return {"from": WA_ID, "id": f"wamid.{kind.upper()}1", "timestamp": "1764400000", "type": kind, kind: what}

    voice = message("audio", {"id": "MEDIA-VOICE", "mime_type": "audio/ogg; codecs=opus", "voice": True})
    reaction = message("reaction", {"message_id": "wamid.OUT1", "emoji": "\U0001f44d"})
    button = message("button", {"text": "Thank you, it is solved", "payload": "solved"})
    assert _post(client, made, _body(voice, reaction, button)).status_code == 200
    assert len(graph.texts()) == before + 2  # the voice message and the button answered, the reaction not
    with wa_app.app_context(), tenant_scope(made.tenant.id):
        kinds = db.session.scalars(sa.select(Attachment.content_type).where(Attachment.complaint_id == complaint.id))
        assert "audio/ogg" in set(kinds)
        said = _customer_said(complaint.id)
    assert said == ["Thank you, it is solved"]


def test_a_body_larger_than_any_of_metas_is_refused_before_it_is_read(wa_app, make_tenant, login_as, graph):
    made = make_tenant()
    _connect(wa_app, made, login_as)
    raw = b'{"object": "whatsapp_business_account", "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    response = _post(wa_app.test_client(), made, raw)
    assert response.status_code == 413


def test_a_number_that_is_no_code_is_added_to_the_open_complaint_and_a_blank_message_asked_again(
    wa_app, make_tenant, login_as, graph
):
    made = make_tenant()
    _connect(wa_app, made, login_as)
    client = wa_app.test_client()
    complaint = _register(wa_app, made, client, graph)
    assert _post(client, made, _body(_text("+7 701 555 44 33"))).status_code == 200  # their other phone
    assert _post(client, made, _body(_text("\u200f \u202e"))).status_code == 200  # nothing once cleaned
    assert graph.texts()[-1] == "Please answer in words."
    # A whole code is still asked after, open complaint or not.
    assert _post(client, made, _body(_text(format_code(complaint.code)))).status_code == 200
    assert graph.texts()[-1].startswith(format_code(complaint.code))
    with wa_app.app_context(), tenant_scope(made.tenant.id):
        assert _customer_said(complaint.id) == ["+7 701 555 44 33"]


def test_files_past_the_five_kept_before_registration_are_refused_in_words(wa_app, make_tenant, login_as, graph):
    made = make_tenant()
    _connect(wa_app, made, login_as)
    client = wa_app.test_client()
    assert _post(client, made, _body(_text("Hello"))).status_code == 200
    for i in range(5):
        assert _post(client, made, _body(_document("MEDIA-PDF", f"scan{i}.pdf"))).status_code == 200
    no_more = "No more files are kept before the complaint is registered; send the others once it is."
    assert _post(client, made, _body(_document("MEDIA-PDF", "scan5.pdf"))).status_code == 200
    assert graph.texts()[-1] == no_more
    # One with a caption (the name, here) is answered, and told the same.
    assert _post(client, made, _body(_document("MEDIA-PDF", "scan6.pdf", caption="Aigerim"))).status_code == 200
    assert graph.texts()[-1].endswith("\n" + no_more)
    with wa_app.app_context(), tenant_scope(made.tenant.id):
        talk = db.session.scalars(sa.select(BotConversation)).one()
        assert [item["filename"] for item in talk.data["files"]] == [f"scan{i}.pdf" for i in range(5)]
