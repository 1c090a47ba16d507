"""The portal's settings: the organization's look, its channels, and where else a customer may turn."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from services.files.checking import CheckedFile
from services.files.storage import Storage
from services.i18n import number
from services.portal.models import PortalSettings
from tenants.db import after_commit, db, utcnow
from tenants.errors import Refused
from tenants.models import LOCALES, StaffMember, Tenant
from tenants.roles import Permission, require

CHANNEL_KINDS = (
    "phone",
    "email",
    "telegram",
    "bale",
    "eitaa",
    "rubika",
    "whatsapp",
    "postal",
    "suggestion_box",
    "in_person",
)
MAX_OUTSIDE = 4
MAX_TEXT = 500
LOGO_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
MAX_LOGO_BYTES = 1024 * 1024
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# Where a customer may turn outside the organization, by country, until the tenant says otherwise.
OUTSIDE_BY_COUNTRY = {
    "IR": [
        {
            "name": {
                "fa": "سامانهٔ ۱۲۴ سازمان حمایت مصرف‌کنندگان و تولیدکنندگان",
                "en": "Iran's consumer and producer protection organization (124)",
                "ru": "Организация защиты потребителей и производителей Ирана (124)",
                "kk": "Иранның тұтынушылар мен өндірушілерді қорғау ұйымы (124)",
            },
            "contact": "124",
            "url": "https://124.ir",
        }
    ],
    "KZ": [
        {
            "name": {
                "kk": "«E-Otinish» өтініштер порталы",
                "ru": "Портал обращений «E-Otinish»",
                "en": "The E-Otinish portal for appeals",
                "fa": "درگاه درخواست‌های «E-Otinish»",
            },
            "contact": "",
            "url": "https://eotinish.kz",
        }
    ],
}


def current(tenant: Tenant) -> PortalSettings:
    """The tenant's portal settings; before any are saved, the defaults (not added to the session)."""
    row = db.session.scalar(sa.select(PortalSettings).limit(1))
    if row is not None:
        return row
    return PortalSettings(
        colour="#0d6efd",
        intro={},
        channels=[],
        inside_body={},
        outside_bodies=[dict(b) for b in OUTSIDE_BY_COUNTRY.get(tenant.country, [])],
        show_staff_names=False,
        auto_close_days=14,
        auto_close_notice_days=3,
        rating_reminder_days=3,
    )


# The portal reads its settings on every page; each process keeps them this long (a change shows within it).
SNAPSHOT_SECONDS = 30.0


def _snapshots() -> dict[int, tuple[float, SimpleNamespace]]:
    """This app's kept snapshots (per app, so that two apps on two databases never share one)."""
    return current_app.extensions.setdefault("dadras.portal_snapshots", {})


def snapshot(tenant: Tenant) -> SimpleNamespace:
    """The settings as plain read-only values for the portal's pages, kept per process for SNAPSHOT_SECONDS."""
    now = time.monotonic()
    kept = _snapshots().get(tenant.id)
    if kept is not None and now - kept[0] < SNAPSHOT_SECONDS:
        return kept[1]
    row = current(tenant)
    values = SimpleNamespace(
        colour=row.colour,
        logo_key=row.logo_key,
        logo_type=row.logo_type,
        intro=dict(row.intro or {}),
        channels=[dict(c) for c in row.channels or []],
        inside_body=dict(row.inside_body or {}),
        outside_bodies=[dict(b) for b in row.outside_bodies or []],
        show_staff_names=bool(row.show_staff_names),
        auto_close_days=int(row.auto_close_days or 0),
    )
    _snapshots()[tenant.id] = (now, values)
    return values


def _forget(tenant: Tenant) -> None:
    _snapshots().pop(tenant.id, None)


def _row(actor: StaffMember, tenant: Tenant) -> PortalSettings:
    require(actor, Permission.MANAGE_SETTINGS)
    _forget(tenant)
    row = current(tenant)
    if row.id is None:
        db.session.add(row)
    return row


@dataclass
class PortalInput:
    colour: str
    intro: dict[str, str] = field(default_factory=dict)
    # {kind: the value shown, e.g. "021-1234" or "@clinic_bot"}
    channels: dict[str, str] = field(default_factory=dict)
    inside_name: dict[str, str] = field(default_factory=dict)
    inside_contact: str = ""
    # [{"name": {locale: text}, "contact": "...", "url": "..."}]
    outside: list[dict] = field(default_factory=list)
    show_staff_names: bool = False
    auto_close_days: int = 14
    auto_close_notice_days: int = 3
    rating_reminder_days: int = 3


def _texts(values: dict[str, str], name: str) -> dict[str, str]:
    cleaned = {}
    for locale in LOCALES:
        text = (values.get(locale) or "").strip()
        if len(text) > MAX_TEXT:
            raise Refused(_l("At most %(n)s characters.", n=number(MAX_TEXT)), field=f"{name}_{locale}")
        if text:
            cleaned[locale] = text
    return cleaned


def _short(value: str, name: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise Refused(_l("At most %(n)s characters.", n=number(MAX_TEXT)), field=name)
    return text


def _url(value: str, name: str) -> str:
    text = _short(value, name)
    if not text:
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise Refused(_l("Enter a web address that starts with https://."), field=name)
    return text


def _check_follow_ups(data: PortalInput) -> None:
    for name, most in (("auto_close_days", 365), ("auto_close_notice_days", 60), ("rating_reminder_days", 60)):
        value = getattr(data, name)
        if not isinstance(value, int) or not 0 <= value <= most:
            raise Refused(_l("Give a number of days from 0 to %(n)s.", n=number(most)), field=name)
    if data.auto_close_days and data.auto_close_notice_days >= data.auto_close_days:
        raise Refused(
            _l("Tell the customer before the complaint closes: fewer days than the closing."),
            field="auto_close_notice_days",
        )


def save(actor: StaffMember, tenant: Tenant, data: PortalInput) -> PortalSettings:
    """Save the portal's look, channels and bodies."""
    if not _COLOUR.fullmatch(data.colour or ""):
        raise Refused(_l("Choose a colour."), field="colour")
    channels = []
    for kind in CHANNEL_KINDS:
        value = _short(data.channels.get(kind, ""), f"channel_{kind}")
        if value:
            channels.append({"kind": kind, "value": value})
    outside = []
    for index, body in enumerate(data.outside[:MAX_OUTSIDE]):
        names = _texts(body.get("name") or {}, f"outside_{index}_name")
        contact = _short(body.get("contact", ""), f"outside_{index}_contact")
        url = _url(body.get("url", ""), f"outside_{index}_url")
        if names:
            outside.append({"name": names, "contact": contact, "url": url})
        elif contact or url:
            raise Refused(_l("Give the body's name."), field=f"outside_{index}_name_{LOCALES[0]}")
    _check_follow_ups(data)
    row = _row(actor, tenant)
    row.auto_close_days = data.auto_close_days
    row.auto_close_notice_days = data.auto_close_notice_days
    row.rating_reminder_days = data.rating_reminder_days
    row.colour = data.colour.lower()
    row.intro = _texts(data.intro, "intro")
    row.channels = channels
    inside_name = _texts(data.inside_name, "inside_name")
    row.inside_body = (
        {"name": inside_name, "contact": _short(data.inside_contact, "inside_contact")} if inside_name else {}
    )
    row.outside_bodies = outside
    row.show_staff_names = bool(data.show_staff_names)
    row.updated_at = utcnow()
    db.session.flush()
    return row


def set_logo(actor: StaffMember, tenant: Tenant, upload: CheckedFile, storage: Storage) -> PortalSettings:
    """The organization's logo: a PNG, JPEG or WebP image of at most 1 MB."""
    if upload.content_type not in LOGO_TYPES:
        raise Refused(_l("The logo must be a PNG, JPEG or WebP image."), field="logo")
    if upload.size > MAX_LOGO_BYTES:
        raise Refused(_l("The logo may be at most 1 MB."), field="logo")
    row = _row(actor, tenant)
    old = row.logo_key
    row.logo_key, row.logo_type = storage.put(upload.data), upload.content_type
    row.updated_at = utcnow()
    db.session.flush()
    if old:
        after_commit(lambda: storage.delete(old))
    return row


def remove_logo(actor: StaffMember, tenant: Tenant, storage: Storage) -> None:
    row = _row(actor, tenant)
    old = row.logo_key
    row.logo_key = row.logo_type = None
    db.session.flush()
    if old:
        after_commit(lambda: storage.delete(old))
