"""Answers to the tenant's own fields: checked against the version they were given on, stored as JSON."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from services.contacts import ContactError, check_email, normalize_phone
from services.forms.models import FormVersion
from services.forms.schema import fields_for, published
from services.i18n import number
from tenants.errors import Refused
from tenants.models import Tenant

if TYPE_CHECKING:
    from services.complaints.models import Complaint

SHORT_TEXT = 500
LONG_TEXT = 5000
# Numbers as people type them on a form: quantities, amounts, file numbers.
NUMBER_LIMIT = Decimal(10) ** 15


def _empty(value: Any) -> bool:
    return value is None or value is False or value in ("", [])


def clean_answers(
    version: FormVersion | None,
    values: dict[str, Any],
    *,
    audience: str,
    category_id: int | None,
    country: str,
) -> dict[str, Any]:
    """The answers to the fields `audience` sees, checked and made JSON; Refused names the field at fault.

    `values` holds what the form parsed: text, a Decimal, a date, an option's key or keys, a bool. File
    fields are answered separately (their attachments), so they are left out here.
    """
    cleaned: dict[str, Any] = {}
    for item in fields_for(version, audience=audience, category_id=category_id):
        key, kind = item["key"], item["type"]
        if kind == "file":
            continue
        value = values.get(key)
        if _empty(value):
            if item["required"]:
                message = _l("Tick this box.") if kind == "checkbox" else _l("This field is required.")
                raise Refused(message, field=key)
            continue
        try:
            cleaned[key] = _CLEANERS[kind](item, value, country)
        except ContactError as exc:
            raise Refused(exc.message, field=key) from exc
    return cleaned


def _text(item: dict[str, Any], value: Any, _country: str) -> str:
    text = str(value).strip()
    limit = SHORT_TEXT if item["type"] == "short_text" else LONG_TEXT
    if len(text) > limit:
        raise Refused(_l("At most %(n)s characters.", n=number(limit)), field=item["key"])
    return text


def _number(item: dict[str, Any], value: Any, _country: str) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Refused(_l("Enter a number."), field=item["key"]) from None
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        raise Refused(_l("Enter a number."), field=item["key"])
    return str(int(number)) if number == number.to_integral() else str(number.normalize())


def _date(item: dict[str, Any], value: Any, _country: str) -> str:
    if not isinstance(value, date):
        raise Refused(_l("Enter a date."), field=item["key"])
    return value.isoformat()


def _choice(item: dict[str, Any], value: Any, _country: str) -> str | list[str]:
    keys = {o["key"] for o in item["options"]}
    chosen = value if isinstance(value, list) else [value]
    if any(c not in keys for c in chosen):
        raise Refused(_l("Choose from the list."), field=item["key"])
    return chosen if item["type"] == "multi_choice" else chosen[0]


_CLEANERS = {
    "short_text": _text,
    "long_text": _text,
    "number": _number,
    "date": _date,
    "choice": _choice,
    "multi_choice": _choice,
    "checkbox": lambda _item, _value, _country: True,
    "phone": lambda _item, value, country: normalize_phone(str(value), country),
    "email": lambda _item, value, _country: check_email(str(value)),
}


def answered_fields(version: FormVersion | None, answers: dict[str, Any]) -> list[tuple[dict[str, Any], Any]]:
    """Each answered field with its answer, under the labels of the version it was given on, in its order."""
    if version is None:
        return []
    return [(item, answers[item["key"]]) for item in version.fields if item["key"] in answers]


_UNSET = object()


def record_answers(
    tenant: Tenant,
    complaint: Complaint,
    values: dict[str, Any],
    *,
    audience: str,
    version: Any = _UNSET,
    files: dict[str, list[Any]] | None = None,
) -> None:
    """File the complaint on a form version (the one in use unless given): its answers to the tenant's own
    fields. `files` are the uploads given to its file fields, checked here only for being required."""
    if version is _UNSET:
        version = published()
    complaint.form_version_id = version.id if version else None
    complaint.answers = clean_answers(
        version, values, audience=audience, category_id=complaint.category_id, country=tenant.country
    )
    for item in fields_for(version, audience=audience, category_id=complaint.category_id):
        if item["type"] == "file" and item["required"] and not (files or {}).get(item["key"]):
            raise Refused(_l("Attach a file here."), field=item["key"])
