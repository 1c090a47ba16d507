"""What a new organization has still to do before its complaints handling runs: shown on the console's home
until it is done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from services.calendar.models import Holiday
from services.calendar.operations import current_year, year_span
from services.forms.schema import published
from tenants.accounts import count_active_staff, list_open_invitations
from tenants.db import db
from tenants.models import Tenant

FIRST_STEPS = ("invite_staff", "publish_form", "import_holidays")


@dataclass(frozen=True)
class FirstStep:
    key: str  # one of FIRST_STEPS
    done: bool


def first_steps(tenant: Tenant, today: date) -> list[FirstStep]:
    """Each first step and whether it is done: someone else on the staff (or invited), the complaint form
    published, and holidays listed for this year of the organization's calendar."""
    span = year_span(current_year(tenant, today))
    holidays = False
    if span is not None:
        holidays = (
            db.session.scalar(sa.select(sa.func.count()).select_from(Holiday).where(Holiday.day.between(*span))) > 0
        )
    done = {
        "invite_staff": count_active_staff() > 1 or bool(list_open_invitations()),
        "publish_form": published() is not None,
        "import_holidays": holidays,
    }
    return [FirstStep(key, done[key]) for key in FIRST_STEPS]
