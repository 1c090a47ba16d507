"""Notice jobs: deliver one notice (queue "notify"), and the relay that offers again whatever is still due.

New notices are dispatched when the transaction that wrote them commits: onto the notify queue when
REDIS_URL is set, else delivered in this process. If Redis cannot be reached the notice simply waits; the
relay (every NOTICE_RELAY_SECONDS, from the scheduler) finds it by its due time and offers it again.
"""

from __future__ import annotations

import logging

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue

from services.notifications import delivery
from tenants.context import tenant_scope
from workers.jobs import platform_job, tenant_job
from workers.queues import FAILURE_TTL, JOB_TIMEOUT, NOTIFY, NOTIFY_STAFF, queue

log = logging.getLogger(__name__)


@tenant_job
def deliver_notices(*notice_ids: int) -> dict[str, int]:
    """One attempt at each of a few notices of one tenant, over kept connections."""
    return delivery.deliver_batch(list(notice_ids))


def dispatch(tenant_id: int, notice_ids: list[int], *, awaited: bool = True) -> None:
    """Send the notices now: in batches through the notify queue (someone waits for them) or the notify-staff
    queue (notices about complaints to staff and systems, which a worker takes after the first), or in this
    process without Redis."""
    if not current_app.config.get("REDIS_URL"):
        deliver_notices(tenant_id, *notice_ids)
        return
    size = current_app.config["NOTICE_BATCH"]
    batches = [notice_ids[i : i + size] for i in range(0, len(notice_ids), size)]
    try:
        queue(NOTIFY if awaited else NOTIFY_STAFF).enqueue_many(
            [
                Queue.prepare_data(
                    deliver_notices,
                    args=(tenant_id, *batch),
                    job_id=f"notices-{tenant_id}-{batch[0]}-{len(batch)}",
                    timeout=JOB_TIMEOUT,
                    result_ttl=0,
                    failure_ttl=FAILURE_TTL,
                )
                for batch in batches
            ]
        )
    except RedisError as exc:
        # Saved, not lost: the relay offers them again once Redis answers.
        log.warning("%d notice(s) not queued (%s); the relay will offer them again", len(notice_ids), exc)


@platform_job
def relay() -> int:
    """Offer every due notice again (new ones a lost enqueue missed, retries whose time came, lapsed leases)."""
    due = delivery.due_notices()
    by_tenant: dict[int, list[int]] = {}
    for tenant_id, notice_id in due:
        by_tenant.setdefault(tenant_id, []).append(notice_id)
    for tenant_id, ids in by_tenant.items():
        with tenant_scope(tenant_id):
            first = delivery.awaited_ids(ids)
        for awaited, offered in ((True, [i for i in ids if i in first]), (False, [i for i in ids if i not in first])):
            if offered:
                dispatch(tenant_id, offered, awaited=awaited)
    return len(due)
