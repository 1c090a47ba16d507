"""The servers an organization names (webhook, text-message gateway, mail server, mailbox) are reached only at public
addresses: loopback, private, link-local and metadata addresses, and names that resolve to them, are refused when
saved and at every connection, and a refusal says so in words, never with what a server answered.

The tests' own servers listen on 127.0.0.1, which the test settings allow (CONNECTIONS_ALLOW_HOSTS, an operator's
setting); each test here turns that off to see the refusal."""

from __future__ import annotations

import ipaddress
import socket
from http.server import BaseHTTPRequestHandler

import pytest
import sqlalchemy as sa

from services.connections.models import Connection
from services.connections.queries import connection
from services.gateways import addresses
from services.gateways.secrets import seal
from services.notifications.models import Notice
from tenants.context import tenant_scope
from tenants.db import db, utcnow
from tests.fixtures.httpapi import LocalServer, serving
from tests.fixtures.mailserver import free_port

SECRET = "a-shared-secret-of-our-own"
LOCAL_ANSWER = "redis_version:7.2.4 connected_clients:3"  # what a local service might say


class Talkative(BaseHTTPRequestHandler):
    """A local service that answers anything with its own text."""

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        self.server.calls.append(self.path)
        data = LOCAL_ANSWER.encode()
        self.send_response(404)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def local_service():
    with serving(LocalServer(Talkative)) as server:
        yield server


@pytest.fixture
def closed(app):
    """The app as a production installation runs: no internal host allowed."""
    app.config["CONNECTIONS_ALLOW_HOSTS"] = ()
    return app


@pytest.mark.parametrize(
    "address",
    [
        *("127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "224.0.0.1"),
        *("0.0.0.0", "240.0.0.1", "::1", "fd00:ec2::254", "fe80::1", "::ffff:127.0.0.1", "64:ff9b::a00:1"),  # noqa: S104
        *("2002:7f00:1::", "::"),
    ],
)
def test_addresses_inside_are_not_public(address):
    assert not addresses.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_addresses_on_the_internet_are_public(address):
    assert addresses.is_public(ipaddress.ip_address(address))


def _inside_urls(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        f"http://[::1]:{port}/hook",
        f"http://localhost:{port}/hook",  # a name that resolves to loopback
        "http://[fd00:ec2::254]/latest/meta-data/",
    ]


def test_a_webhook_inside_is_refused_when_saved(closed, make_tenant, login_as, local_service):
    made = make_tenant()
    client = closed.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/settings/channels/webhook"
    for address in _inside_urls(local_service.server_address[1]):
        answer = client.post(url, data={"hook-webhook_url": address, "hook-webhook_secret": SECRET})
        assert answer.status_code == 422, address
        assert "inside a private network" in answer.get_data(as_text=True)
    with closed.app_context(), tenant_scope(made.tenant.id):
        assert connection("webhook") is None
    assert local_service.calls == []


def _store(app, made, kind: str, provider: str, *, settings: dict, secret: str) -> None:
    """A connection as an older version stored it, before the checks at save."""
    with app.app_context(), tenant_scope(made.tenant.id):
        db.session.add(
            Connection(kind=kind, provider=provider, settings=settings, secret_encrypted=seal(secret), secret_hint="")
        )
        db.session.commit()


def _notices(app, made, channel: str) -> list[Notice]:
    with app.app_context(), tenant_scope(made.tenant.id):
        found = list(db.session.scalars(sa.select(Notice).where(Notice.channel == channel).order_by(Notice.id)))
        for notice in found:
            db.session.expunge(notice)
        return found


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "10.0.0.1", "169.254.169.254", "[fd00:ec2::254]"])
def test_a_webhook_inside_is_refused_at_delivery_and_nothing_it_said_is_shown(
    closed, make_tenant, make_complaint, local_service, host
):
    made = make_tenant()
    _store(
        closed,
        made,
        "webhook",
        "http",
        settings={"url": f"http://{host}:{local_service.server_address[1]}/h"},
        secret=SECRET,
    )
    make_complaint(made, phone="+98 912 123 4567")
    [hook] = _notices(closed, made, "webhook")
    assert hook.status == "failed"  # refused for good: retrying would not change the address
    assert "private network" in hook.last_error
    assert local_service.calls == []


def test_an_allowed_local_service_never_has_its_answer_shown(app, make_tenant, make_complaint, local_service):
    made = make_tenant()
    _store(app, made, "webhook", "http", settings={"url": f"{local_service.url}/h"}, secret=SECRET)
    make_complaint(made, phone="+98 912 123 4567")
    [hook] = _notices(app, made, "webhook")
    assert local_service.calls == ["/h"]  # allowed by the operator: it was reached
    assert hook.last_error == "webhook HTTP 404"
    assert "redis" not in hook.last_error


def test_the_operator_may_allow_a_named_internal_host(closed, make_tenant, make_complaint, local_service):
    closed.config["CONNECTIONS_ALLOW_HOSTS"] = ("localhost",)
    made = make_tenant()
    port = local_service.server_address[1]
    _store(closed, made, "webhook", "http", settings={"url": f"http://localhost:{port}/h"}, secret=SECRET)
    make_complaint(made, phone="+98 912 123 4567")
    assert local_service.calls == ["/h"]
    other = make_tenant()
    _store(closed, other, "webhook", "http", settings={"url": f"http://127.0.0.1:{port}/h"}, secret=SECRET)
    make_complaint(other, phone="+98 912 123 4567")
    assert local_service.calls == ["/h"]  # the name is allowed, not every address it has


def test_a_text_message_gateway_inside_is_refused_when_saved_and_at_delivery(
    closed, make_tenant, make_complaint, login_as, local_service
):
    made = make_tenant()
    client = closed.test_client()
    login_as(client, made.tenant, made.owner)
    answer = client.post(
        f"/{made.tenant.slug}/console/settings/channels",
        data={"provider": "http", "base_url": f"{local_service.url}/send", "secret": "key"},
    )
    assert answer.status_code == 422
    assert "private network" in answer.get_data(as_text=True)
    _store(closed, made, "sms", "http", settings={"sender": "", "base_url": f"{local_service.url}/send"}, secret="key")
    make_complaint(made, phone="+98 912 123 4567")
    [sms] = _notices(closed, made, "sms")
    assert (sms.status, "private network" in sms.last_error) == ("failed", True)
    assert local_service.calls == []


def test_a_mail_server_inside_is_refused_when_saved_and_at_delivery(
    closed, make_tenant, make_complaint, login_as, smtp_server
):
    controller, inbox = smtp_server
    made = make_tenant()
    client = closed.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"smtp://127.0.0.1:{controller.port}"
    answer = client.post(
        f"/{made.tenant.slug}/console/settings/channels/mail",
        data={"mail-mail_url": url, "mail-mail_sender": "Clinic <desk@clinic.example>"},
    )
    assert answer.status_code == 422
    assert "private network" in answer.get_data(as_text=True)
    _store(
        closed,
        made,
        "email",
        "smtp",
        settings={"sender": "Clinic <desk@clinic.example>", "host": "127.0.0.1"},
        secret=url,
    )
    make_complaint(made, email="sara@example.com", preferred_contact="email")
    [mail] = [n for n in _notices(closed, made, "email") if n.recipient == "sara@example.com"]
    assert (mail.status, "private network" in mail.last_error) == ("failed", True)
    assert inbox.messages == []


def test_a_mailbox_inside_is_refused_alike_whether_its_port_is_open_closed_or_silent(
    closed, make_tenant, login_as, smtp_server
):
    controller, _inbox = smtp_server  # an open port that answers (as SMTP)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, says nothing
    made = make_tenant()
    client = closed.test_client()
    login_as(client, made.tenant, made.owner)
    answers = []
    try:
        for port in (controller.port, free_port(), silent.getsockname()[1]):
            answer = client.post(
                f"/{made.tenant.slug}/console/settings/channels/mailbox",
                data={"mailbox-mailbox_url": f"imap://desk:secret@127.0.0.1:{port}/INBOX"},
            )
            assert answer.status_code == 422
            html = answer.get_data(as_text=True)
            answers.append(html[html.index("could not be opened") :][:200])
    finally:
        silent.close()
    assert answers[0] == answers[1] == answers[2]
    assert "private network" in answers[0]
    assert "ESMTP" not in answers[0]
    with closed.app_context(), tenant_scope(made.tenant.id):
        assert connection("imap") is None


def test_a_mailbox_saved_before_is_refused_when_read_and_the_page_says_why(closed, make_tenant, login_as, smtp_server):
    controller, _inbox = smtp_server  # listening on loopback, and it would greet
    made = make_tenant(locale="ru")
    url = f"imap://desk:secret@127.0.0.1:{controller.port}/INBOX"
    settings = {"host": "127.0.0.1", "user": "desk", "folder": "INBOX", "uidvalidity": 1, "last_uid": 0}
    _store(closed, made, "imap", "imap", settings=settings | {"read_from": utcnow().isoformat()}, secret=url)
    from workers.intake import mailboxes

    with closed.app_context():
        assert mailboxes() == 1
    with closed.app_context(), tenant_scope(made.tenant.id):
        assert connection("imap").settings["error"] == "refused"
    client = closed.test_client()
    login_as(client, made.tenant, made.owner)
    page = client.get(f"/{made.tenant.slug}/console/settings/channels").get_data(as_text=True)
    assert "его адрес находится во внутренней сети" in page
    assert "ESMTP" not in page
