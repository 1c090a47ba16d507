"""Building an e-mail and handing it to the mail server (SMTP_URL), or to the console/file/memory backends.

Nothing calls this directly to send: every e-mail is a notice in the outbox (services.notifications), written
with the change that causes it and delivered by the workers through deliver_message().
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app

from services.gateways import addresses

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None
    lang: str = "en"


_INSTALLATION_KEY = "dadras.installation_id"


def installation_id() -> str:
    """This installation's random id (the `installation` table), read once per process."""
    app = current_app._get_current_object()
    found = app.extensions.get(_INSTALLATION_KEY)
    if found is None:
        import sqlalchemy as sa

        from tenants.db import db
        from tenants.models import Installation

        found = app.extensions[_INSTALLATION_KEY] = db.session.scalar(sa.select(Installation.id)) or "unset"
    return found


def msgid_domain(domain: str) -> str:
    """The right side of our Message-IDs: the sender's domain behind this installation's id, so the same notice
    (the same tenant and notice number) of two installations, or of a database restored elsewhere, never
    carries one Message-ID."""
    return f"{installation_id()}.{domain}"


def build_message(mail: Mail, sender: str) -> EmailMessage:
    """The MIME message for `mail`: plain text, and HTML when given, with its language marked."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = " ".join(mail.subject.split())  # a header holds no line breaks
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=msgid_domain(sender.rsplit("@", 1)[-1].strip("> ")))
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    # After the content: setting content clears every Content-* header.
    message["Content-Language"] = mail.lang
    return message


def deliver_message(message: EmailMessage, smtp_url: str | None = None) -> None:
    """Hand `message` to the configured backend now, or to the mail server at `smtp_url` (an organization's own);
    errors are the caller's."""
    if smtp_url:
        _send_smtp(smtp_url, message, checked=True)
        return
    _deliver(current_app.config, message, current_app._get_current_object())


def _deliver(config, message: EmailMessage, app) -> None:
    backend = config["MAIL_BACKEND"]
    if backend == "smtp":
        _send_smtp(config["SMTP_URL"], message)
    elif backend == "file":
        folder = Path(config["MAIL_FILE_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_").replace("/", "_")
        (folder / f"{name}.eml").write_bytes(bytes(message))
    elif backend == "memory":
        app.extensions.setdefault("dadras.sent_mail", []).append(message)
    else:  # console
        log.warning("mail (console backend)\n%s", readable(message))


def readable(message: EmailMessage) -> str:
    """The message as a person reads it in a development log: its headers and its plain text, decoded (the links
    as they are), never MIME or base64."""
    head = "\n".join(f"{name}: {message[name]}" for name in ("From", "To", "Subject") if message[name])
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    return f"{head}\n\n{text.rstrip()}\n"


# A kept connection idle longer than this is closed rather than used: mail servers drop idle clients (Postfix
# after 300 s, others sooner), and a message sent into a dropped connection would fail for nothing.
KEEP_IDLE_SECONDS = 30.0


class _Kept:
    """The SMTP connections of one block (a batch of notices, or a worker's life), one per server, in the
    process that opened them (a forked child never writes into its parent's connection)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.clients: dict[str, tuple[smtplib.SMTP, float]] = {}

    def take(self, url: str, checked: bool) -> tuple[smtplib.SMTP, bool]:
        """A connection to `url` and whether it had been used before (a fresh one if the kept one sat idle)."""
        kept = self.clients.pop(url, None)
        if kept is not None and time.monotonic() - kept[1] < KEEP_IDLE_SECONDS:
            return kept[0], True
        if kept is not None:
            _close(kept[0])
        return _connect(url, checked=checked), False

    def put(self, url: str, client: smtplib.SMTP) -> None:
        self.clients[url] = (client, time.monotonic())

    def close(self) -> None:
        for client, _used in self.clients.values():
            _close(client)
        self.clients.clear()


_kept: ContextVar[_Kept | None] = ContextVar("dadras_smtp_kept", default=None)


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


@contextmanager
def kept_connections() -> Iterator[None]:
    """Within the block, one SMTP connection per server carries every message (a batch of notices). Inside an
    outer block of the same process (a worker keeps its connections from one batch to the next), the outer one's
    connections are used and stay open."""
    outer = _kept.get()
    if outer is not None and outer.pid == os.getpid():
        yield
        return
    kept = _Kept()
    token = _kept.set(kept)
    try:
        yield
    finally:
        kept.close()
        _kept.reset(token)


class _CheckedSMTP(smtplib.SMTP):
    """SMTP over a connection to a checked address (services.gateways.addresses): an organization's own server."""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return addresses.connect(host, port, timeout, self.source_address)


class _CheckedSMTPS(smtplib.SMTP_SSL, _CheckedSMTP):
    """SMTPS the same way: SMTP_SSL wraps the checked connection, naming the host for TLS."""


def _connect(url: str, *, checked: bool = False) -> smtplib.SMTP:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port
    plain, secure = (_CheckedSMTP, _CheckedSMTPS) if checked else (smtplib.SMTP, smtplib.SMTP_SSL)
    if parts.scheme == "smtps":
        client: smtplib.SMTP = secure(host, port or 465, context=ssl.create_default_context(), timeout=20)
    else:
        client = plain(host, port or 25, timeout=20)
    try:
        client.ehlo()
        if parts.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
    except BaseException:
        client.close()
        raise
    return client


def _send_smtp(url: str, message: EmailMessage, *, checked: bool = False) -> None:
    """Send through smtp://[user:pass@]host:port (STARTTLS when offered) or smtps://; `checked` for an
    organization's own server, reached only at a public address (or one the operator allows)."""
    kept = _kept.get()
    if kept is None or kept.pid != os.getpid():
        with _connect(url, checked=checked) as client:
            client.send_message(message)
        return
    client, reused = kept.take(url, checked)
    try:
        client.send_message(message)
    except smtplib.SMTPServerDisconnected:
        client.close()
        if not reused:
            raise
        # The server had closed the kept connection before taking anything: once more, on a new one.
        client = _connect(url, checked=checked)
        try:
            client.send_message(message)
        except BaseException:
            client.close()
            raise
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
        kept.put(url, client)  # a refusal leaves the connection usable (smtplib has reset the transaction)
        raise
    except BaseException:
        client.close()  # a broken connection, a timeout: not kept
        raise
    kept.put(url, client)
