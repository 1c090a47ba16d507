"""Tenant settings: /<slug>/console/settings/… — the staff here; the catalog and the calendar beside it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

import web.settings.calendar
import web.settings.catalog
import web.settings.connections
import web.settings.decisions
import web.settings.deliveries
import web.settings.escalation
import web.settings.form_builder
import web.settings.notices
import web.settings.personal_data
import web.settings.portal
import web.settings.records
import web.settings.reporting
import web.settings.security  # noqa: F401 - the other settings pages' routes, on bp
from services.catalog.models import Unit
from services.catalog.operations import set_member_unit
from services.catalog.queries import category_tree, list_units
from services.i18n import localized
from services.notifications.outbox import notify_account
from services.security.factors import members_with_factors, reset_factors
from tenants.accounts import (
    change_role,
    count_active_staff,
    deactivate_staff,
    invite_staff,
    list_open_invitations,
    list_staff,
    reactivate_staff,
    revoke_invitation,
)
from tenants.db import db, utcnow
from tenants.errors import Refused
from tenants.roles import Permission, Role
from web.account.views import confirm_first
from web.common.views import external_url, redirect_after_change, render_block, role_choices, wants_fragment
from web.console.forms import optional_id
from web.i18n import locale_code
from web.settings.blueprint import bp
from web.settings.forms import InviteForm, MemberUnitForm, RoleForm
from web.tenancy import access


def _unit_choices() -> list[tuple[str, str]]:
    rows = db.session.scalars(sa.select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.position, Unit.id))
    return [(str(u.id), localized(u.names, locale_code())) for u in rows]


def _page(block: str | None = None, status: int = 200, **context):
    context.setdefault("invite_form", InviteForm(formdata=None))
    context.update(
        staff=list_staff(),
        invitations=list_open_invitations(),
        role_choices=role_choices(),
        units=_unit_choices(),
        with_factors=members_with_factors(),
    )
    if block and wants_fragment():
        return render_block("settings/staff.html", block, **context), status
    return render_template("settings/staff.html", **context), status


@bp.get("/")
@access(Permission.MANAGE_STAFF)
def overview():
    """How the organization is set up: its staff, units, categories and open invitations."""
    categories = category_tree()
    summary = {
        "staff": count_active_staff(),
        "units": list_units(),
        "categories": categories,
        "category_count": sum(1 + len(node.children) for node in categories),
        "invitations": len(list_open_invitations()),
    }
    return render_template("settings/overview.html", overview=summary)


@bp.get("/staff")
@access(Permission.MANAGE_STAFF)
def staff():
    """Everyone on the staff, open invitations, and the invitation form."""
    return _page("staff_table")


@bp.post("/staff/invite")
@access(Permission.MANAGE_STAFF)
def invite():
    """Invite someone by e-mail; the link goes out once the invitation is saved."""
    form = InviteForm()
    if form.validate_on_submit():
        try:
            issued = invite_staff(current_user, form.email.data, Role(form.role.data))
        except Refused as exc:
            form.refuse(exc)
        else:
            link = external_url("auth.accept", token=issued.token)
            context = {"invitation": issued.invitation, "inviter": current_user, "link": link}
            with force_locale(g.tenant.default_locale):
                notify_account(
                    "invitation",
                    issued.invitation.email,
                    g.tenant.default_locale,
                    _("Join %(org)s on Dadras", org=g.tenant.name),
                    render_template("mail/invitation.txt", **context),
                    key=f"{issued.invitation.id}:{issued.invitation.nonce}",
                    secret=issued.token,
                )
            if wants_fragment():
                response = render_block(
                    "settings/staff.html",
                    "invite_form",
                    invite_form=InviteForm(formdata=None),
                    invited=issued.invitation.email,
                )
                return response, 200, {"HX-Trigger": "staff-changed"}
            return redirect_after_change(url_for("settings.staff"))
    return _page("invite_form", form.status, invite_form=form)


def _table_change(operation, member_id: int, *args):
    try:
        operation(current_user, member_id, *args)
    except Refused as exc:
        if exc.status == 404:
            raise  # no such thing: the app's 404 page
        return _page("staff_table", exc.status, table_error=exc.message)
    if wants_fragment():
        return _page("staff_table")
    return redirect_after_change(url_for("settings.staff"))


@bp.post("/staff/<int:member_id>/role")
@access(Permission.MANAGE_STAFF)
def change_role_view(member_id: int):
    """Give a staff member another role."""
    form = RoleForm()
    if not form.validate_on_submit():
        return _page("staff_table", 422, table_error=_("Choose a role from the list."))
    return _table_change(change_role, member_id, Role(form.role.data))


@bp.post("/staff/<int:member_id>/unit")
@access(Permission.MANAGE_STAFF)
def member_unit(member_id: int):
    """The unit a staff member works in; a unit member sees that unit's complaints."""
    form = MemberUnitForm(units=_unit_choices())
    if not form.validate_on_submit():
        return _page("staff_table", 422, table_error=_("Choose a unit from the list."))
    try:
        set_member_unit(current_user, member_id, optional_id(form.unit_id.data))
    except Refused as exc:
        if exc.status == 404:
            raise  # no such thing: the app's 404 page
        return _page("staff_table", exc.status, table_error=str(exc.message))
    if wants_fragment():
        return _page("staff_table")
    return redirect_after_change(url_for("settings.staff"))


@bp.post("/staff/<int:member_id>/deactivate")
@access(Permission.MANAGE_STAFF)
def deactivate(member_id: int):
    """Stop a staff member from logging in."""
    return _table_change(deactivate_staff, member_id)


@bp.post("/staff/<int:member_id>/reactivate")
@access(Permission.MANAGE_STAFF)
def reactivate(member_id: int):
    """Let a deactivated staff member log in again."""
    return _table_change(reactivate_staff, member_id)


@bp.post("/staff/<int:member_id>/reset-factors")
@access(Permission.MANAGE_STAFF)
def reset_member_factors(member_id: int):
    """Take away the second factors of someone who lost them (the administrator's own password asked again first,
    as for any change of how people sign in); they are told by e-mail."""
    if (asked := confirm_first()) is not None:
        return asked
    try:
        member = reset_factors(current_user, member_id)
    except Refused as exc:
        if exc.status == 404:
            raise
        return _page("staff_table", exc.status, table_error=str(exc.message))
    locale = member.locale or g.tenant.default_locale
    with force_locale(locale):
        notify_account(
            "factors_reset",
            member.email,
            locale,
            _("Your sign-in methods at %(org)s were reset", org=g.tenant.name),
            render_template("mail/factors_reset.txt", member=member, actor=current_user),
            key=f"{member.id}:{utcnow().isoformat()}",
        )
    if wants_fragment():
        return _page("staff_table")
    return redirect_after_change(url_for("settings.staff"))


@bp.post("/invitations/<int:invitation_id>/revoke")
@access(Permission.MANAGE_STAFF)
def revoke_invitation_view(invitation_id: int):
    """Withdraw an open invitation."""
    return _table_change(revoke_invitation, invitation_id)
