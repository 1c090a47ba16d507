"""Sign-up: a tenant, its owner and its industry's starting configuration, in one transaction."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.calendar.deadlines import set_up_calendar
from services.calendar.operations import add_official_holidays, current_year
from services.escalation.rules import add_defaults as add_escalation_defaults
from services.onboarding.templates import apply_template
from tenants.accounts import create_staff
from tenants.context import enter_tenant
from tenants.db import db, utcnow
from tenants.errors import Refused
from tenants.models import INDUSTRIES, LOCALES, StaffMember, Tenant
from tenants.roles import Role

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
# Words that are, or may become, top-level paths or hosts of the platform itself.
RESERVED_SLUGS = frozenset(
    [
        "about",
        "account",
        "accounts",
        "admin",
        "administrator",
        "api",
        "app",
        "assets",
        "auth",
        "billing",
        "blog",
        "console",
        "dashboard",
        "demo-admin",
        "docs",
        "favicon-ico",
        "help",
        "healthz",
        "home",
        "lang",
        "language",
        "login",
        "logout",
        "mail",
        "metrics",
        "new",
        "pricing",
        "privacy",
        "public",
        "readyz",
        "register",
        "robots-txt",
        "root",
        "security",
        "settings",
        "signin",
        "signup",
        "static",
        "status",
        "support",
        "system",
        "terms",
        "track",
        "tracking",
        "user",
        "users",
        "webhook",
        "webhooks",
        "www",
    ]
)


KAZAKHSTAN_TIMEZONES = frozenset(
    {"Asia/Almaty", "Asia/Aqtau", "Asia/Aqtobe", "Asia/Atyrau", "Asia/Oral", "Asia/Qostanay", "Asia/Qyzylorda"}
)


def country_of(timezone: str, locale: str) -> str:
    """Where a new organization works, from its time zone, else its language: "KZ" or "IR"."""
    if timezone in KAZAKHSTAN_TIMEZONES or (timezone != "Asia/Tehran" and locale in ("kk", "ru")):
        return "KZ"
    return "IR"


@dataclass(frozen=True)
class SignUp:
    name: str
    slug: str
    industry: str
    locale: str
    timezone: str
    owner_name: str
    owner_email: str
    password: str


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot be used (format, reserved or taken), or None; sign-up's insert settles a race."""
    if not SLUG_PATTERN.match(slug):
        return _l(
            "Use 3 to 40 lower-case Latin letters, digits and dashes, starting and ending with a letter or digit."
        )
    if slug in RESERVED_SLUGS:
        return _l("This address is reserved. Choose another one.")
    if slug_taken(slug):
        return _l("This address is already taken. Choose another one.")
    return None


def slug_taken(slug: str) -> bool:
    """Whether a tenant already has `slug`."""
    return db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug)) is not None


def sign_up(data: SignUp) -> tuple[Tenant, StaffMember]:
    """Create the tenant, enter its scope, create the owner and apply the industry template.

    Leaves the tenant in scope for the rest of the request. Raises Refused for a bad or taken
    slug, an unknown industry, language or time zone, or a weak password; nothing is kept then,
    because the request rolls back.
    """
    problem = slug_problem(data.slug)
    if problem:
        raise Refused(problem, field="slug")
    if data.industry not in INDUSTRIES:
        raise Refused(_l("Choose an industry from the list."), field="industry")
    if data.locale not in LOCALES:
        raise Refused(_l("Choose a language from the list."), field="locale")
    if data.timezone not in zoneinfo.available_timezones():
        raise Refused(_l("Choose a time zone from the list."), field="timezone")
    tenant = Tenant(
        slug=data.slug,
        name=data.name,
        industry=data.industry,
        default_locale=data.locale,
        timezone=data.timezone,
        country=(country := country_of(data.timezone, data.locale)),
        currency="KZT" if country == "KZ" else "IRR",
    )
    db.session.add(tenant)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError as exc:
        # Another sign-up took the slug between our check and our insert.
        raise Refused(_l("This address is already taken. Choose another one."), field="slug") from exc
    enter_tenant(tenant.id)
    owner = create_staff(data.owner_email, data.owner_name, data.password, Role.OWNER)
    owner.locale = data.locale
    apply_template(data.industry)
    set_up_calendar(country, data.locale)
    # Without its official holidays a new organization would count Nowruz or Nauryz as working days.
    this_year = current_year(tenant, utcnow().astimezone(zoneinfo.ZoneInfo(data.timezone)).date())
    add_official_holidays(country, (this_year, this_year + 1), data.locale)
    add_escalation_defaults(data.locale)
    return tenant, owner
