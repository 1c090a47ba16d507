"""What the console's complaint pages share: the select lists (keeping a retired value an edit must show),
the tenant's clock and upload storage, the uploaded files checked, and the words for a stale edit."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, g
from flask_babel import gettext as _

from services.catalog.models import Category, RootCause, Unit
from services.complaints.operations import (
    MAX_FILE_BYTES,
)
from services.files.checking import check_upload
from services.files.storage import storage_from_config
from services.i18n import localized
from tenants.db import db
from tenants.errors import StaleEdit
from tenants.models import StaffMember
from web.forms import category_choices
from web.i18n import format_when, locale_code


def tenant_tz() -> ZoneInfo:
    return ZoneInfo(g.tenant.timezone)


def storage():
    return storage_from_config(current_app.config["UPLOAD_STORAGE"])


def select_options() -> dict[str, list[tuple[str, str]]]:
    """The select lists: categories (children under their parent), units, active staff, root causes."""
    locale = locale_code()
    categories = category_choices()
    units = [
        (str(u.id), localized(u.names, locale))
        for u in db.session.scalars(sa.select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.position, Unit.id))
    ]
    staff = [
        (str(m.id), m.name)
        for m in db.session.scalars(
            sa.select(StaffMember).where(StaffMember.is_active.is_(True)).order_by(StaffMember.name)
        )
    ]
    causes = [
        (str(r.id), localized(r.names, locale))
        for r in db.session.scalars(
            sa.select(RootCause).where(RootCause.is_active.is_(True)).order_by(RootCause.position, RootCause.id)
        )
    ]
    return {"categories": categories, "units": units, "staff": staff, "causes": causes}


def uploads(field) -> list[Any]:
    return [f for f in (field.data or []) if getattr(f, "filename", "")]


def check_files(field) -> list[Any]:
    """Every uploaded file checked by its content; the first refusal raises FileRejected."""
    return [check_file(f) for f in uploads(field)]


def check_file(upload) -> Any:
    """One uploaded file checked by its content; raises FileRejected."""
    return check_upload(upload.read(), upload.filename, max_bytes=MAX_FILE_BYTES)


def keeping(options: list[tuple[str, str]], current: int | None, label) -> list[tuple[str, str]]:
    """`options` with the complaint's current value, even if it has since been retired, so an edit keeps it."""
    if current is None or any(value == str(current) for value, _text in options):
        return options
    return [*options, (str(current), label(current))]


def category_label(category_id: int) -> str:
    category = db.session.get(Category, category_id)
    return localized(category.names, locale_code()) if category else str(category_id)


def cause_label(cause_id: int) -> str:
    cause = db.session.get(RootCause, cause_id)
    return localized(cause.names, locale_code()) if cause else str(cause_id)


def staff_label(member_id: int) -> str:
    member = db.session.get(StaffMember, member_id)
    return member.name if member else str(member_id)


def stale_message(exc: StaleEdit) -> str:
    if exc.changed_by and exc.changed_at:
        return _(
            "%(name)s changed this complaint at %(time)s. Reload the page to see the change; "
            "nothing of yours was saved.",
            name=exc.changed_by,
            time=format_when(exc.changed_at),
        )
    return _("This complaint was changed after you opened it. Reload the page; nothing of yours was saved.")
