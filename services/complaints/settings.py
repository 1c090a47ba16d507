"""The organization's rules for handling complaints beyond deadlines: who may approve a decision."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.complaints.lifecycle import RULES, Action
from tenants.db import db
from tenants.errors import Refused
from tenants.models import StaffMember, Tenant
from tenants.roles import Permission, require


def set_second_approval(actor: StaffMember, tenant: Tenant, required: bool) -> None:
    """Whether every decision is approved by someone other than whoever made it (off: a manager's own is approved
    at once). A decision already approved stays approved.

    Refused while fewer than two people may approve: a decision of the only one would wait for ever.
    """
    require(actor, Permission.MANAGE_SETTINGS)
    if required and not tenant.second_approval:
        roles = [r.value for r in RULES[Action.APPROVE].roles]
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(StaffMember)
            .where(StaffMember.is_active.is_(True), StaffMember.role.in_(roles))
        )
        if (count or 0) < 2:
            raise Refused(
                _l(
                    "Only one person on your staff may approve decisions. Give a second person the owner's, an "
                    "administrator's or a manager's role first."
                ),
                field="second_approval",
            )
    tenant.second_approval = bool(required)
