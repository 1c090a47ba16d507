"""Notice jobs: deliver one notice (queue "notify"), and the relay that offers again whatever is still due.

New notices are dispatched when the transaction that wrote them commits: onto the notify queue when
REDIS_URL is set, else delivered in this process. If Redis cannot be reached the notice simply waits; the
relay (every NOTICE_RELAY_SECONDS, from the scheduler) finds it by its due time and offers it again.
"""

from __future__ import annotations

import logging

from flask import current_app
from redis.exceptions import RedisError

from services.notifications import delivery
from workers.jobs import platform_job, tenant_job
from workers.queues import FAILURE_TTL, JOB_TIMEOUT, NOTIFY, queue

log = logging.getLogger(__name__)


@tenant_job
def deliver_notice(notice_id: int) -> str:
    """One attempt at one notice (in its tenant's scope)."""
    return delivery.deliver(notice_id)


def dispatch(tenant_id: int, notice_id: int) -> None:
    """Send the notice now: through the notify queue, or in this process without Redis."""
    if not current_app.config.get("REDIS_URL"):
        deliver_notice(tenant_id, notice_id)
        return
    try:
        queue(NOTIFY).enqueue(
            deliver_notice,
            tenant_id,
            notice_id,
            job_id=f"notice-{tenant_id}-{notice_id}",
            job_timeout=JOB_TIMEOUT,
            result_ttl=0,
            failure_ttl=FAILURE_TTL,
        )
    except RedisError as exc:
        # Saved, not lost: the relay offers it again once Redis answers.
        log.warning("notice %s not queued (%s); the relay will offer it again", notice_id, exc)


@platform_job
def relay() -> int:
    """Offer every due notice again (new ones a lost enqueue missed, retries whose time came, lapsed leases)."""
    due = delivery.due_notices()
    for tenant_id, notice_id in due:
        dispatch(tenant_id, notice_id)
    return len(due)
