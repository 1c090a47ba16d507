"""What follows the organization's country rather than the page's language: the national ID's name and a
phone number as its people write it."""

from __future__ import annotations

from flask import g, has_request_context
from flask_babel import LazyString

from services.contacts import national_id_name, phone_example
from web.i18n import localize_digits


def tenant_country() -> str:
    """The country of the organization in the request ("IR", "KZ"); "" outside one."""
    tenant = g.get("tenant") if has_request_context() else None
    return tenant.country if tenant is not None else ""


def national_id_label() -> str:
    """The national ID's name in the organization's country, in the reader's language."""
    return str(national_id_name(tenant_country()))


def phone_placeholder() -> str:
    """A mobile number of the organization's country, in the reader's digits."""
    return localize_digits(phone_example(tenant_country()))


# For labels set once per form class: resolved for each request's organization and language.
NATIONAL_ID_LABEL = LazyString(national_id_label)
PHONE_PLACEHOLDER = LazyString(phone_placeholder)


def init_app(app) -> None:
    app.jinja_env.globals.update(national_id_label=national_id_label, phone_placeholder=phone_placeholder)
