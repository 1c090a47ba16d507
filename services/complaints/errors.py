"""The refusals complaint operations raise (the shared service errors, under the complaint file's names)."""

from __future__ import annotations

from services.errors import Forbidden, NotAllowed, NotFound, ServiceError, StaleEdit

ComplaintError = ServiceError

__all__ = ["ComplaintError", "Forbidden", "NotAllowed", "NotFound", "StaleEdit"]
