"""The senders, the ways a notice leaves (Notice.channel names one): each takes one rendered message and says
what became of it.

A sender raises Undeliverable when the message will never get through as addressed (a refused recipient,
a bad number), and Unavailable when it may later (the server is down, busy, or answered in a way that may
pass). Anything a sender can carry to make a repeat harmless (a stable Message-ID, a provider's local id)
is derived from the notice, so a retry after an interrupted send is recognized as the same message.
"""

from __future__ import annotations

import html
import logging
import re
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app

from services.connections.queries import bot_sender, mail_server, messenger_sender, sms_sender, webhook_sender
from services.gateways import addresses
from services.gateways.base import Outgoing, Reason, Unavailable, Undeliverable
from services.gateways.bots import BOT_PROVIDERS
from services.gateways.messengers import MESSENGERS
from services.mail import Mail, build_message, deliver_message, msgid_domain

log = logging.getLogger(__name__)
RTL_LOCALES = frozenset({"fa"})
_URL = re.compile(r"https?://[^\s<>\"']+")


def html_body(text: str, locale: str) -> str:
    """The plain text as a small HTML part: right-to-left for Persian, links clickable, nothing else added."""
    direction = "rtl" if locale in RTL_LOCALES else "ltr"
    paragraphs = []
    for block in text.split("\n\n"):
        escaped = html.escape(block)
        linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>") + "</p>")
    return (
        f'<!doctype html><html lang="{locale}" dir="{direction}"><body dir="{direction}" '
        f'style="direction:{direction};text-align:{"right" if direction == "rtl" else "left"}">'
        + "".join(paragraphs)
        + "</body></html>"
    )


def email_message(out: Outgoing, sender: str | None = None) -> EmailMessage:
    sender = sender or current_app.config["MAIL_FROM"]
    message = build_message(
        Mail(
            to=out.recipient, subject=out.subject, text=out.body, html=html_body(out.body, out.locale), lang=out.locale
        ),
        sender,
    )
    domain = sender.rsplit("@", 1)[-1].strip("> ")
    del message["Message-ID"]
    message["Message-ID"] = f"<{out.reference}@{msgid_domain(domain)}>"
    del message["Date"]
    message["Date"] = formatdate(localtime=False)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: answering machines must not answer it
    for filename, content_type, data in out.attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return message


def email_sender():
    """A sender through the organization's own mail server when it has one (looked up once), else the
    platform's (SMTP_URL) or the development backends."""
    own = mail_server()
    return lambda out: send_email(out, own)


def smtp_reason(code: int, said: str, *, recipient: bool = False) -> str:
    """What an SMTP reply code (and its enhanced status, 5.2.2 …) means for the organization; `recipient`: the
    reply refused an address (RCPT TO)."""
    if code in (530, 534, 535, 538):
        return Reason.LOGIN_REFUSED
    if code in (452, 552) or " 5.2.2" in f" {said}" or " 4.2.2" in f" {said}":
        return Reason.MAILBOX_FULL
    if (recipient and code >= 500) or code in (551, 553) or " 5.1." in f" {said}":
        return Reason.ADDRESS_REFUSED
    if 400 <= code < 500:
        return Reason.TRY_LATER
    return Reason.REFUSED


def send_email(out: Outgoing, own: tuple[str, str] | None = None) -> str | None:
    """One e-mail, through `own` (an SMTP URL and the sender) or the platform's mail."""
    message = email_message(out, own[1] if own else None)
    try:
        if own is not None:
            deliver_message(message, smtp_url=own[0])
        else:
            deliver_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        answers = list(exc.recipients.values())
        error = f"recipient refused: {exc.recipients}"
        said = " ".join(text.decode(errors="replace") if isinstance(text, bytes) else str(text) for _, text in answers)
        reason = smtp_reason(max(code for code, _ in answers), said, recipient=True)
        if all(500 <= code < 600 for code, _ in answers):
            raise Undeliverable(error, reason) from exc
        raise Unavailable(error, reason) from exc
    except smtplib.SMTPResponseException as exc:
        said = exc.smtp_error
        said = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
        error = f"{exc.smtp_code} {said}"
        reason = smtp_reason(exc.smtp_code, said)
        if 500 <= exc.smtp_code < 600 and reason != Reason.LOGIN_REFUSED:  # a login problem is ours to fix
            raise Undeliverable(error, reason) from exc
        raise Unavailable(error, reason) from exc
    except addresses.RefusedAddress as exc:  # the organization's server is inside: retrying would not change it
        raise Undeliverable(f"mail server: {exc}", Reason.UNREACHABLE) from exc
    except TimeoutError as exc:
        raise Unavailable(f"mail server: {exc}", Reason.TIMED_OUT) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise Unavailable(f"mail server: {exc}", Reason.UNREACHABLE) from exc
    return message["Message-ID"]


def send_console_sms(out: Outgoing) -> str | None:
    """Development: the text message is written to the log instead of a gateway."""
    log.warning("SMS to %s (console backend): %s", out.recipient, out.body)
    return None


def send_memory_sms(out: Outgoing) -> str | None:
    """Tests: kept in the app, to be read back."""
    current_app.extensions.setdefault("dadras.sent_sms", []).append(out)
    return None


def _sms_sender():
    own = sms_sender()  # the organization's provider
    if own is not None:
        return own
    return {"console": send_console_sms, "memory": send_memory_sms}.get(current_app.config.get("SMS_BACKEND"))


def sender_for(channel: str):
    """The function that sends on `channel` for the tenant in scope (its accounts read once: keep it for a
    batch), or None when this deployment has none for it."""
    if channel in BOT_PROVIDERS:
        return bot_sender(channel)
    if channel in MESSENGERS:
        return messenger_sender(channel)
    senders = {"email": email_sender, "webhook": webhook_sender, "sms": _sms_sender}
    return senders[channel]() if channel in senders else None
