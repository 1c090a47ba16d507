"""What every channel takes and how it refuses: one rendered message; unavailable now, or undeliverable."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Outgoing:
    tenant_id: int
    notice_id: int
    channel: str
    recipient: str
    locale: str
    subject: str
    body: str
    organization: str
    # Files sent with an e-mail (a scheduled report): (file name, content type, bytes). Other channels send none.
    attachments: tuple[tuple[str, str, bytes], ...] = ()
    # An answer to what the customer just wrote in a chat, not a notice: WhatsApp takes it as plain text.
    in_reply: bool = False

    @property
    def reference(self) -> str:
        """The same for every attempt at this notice: what a channel may use to drop a repeat."""
        return f"dadras-{self.tenant_id}-{self.notice_id}"


class Reason:
    """What became of an attempt, as the organization is told it (in its words, never the server's)."""

    NO_WAY = "no_way"  # nothing is set up to send on this channel
    MAILBOX_FULL = "mailbox_full"
    ADDRESS_REFUSED = "address_refused"  # no such mailbox, number or chat
    UNREACHABLE = "unreachable"  # the server or gateway could not be reached
    LOGIN_REFUSED = "login_refused"  # the organization's account (password, key, token) was refused
    TIMED_OUT = "timed_out"
    TRY_LATER = "try_later"  # the server answered "not now"
    REFUSED = "refused"  # the message itself was refused
    OTHER = "other"  # an answer we could not read


# How the HTTP channels begin their errors: "bot API 401: …", "webhook HTTP 403: …", "Kavenegar 429: …".
_LEADING_STATUS = re.compile(r"^[\w .-]*?\b(?:HTTP )?([1-5]\d\d)\b[:,]")


class DeliveryError(Exception):
    permanent = False

    def __init__(self, message: str = "", reason: str | None = None) -> None:
        super().__init__(message)
        self._reason = reason

    @property
    def reason(self) -> str:
        """The given reason, else one read from the error: what caused it (a time-out, a connection refused), or
        the HTTP status a gateway answered with."""
        if self._reason:
            return self._reason
        cause, text = self.__cause__, str(self)
        if isinstance(cause, TimeoutError) or "Timeout" in type(cause).__name__ or "timed out" in text.lower():
            return Reason.TIMED_OUT
        if isinstance(cause, OSError) or "unreachable" in text.lower():
            return Reason.UNREACHABLE
        status = _LEADING_STATUS.match(text)
        if status and status.group(1) in ("401", "403"):
            return Reason.LOGIN_REFUSED
        if status and (status.group(1) == "429" or status.group(1).startswith("5")):
            return Reason.TRY_LATER
        return Reason.REFUSED if self.permanent else Reason.OTHER


class Unavailable(DeliveryError):
    """Not delivered this time; a later attempt may succeed."""


class Undeliverable(DeliveryError):
    """Refused for good as addressed."""

    permanent = True
