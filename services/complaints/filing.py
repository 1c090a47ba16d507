"""A complaint filed on the organization's own form: registered, its answers to the organization's fields
recorded on the form version in use, and its files kept. One operation for the portal's form (filed by the
customer) and the console's registration form (filed by staff on the customer's behalf)."""

from __future__ import annotations

from typing import Any

from services.complaints.models import Complaint
from services.complaints.operations import attach_file
from services.complaints.registration import ComplaintInput, register_complaint
from services.files.checking import CheckedFile
from services.files.storage import Storage
from services.forms.answers import record_answers
from tenants.db import db
from tenants.models import StaffMember, Tenant


def file_on_form(
    actor: StaffMember | None,
    tenant: Tenant,
    data: ComplaintInput,
    *,
    values: dict[str, Any],
    files: list[CheckedFile],
    storage: Storage,
    version: Any,
    field_files: dict[str, list[CheckedFile]] | None = None,
) -> Complaint:
    """Register the complaint `data` with the answers `values` to the fields of form `version`, the checked
    `files` attached to it and `field_files` given to its own file fields (each field's answer is then its
    files' ids). `actor` None is the customer: the fields are the customer's, the files theirs and visible to
    them; a staff member files with the staff's fields, and the files stay internal until shared."""
    audience = "customer" if actor is None else "staff"
    by_customer = actor is None
    field_files = field_files or {}
    complaint = register_complaint(actor, tenant, data)
    record_answers(tenant, complaint, values, audience=audience, version=version, files=field_files)
    db.session.flush()

    def keep(upload: CheckedFile):
        return attach_file(
            actor,
            complaint,
            upload,
            storage,
            customer_visible=by_customer,
            actor_kind="customer" if by_customer else None,
        )

    for upload in files:
        keep(upload)
    answers = dict(complaint.answers or {})
    for key, uploads in field_files.items():
        kept = [keep(u) for u in uploads]
        if kept:
            answers[key] = [a.id for a in kept]
    complaint.answers = answers
    return complaint
