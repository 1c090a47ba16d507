"""Intake jobs: each organization's mailbox read on the intake queue, offered every MAIL_POLL_SECONDS."""

from __future__ import annotations

from services.connections.queries import tenants_with
from services.intake.inbound_mail import poll
from tenants.context import current_tenant_id
from tenants.db import db
from tenants.models import Tenant
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
    tenant_ids = tenants_with("imap")
    for tenant_id in tenant_ids:
        enqueue(read_mailbox, tenant_id, queue_name=INTAKE, job_id="mailbox")
    return len(tenant_ids)
