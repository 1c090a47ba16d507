"""An organization's mailbox over IMAP: log in, and read the messages that arrived after the last one read.

The mailbox is named by one URL, imap://user:password@host:143/INBOX (STARTTLS when the server offers it) or
imaps://…:993/Folder, kept sealed like every credential. Messages are read by UID, with BODY.PEEK so that
nothing is marked read, and the folder is opened read-only: the organization's own mail client sees its
mailbox as it was. Where reading stopped is the caller's to keep, with the folder's UIDVALIDITY.
"""

from __future__ import annotations

import base64
import imaplib
import re
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote, urlsplit

from services.gateways import addresses

TIMEOUT = 20
_FETCHED_UID = re.compile(rb"UID (\d+)")

# Why a mailbox cannot be read, in words of our own: the server's own answer is never repeated to the tenant
# (the organization sees these, and a server's greeting or error could be anything).
REASONS = {
    "refused": "the address is inside a private network: refused",
    "unreachable": "the server cannot be reached",
    "timeout": "the server did not answer in time",
    "login": "the server refused the login",
    "folder": "there is no such folder",
    "failed": "the server did not answer as a mailbox does",
}


class MailboxError(Exception):
    """The mailbox cannot be read now: refused, unreachable, the login refused, no such folder. `reason` is a key
    of REASONS."""

    def __init__(self, reason: str) -> None:
        super().__init__(REASONS[reason])
        self.reason = reason


def _connection_error(exc: BaseException) -> MailboxError:
    if addresses.refused(exc):
        return MailboxError("refused")
    if isinstance(exc, TimeoutError):
        return MailboxError("timeout")
    return MailboxError("unreachable")


class _IMAP(imaplib.IMAP4):
    """IMAP over a connection to a checked address (services.gateways.addresses)."""

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return addresses.connect(self.host, self.port, timeout)


class _IMAPS(imaplib.IMAP4_SSL):
    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = addresses.connect(self.host, self.port, timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class MailboxAddress:
    secure: bool
    host: str
    port: int
    user: str
    password: str
    folder: str


def parse_url(url: str) -> MailboxAddress:
    """The parts of an imap:// or imaps:// URL; ValueError for anything else."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
        raise ValueError("not an imap:// or imaps:// URL with a user")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("the port is not a number") from exc
    secure = parts.scheme == "imaps"
    return MailboxAddress(
        secure=secure,
        host=parts.hostname,
        port=port or (993 if secure else 143),
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.strip("/")) or "INBOX",
    )


def folder_name(folder: str) -> str:
    """The folder as IMAP names it (RFC 3501 5.1.3): ASCII as it is, the rest in modified UTF-7; quoted."""
    encoded, run = [], []

    def flush() -> None:
        if run:
            data = "".join(run).encode("utf-16-be")
            encoded.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            run.clear()

    for char in folder:
        if " " <= char <= "~":
            flush()
            encoded.append("&-" if char == "&" else char)
        else:
            run.append(char)
    flush()
    name = "".join(encoded)
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _session_error(exc: BaseException) -> MailboxError:
    return MailboxError("timeout" if isinstance(exc, TimeoutError) else "failed")


def _connected(address: MailboxAddress) -> imaplib.IMAP4:
    try:
        if address.secure:
            return _IMAPS(address.host, address.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT)
        return _IMAP(address.host, address.port, timeout=TIMEOUT)
    except (OSError, UnicodeError) as exc:
        raise _connection_error(exc) from exc
    except imaplib.IMAP4.error as exc:  # it answered, but not as an IMAP server greets
        raise MailboxError("failed") from exc


@contextmanager
def opened(url: str) -> Iterator[Mailbox]:
    """The mailbox at `url`, logged in with its folder selected read-only; logged out after the block."""
    try:
        address = parse_url(url)
    except ValueError as exc:
        raise MailboxError("unreachable") from exc
    client = _connected(address)
    try:
        try:
            if not address.secure and "STARTTLS" in client.capabilities:
                client.starttls(ssl_context=ssl.create_default_context())
            if f"{address.user}{address.password}".isascii():
                client.login(address.user, address.password)
            else:  # LOGIN takes ASCII only; SASL PLAIN carries UTF-8
                plain = f"\0{address.user}\0{address.password}".encode()
                client.authenticate("PLAIN", lambda _challenge: plain)
        except TimeoutError as exc:
            raise MailboxError("timeout") from exc
        except (OSError, UnicodeError, imaplib.IMAP4.error) as exc:
            raise MailboxError("login") from exc
        try:
            status, _data = client.select(folder_name(address.folder), readonly=True)
        except TimeoutError as exc:
            raise MailboxError("timeout") from exc
        except (OSError, UnicodeError, imaplib.IMAP4.error) as exc:
            raise MailboxError("folder") from exc
        if status != "OK":
            raise MailboxError("folder")
        yield Mailbox(client)
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            client.logout()


class Mailbox:
    def __init__(self, client: imaplib.IMAP4) -> None:
        self.client = client

    @property
    def validity(self) -> int:
        """The folder's UIDVALIDITY: when it changes, every UID read before means nothing."""
        _name, data = self.client.response("UIDVALIDITY")
        try:
            return int(data[0]) if data and data[0] else 0
        except ValueError:
            return 0

    def uids_after(self, last_uid: int) -> list[int]:
        """The UIDs of the messages after `last_uid`, oldest first."""
        try:
            status, data = self.client.uid("SEARCH", "UID", f"{last_uid + 1}:*")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise _session_error(exc) from exc
        if status != "OK":
            raise MailboxError("failed")
        found = (int(u) for u in b" ".join(d for d in data if d).split())
        # "n:*" names the last message even when its UID is below n.
        return sorted(u for u in found if u > last_uid)

    def uids_since(self, moment: datetime) -> list[int]:
        """The UIDs of the messages that arrived at `moment` or later (by the server's INTERNALDATE), oldest first."""
        try:
            status, data = self.client.uid("SEARCH", "SINCE", moment.strftime("%d-%b-%Y"))
            if status != "OK":
                raise MailboxError("failed")
            uids = sorted(int(u) for u in b" ".join(d for d in data if d).split())
            if not uids:
                return []
            status, data = self.client.uid("FETCH", ",".join(map(str, uids)), "(INTERNALDATE)")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise _session_error(exc) from exc
        if status != "OK":
            raise MailboxError("failed")
        later = []
        for line in data:
            said = _FETCHED_UID.search(line) if isinstance(line, bytes) else None
            arrived = imaplib.Internaldate2tuple(line) if said else None
            if said and arrived is not None and time.mktime(arrived) >= moment.timestamp():
                later.append(int(said.group(1)))
        return sorted(later)

    def fetch(self, uid: int) -> bytes | None:
        """The whole message with this UID (None if it is gone), leaving its flags alone."""
        try:
            status, data = self.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise _session_error(exc) from exc
        if status != "OK":
            raise MailboxError("failed")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                said = _FETCHED_UID.search(item[0])
                if said is None or int(said.group(1)) == uid:
                    return item[1]
        return None
