"""What every channel takes and how it refuses: one rendered message; unavailable now, or undeliverable."""

from __future__ import annotations

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

    @property
    def reference(self) -> str:
        """The same for every attempt at this notice: what a channel may use to drop a repeat."""
        return f"dadras-{self.tenant_id}-{self.notice_id}"


class DeliveryError(Exception):
    permanent = False


class Unavailable(DeliveryError):
    """Not delivered this time; a later attempt may succeed."""


class Undeliverable(DeliveryError):
    """Refused for good as addressed."""

    permanent = True
