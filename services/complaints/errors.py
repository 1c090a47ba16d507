"""The refusals complaint operations raise (the shared service errors, under the complaint file's names)."""

from __future__ import annotations

from services.errors import Duplicate, Forbidden, NotAllowed, NotFound, ServiceError, StaleEdit

ComplaintError = ServiceError

__all__ = ["ComplaintError", "Duplicate", "Forbidden", "NotAllowed", "NotFound", "StaleEdit"]
