"""Reading a mail: its text (the plain part, or the HTML read as text), a reply's own words, the language it is
written in, its author, what names it however often it is read, and whether a person wrote it to us at all."""

from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage
from email.utils import parseaddr
from html.parser import HTMLParser

from flask import current_app

from services.connections.queries import connection
from tenants.text import without_bidi_controls

# The Message-ID of our own notices: <dadras-<tenant id>-<notice id>@…>.
OUR_REFERENCE = re.compile(r"<dadras-(\d+)-(\d+)@")
_BULK = frozenset({"bulk", "junk", "list", "auto_reply"})
_DAEMONS = frozenset({"mailer-daemon", "postmaster"})


class _Text(HTMLParser):
    """The text of an HTML part: scripts and styles dropped, a line break for each block."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("script", "style", "head"):
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def body_text(message: EmailMessage) -> str:
    """The mail's text: its plain part, or its HTML part read as text."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown or lying charset
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if not isinstance(content, str):
        return ""
    text = html_text(content) if part.get_content_type() == "text/html" else content
    return without_bidi_controls(text.replace("\r\n", "\n")).strip()


def without_quote(text: str) -> str:
    """A reply's own words: the quoted mail below it (">" lines, and the line introducing them) left out."""
    lines = text.splitlines()
    kept: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("-----") and "original message" in stripped.lower():
            break
        if stripped.startswith(">"):
            if kept and kept[-1].rstrip().endswith(":"):
                kept.pop()
            continue
        kept.append(line)
    own = "\n".join(kept).strip()
    return own or text.strip()


def guess_locale(text: str, default: str) -> str:
    """The language a customer wrote in, from its letters: Persian script, Kazakh or Russian Cyrillic, or
    Latin; the organization's language when nothing tells."""
    sample = text[:2000]
    if re.search(r"[\u0600-\u06ff]", sample):
        return "fa"
    if re.search(r"[әғқңөұүһіӘҒҚҢӨҰҮҺІ]", sample):
        return "kk"
    if re.search(r"[\u0400-\u04ff]", sample):
        return "ru"
    if re.search(r"[A-Za-z]{3}", sample):
        return "en"
    return default


def header(message: EmailMessage, name: str) -> str:
    """A header's text, "" when it is missing or too broken to read."""
    try:
        value = message.get(name)
        return " ".join(without_bidi_controls(str(value)).split()) if value is not None else ""
    except Exception:  # the email package raises several kinds on malformed headers
        return ""


def raw_key(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def message_key(message: EmailMessage, raw: bytes) -> str:
    """What names the mail however often it is read: its Message-ID, else a digest of its bytes."""
    message_id = header(message, "Message-ID")
    if message_id and len(message_id) <= 255:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode()).hexdigest() if message_id else raw_key(raw)


def sender_of(message: EmailMessage) -> tuple[str, str]:
    """(name, address) of the one author a mail names; ("", "") for none, several or an unreadable From."""
    try:
        found = message["From"]
        addresses = found.addresses if found is not None else ()
    except Exception:
        return "", ""
    # One author, written plainly: a quoted local part here is an address smuggled in an encoded word.
    if len(addresses) != 1 or '"' in addresses[0].addr_spec:
        return "", ""
    return " ".join(without_bidi_controls(addresses[0].display_name).split()), addresses[0].addr_spec


def our_addresses(mailbox_user: str) -> frozenset[str]:
    """The addresses our own mail comes from (the platform's, the organization's, the mailbox's): read once a poll."""
    own = {parseaddr(current_app.config.get("MAIL_FROM", ""))[1].lower(), mailbox_user.lower()}
    sending = connection("email")
    if sending is not None:
        own.add(parseaddr((sending.settings or {}).get("sender", ""))[1].lower())
    return frozenset(own)


def ignored_because(message: EmailMessage, sender: str, ours: frozenset[str]) -> str | None:
    """Why a mail is not someone writing to us, or None."""
    auto = (header(message, "Auto-Submitted") or "no").lower()
    local = sender.split("@", 1)[0].lower()
    checks = (
        ("auto_reply", auto != "no" or header(message, "X-Autoreply") or header(message, "X-Autorespond")),
        ("bulk", header(message, "Precedence").lower() in _BULK or header(message, "List-Id")),
        (
            "bounce",
            message.get_content_type() == "multipart/report"
            or local in _DAEMONS
            or header(message, "Return-Path") == "<>",
        ),
        ("loop", OUR_REFERENCE.match(header(message, "Message-ID")) or sender.lower() in ours),
    )
    return next((reason for reason, found in checks if found), None)
