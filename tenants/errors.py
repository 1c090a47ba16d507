"""Why an operation was refused: one family for every layer, so a view answers each the same way.

Every refusal has the same shape: `message` is shown to the user (a lazy text, in their language), `field`
names the input at fault (None: the request as a whole), and `status` is the HTTP answer a view gives. The
subclasses are the answers a caller tells apart; the application answers any of them that a view did not
catch with the error page of its status (web/__init__.py).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l


class Refused(Exception):
    """Refused as asked: bad input (422), unless a subclass says otherwise."""

    status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotAllowed(Refused):
    """Not from the present state of the thing (a complaint's step it is not at)."""

    status = 409


class Forbidden(Refused):
    """Not for the actor's role."""

    status = 403

    def __init__(self, message: str | None = None, field: str | None = None) -> None:
        super().__init__(message or _l("Your role does not allow this."), field)


class NotFound(Refused):
    """No such thing here, or not one the actor may see."""

    status = 404


class Conflict(Refused):
    """Taken already, or in the way of another thing saved."""

    status = 409


class StaleEdit(Conflict):
    """Someone saved the thing after the actor loaded it; nothing was changed."""

    def __init__(self, message: str, changed_by: str | None, changed_at: datetime | None) -> None:
        super().__init__(message)
        self.changed_by = changed_by
        self.changed_at = changed_at


class Duplicate(Conflict):
    """The same submission arrived again; `existing_id` is what the first one made."""

    def __init__(self, message: str, existing_id: int) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class Gone(Refused):
    """A link that was genuine but has expired, been used or been withdrawn."""

    status = 410


class TooMany(Refused):
    """Too many attempts or requests in a while: try again later."""

    status = 429
