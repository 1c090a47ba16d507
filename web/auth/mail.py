"""The password-reset e-mail, written by a job: the request that asks for it does the same work for any address."""

from __future__ import annotations

from flask import current_app, g, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from services.notifications.outbox import notify_account
from services.security.sso import passwords_refused
from tenants.accounts import request_password_reset
from tenants.db import db
from tenants.models import Tenant
from web.common.views import external_url
from workers.jobs import enqueue, tenant_job


def ask_for_password_reset(tenant_id: int, email: str) -> None:
    """Hand the address to the job once the request commits; nothing is looked up or written here."""
    enqueue(send_password_reset, tenant_id, email)


@tenant_job
def send_password_reset(email: str) -> None:
    """The reset link to the active staff member with this e-mail, in their language; nothing for anyone else."""
    issued = request_password_reset(email)
    if issued is None or passwords_refused(issued[0]):
        return  # where the organization signs in only through its provider, a password is no way in
    member, token = issued
    tenant = db.session.get(Tenant, member.tenant_id)
    locale = member.locale or tenant.default_locale
    # Links are built on BASE_URL and the tenant's slug, as in a request of that tenant.
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]), force_locale(locale):
        g.tenant = tenant
        notify_account(
            "password_reset",
            member.email,
            locale,
            _("Reset your password for %(org)s", org=tenant.name),
            render_template(
                "mail/reset.txt", member=member, link=external_url("auth.reset", token=token), tenant=tenant
            ),
            key=f"{member.id}:{token[-24:]}",
            secret=token,
        )
