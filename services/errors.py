"""Why a service refused an operation; `status` is the HTTP answer a view gives."""

from __future__ import annotations

from datetime import datetime


class ServiceError(Exception):
    """Refused: `message` is shown to the user, `field` names the input at fault. Bad input: 422."""

    status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotAllowed(ServiceError):
    """Not from the complaint's current state."""

    status = 409


class Forbidden(ServiceError):
    """Not for the actor's role."""

    status = 403


class NotFound(ServiceError):
    """No such complaint, action or file here, or not one the actor may see."""

    status = 404


class StaleEdit(ServiceError):
    """Someone saved the complaint after the actor loaded it; nothing was changed."""

    status = 409

    def __init__(self, message: str, changed_by: str | None, changed_at: datetime | None) -> None:
        super().__init__(message)
        self.changed_by = changed_by
        self.changed_at = changed_at


class Duplicate(ServiceError):
    """The same submission arrived again; `existing_id` is what the first one made."""

    status = 409

    def __init__(self, message: str, existing_id: int) -> None:
        super().__init__(message)
        self.existing_id = existing_id
