"""The tenant's complaint form: its own fields and the core fields it hides or requires, edited as a draft
and published as numbered versions that never change afterwards."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.forms.models import FormVersion
from services.i18n import number
from tenants.db import db, utcnow
from tenants.errors import NotFound, Refused
from tenants.models import LOCALES, StaffMember
from tenants.roles import Permission, require

FIELD_TYPES = (
    "short_text",
    "long_text",
    "number",
    "date",
    "choice",
    "multi_choice",
    "checkbox",
    "phone",
    "email",
    "file",
)
CHOICE_TYPES = frozenset({"choice", "multi_choice"})
AUDIENCES = ("customer", "staff")
# The registration record's fields that a tenant may hide or require; name, subject and description are
# always asked.
CORE_FIELDS = (
    "phone",
    "email",
    "national_id",
    "preferred_contact",
    "representative_name",
    "remedy_sought",
    "category_id",
    "attachments",
)
CORE_STATES = ("required", "optional", "hidden")
CORE_DEFAULTS = dict.fromkeys(CORE_FIELDS, "optional")
MAX_FIELDS = 40
MAX_OPTIONS = 50
MAX_LABEL = 200
MAX_HELP = 500


@dataclass
class FieldInput:
    """A field of the tenant's own, as the form builder sends it."""

    type: str
    labels: dict[str, str]
    help: dict[str, str] = field(default_factory=dict)
    required: bool = False
    audience: str = "customer"
    categories: list[int] = field(default_factory=list)
    # One option per item: {"key": existing key or "", "labels": {locale: text}}.
    options: list[dict[str, Any]] = field(default_factory=list)


def published() -> FormVersion | None:
    """The form customers and staff fill in now: the latest published version (None before the first)."""
    return db.session.scalar(
        sa.select(FormVersion).where(FormVersion.number.is_not(None)).order_by(FormVersion.number.desc()).limit(1)
    )


def versions() -> list[FormVersion]:
    """Every published version, newest first."""
    return list(
        db.session.scalars(
            sa.select(FormVersion).where(FormVersion.number.is_not(None)).order_by(FormVersion.number.desc())
        )
    )


def draft(actor: StaffMember) -> FormVersion:
    """The version being edited; made from the published one the first time it is needed."""
    require(actor, Permission.MANAGE_SETTINGS)
    row = db.session.scalar(sa.select(FormVersion).where(FormVersion.number.is_(None)).limit(1))
    if row is None:
        current = published()
        row = FormVersion(
            fields=[dict(f) for f in current.fields] if current else [],
            core=dict(current.core) if current else dict(CORE_DEFAULTS),
        )
        db.session.add(row)
        db.session.flush()
    return row


def editing() -> FormVersion | None:
    """What the form builder shows: the draft if there is one, else the published version (read only)."""
    row = db.session.scalar(sa.select(FormVersion).where(FormVersion.number.is_(None)).limit(1))
    return row if row is not None else published()


def has_draft() -> bool:
    return db.session.scalar(sa.select(FormVersion.id).where(FormVersion.number.is_(None)).limit(1)) is not None


def core_state(version: FormVersion | None, name: str) -> str:
    """ "required", "optional" or "hidden" for a core field under `version` (optional without a form)."""
    if version is None:
        return CORE_DEFAULTS[name]
    return version.core.get(name, CORE_DEFAULTS[name])


def _text_map(values: dict[str, str], *, limit: int, name: str, required: bool) -> dict[str, str]:
    cleaned = {}
    for locale in LOCALES:
        text = (values.get(locale) or "").strip()
        if len(text) > limit:
            raise Refused(_l("At most %(n)s characters.", n=number(limit)), field=f"{name}_{locale}")
        if text:
            cleaned[locale] = text
    if required and not cleaned:
        raise Refused(_l("Give the label in at least one language."), field=f"{name}_{LOCALES[0]}")
    return cleaned


def _clean_field(data: FieldInput, existing: dict[str, Any] | None) -> dict[str, Any]:
    if data.type not in FIELD_TYPES:
        raise Refused(_l("Choose a field type from the list."), field="type")
    if existing is not None and existing["type"] != data.type:
        # A new type would give old answers a meaning they never had: add a new field instead.
        raise Refused(_l("A field's type cannot change; add a new field instead."), field="type")
    if data.audience not in AUDIENCES:
        raise Refused(_l("Choose who sees the field."), field="audience")
    cleaned: dict[str, Any] = {
        "key": existing["key"] if existing else "f_" + secrets.token_hex(4),
        "type": data.type,
        "labels": _text_map(data.labels, limit=MAX_LABEL, name="label", required=True),
        "help": _text_map(data.help, limit=MAX_HELP, name="help", required=False),
        "required": bool(data.required),
        "audience": data.audience,
        "categories": sorted({int(c) for c in data.categories}),
    }
    if data.type in CHOICE_TYPES:
        cleaned["options"] = _clean_options(data.options, existing)
    return cleaned


def _clean_options(options: list[dict[str, Any]], existing: dict[str, Any] | None) -> list[dict[str, Any]]:
    known = {o["key"] for o in (existing or {}).get("options", [])}
    cleaned = []
    for option in options[: MAX_OPTIONS + 1]:
        labels = _text_map(option.get("labels") or {}, limit=MAX_LABEL, name="option", required=False)
        if not labels:
            continue
        key = option.get("key") if option.get("key") in known else "o_" + secrets.token_hex(3)
        cleaned.append({"key": key, "labels": labels})
    if not cleaned:
        raise Refused(_l("A choice needs at least one option."), field="options")
    if len(cleaned) > MAX_OPTIONS:
        raise Refused(_l("At most %(n)s options.", n=number(MAX_OPTIONS)), field="options")
    return cleaned


def _find(row: FormVersion, key: str) -> int:
    for index, item in enumerate(row.fields):
        if item["key"] == key:
            return index
    raise NotFound(_l("There is no such field."))


def add_field(actor: StaffMember, data: FieldInput) -> dict[str, Any]:
    """Add a field at the end of the draft."""
    row = draft(actor)
    if len(row.fields) >= MAX_FIELDS:
        raise Refused(_l("A form has at most %(n)s fields of its own.", n=number(MAX_FIELDS)))
    cleaned = _clean_field(data, None)
    row.fields = [*row.fields, cleaned]
    return cleaned


def update_field(actor: StaffMember, key: str, data: FieldInput) -> dict[str, Any]:
    """Change a field's labels, help, options, requirement, audience or categories (not its type)."""
    row = draft(actor)
    index = _find(row, key)
    cleaned = _clean_field(data, row.fields[index])
    fields_ = list(row.fields)
    fields_[index] = cleaned
    row.fields = fields_
    return cleaned


def move_field(actor: StaffMember, key: str, offset: int) -> None:
    """Move a field up (-1) or down (+1)."""
    row = draft(actor)
    index = _find(row, key)
    target = index + (1 if offset > 0 else -1)
    if not 0 <= target < len(row.fields):
        return
    fields_ = list(row.fields)
    fields_[index], fields_[target] = fields_[target], fields_[index]
    row.fields = fields_


def remove_field(actor: StaffMember, key: str) -> None:
    """Take a field off the draft; published versions, and the answers given on them, keep it."""
    row = draft(actor)
    index = _find(row, key)
    row.fields = [f for i, f in enumerate(row.fields) if i != index]


def set_core(actor: StaffMember, states: dict[str, str]) -> None:
    """Hide, offer or require the core fields."""
    row = draft(actor)
    core = dict(row.core)
    for name, state in states.items():
        if name not in CORE_FIELDS or state not in CORE_STATES:
            raise Refused(_l("Choose required, optional or hidden."), field=f"core_{name}")
        core[name] = state
    if core.get("phone") == "hidden" and core.get("email") == "hidden":
        # Answers, one-time codes and notices all need a way back to the customer.
        raise Refused(_l("Keep a phone or an e-mail field to reach the customer."), field="core_phone")
    row.core = core


def publish(actor: StaffMember) -> FormVersion:
    """Make the draft the form in use, as the next numbered version."""
    row = draft(actor)
    current = published()
    if current is not None and current.fields == row.fields and current.core == row.core:
        raise Refused(_l("Nothing has changed since the last version."))
    number = (current.number if current else 0) + 1
    row.number = number
    row.published_at = utcnow()
    row.published_by_id = actor.id
    db.session.flush()
    return row


def discard_draft(actor: StaffMember) -> None:
    """Throw the draft's changes away."""
    require(actor, Permission.MANAGE_SETTINGS)
    row = db.session.scalar(sa.select(FormVersion).where(FormVersion.number.is_(None)).limit(1))
    if row is not None:
        db.session.delete(row)


def fields_for(version: FormVersion | None, *, audience: str, category_id: int | None) -> list[dict[str, Any]]:
    """The tenant's own fields shown to `audience` ("customer": the portal; "staff": everything) for a category.

    A field limited to some categories is shown when the category is one of them or is not chosen yet.
    """
    if version is None:
        return []
    shown = []
    for item in version.fields:
        if audience == "customer" and item["audience"] != "customer":
            continue
        if item["categories"] and category_id is not None and category_id not in item["categories"]:
            continue
        shown.append(item)
    return shown
