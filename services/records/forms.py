"""The seed's two forms for one complaint: the registration form (F-06-02-01) and the follow-up form (F-06-02-02),
with the organization's own codes; printing either is written to the complaint's follow-up log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.complaints.log import record
from services.complaints.models import Complaint, ComplaintEvent
from services.complaints.queries import ComplaintFile
from services.complaints.timeline import Entry
from services.records.models import FOLLOW_UP_CODE, REGISTRATION_CODE, RETENTION_MONTHS, RecordSettings
from tenants.db import db
from tenants.errors import Refused
from tenants.models import LOCALES, StaffMember
from tenants.roles import Permission, require
from tenants.text import normalize_input, number

FORMS = ("registration", "follow_up")
FORMATS = ("html", "pdf")
MOST_MONTHS = 600
_LIMITS = {"registration_code": 40, "follow_up_code": 40, "revision": 20, "approver_title": 120}


def record_settings() -> RecordSettings:
    """The organization's record settings, or the defaults (the seed's form codes, 36 months) when it has none."""
    return db.session.scalar(sa.select(RecordSettings)) or RecordSettings(
        registration_code=REGISTRATION_CODE,
        follow_up_code=FOLLOW_UP_CODE,
        revision="0",
        retention_months=RETENTION_MONTHS,
    )


def save_record_settings(actor: StaffMember, typed: dict[str, str], revision_date: date | None) -> RecordSettings:
    """Keep the forms' header and the retention time. Refused, changing nothing, when a code is empty, a field
    too long, or the months not a whole number from 1 to 600."""
    require(actor, Permission.MANAGE_SETTINGS)
    values: dict[str, str | None] = {}
    for name, limit in _LIMITS.items():
        text = (normalize_input(typed.get(name) or "") or "").strip()
        if len(text) > limit:
            raise Refused(_l("This is too long: at most %(n)s characters.", n=limit), field=name)
        if not text and name != "approver_title":
            raise Refused(_l("Fill this in: the form's header shows it."), field=name)
        values[name] = text or None
    months = (normalize_input(typed.get("retention_months") or "") or "").strip()
    if not months.isdigit() or not 1 <= int(months) <= MOST_MONTHS:
        raise Refused(
            _l("Type a whole number of months from 1 to %(most)s.", most=number(MOST_MONTHS)), field="retention_months"
        )
    settings = db.session.scalar(sa.select(RecordSettings)) or RecordSettings()
    for name, value in values.items():
        setattr(settings, name, value)
    settings.revision_date = revision_date
    settings.retention_months = int(months)
    db.session.add(settings)
    db.session.flush()
    return settings


def check_choice(form: str, fmt: str, locale: str) -> None:
    """Refused when the form, the format or the language asked for is not one there is."""
    if form not in FORMS:
        raise Refused(_l("There is no such form."), field="form")
    if fmt not in FORMATS:
        raise Refused(_l("Choose PDF or the printable page."), field="format")
    if locale not in LOCALES:
        raise Refused(_l("There is no such language."), field="lang")


def record_printed(actor: StaffMember, complaint: Complaint, form: str, fmt: str, locale: str) -> ComplaintEvent:
    """Who printed which form of the complaint, when, in which language and format: kept in its log."""
    return record(complaint, "form_printed", actor, data={"form": form, "format": fmt, "locale": locale})


@dataclass
class Cycle:
    """One round of the handling: the first from registration, each later one from a reopening."""

    number: int
    entries: list[Entry] = field(default_factory=list)


def cycles(data: ComplaintFile) -> list[Cycle]:
    """The follow-up log's entries (in order) split into the cycles a reopening starts."""
    found = [Cycle(1)]
    for event, entry in zip(data.events, data.timeline, strict=True):
        if event.kind == "transition" and (event.data or {}).get("action") == "reopen":
            found.append(Cycle(len(found) + 1))
        found[-1].entries.append(entry)
    return found
