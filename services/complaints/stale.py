"""Optimistic locking: an edit made on an old copy of the complaint is refused, never merged over."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from services.complaints.models import Complaint
from tenants.db import db, utcnow
from tenants.errors import StaleEdit
from tenants.models import StaffMember


def check_version(complaint: Complaint, version: int | None) -> None:
    """Raise StaleEdit, naming who changed it and when, unless `version` is the complaint's current one; None
    skips the check (the customer's own steps on the portal carry no version; staff forms never send None).

    The mapper's version counter also refuses a concurrent flush (StaleDataError) for the race in between.
    """
    if version is None or version == complaint.version:
        return
    who = db.session.get(StaffMember, complaint.updated_by_id) if complaint.updated_by_id else None
    raise StaleEdit(
        _l("Someone else changed this complaint after you opened it. Reload the page and try again."),
        changed_by=who.name if who else None,
        changed_at=complaint.updated_at,
    )


def touch(complaint: Complaint, actor: StaffMember | None) -> None:
    """Mark the complaint changed now by `actor` (the mapper bumps its version on flush)."""
    complaint.updated_at = utcnow()
    complaint.updated_by_id = actor.id if actor is not None else None
