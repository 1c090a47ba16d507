"""Intake jobs: each organization's mailbox read on the intake queue, offered every MAIL_POLL_SECONDS."""

from __future__ import annotations

from services.channels.accounts import account
from services.channels.inbound_mail import poll
from tenants.context import current_tenant_id, tenant_scope
from tenants.db import db
from tenants.models import Tenant, active_tenants
from workers.jobs import enqueue, platform_job, tenant_job
from workers.queues import INTAKE


@tenant_job
def read_mailbox() -> dict[str, int | str]:
    """What arrived in the organization's mailbox since the last read."""
    done = poll(db.session.get(Tenant, current_tenant_id()))
    return {"read": done.read, "registered": done.registered, "messages": done.messages, "error": done.error}


@platform_job
def mailboxes() -> int:
    """One read of each connected mailbox, on the intake queue (or in this process without Redis)."""
    offered = 0
    for tenant in active_tenants():
        with tenant_scope(tenant.id):
            connected = account("imap") is not None
        if connected:
            enqueue(read_mailbox, tenant.id, queue_name=INTAKE, job_id="mailbox")
            offered += 1
    return offered
