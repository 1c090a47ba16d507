"""Queues, declared once and named by purpose."""

from __future__ import annotations

from flask import current_app
from redis import Redis
from rq import Queue

NOTIFY = "notify"  # notices someone is waiting for: to customers, and the invitations and resets of staff accounts
INTAKE = "intake"  # e-mail and messenger intake
# Notices nobody waits for at the moment: about complaints to staff, to the organization's systems and outside
# parties, and the reminders and warnings periodic jobs write to customers (Notice.awaited).
NOTIFY_STAFF = "notify-staff"
DEFAULT = "default"  # everything else: sweeps, relays, housekeeping
# A worker takes a job from the first of its queues that has one: a customer's acknowledgement never waits
# behind the staff notices of a burst of filings, nor a complaint taken in by e-mail behind them.
QUEUES = (NOTIFY, INTAKE, NOTIFY_STAFF, DEFAULT)
NOTICE_QUEUES = (NOTIFY, NOTIFY_STAFF)

JOB_TIMEOUT = 300
RESULT_TTL = 3600
FAILURE_TTL = 7 * 24 * 3600


def connection(timeout: float | None = -1.0) -> Redis:
    """The Redis connection of REDIS_URL; by default with the web's short REDIS_TIMEOUT (None: no limit, for
    a worker blocked waiting for jobs)."""
    seconds = current_app.config["REDIS_TIMEOUT"] if timeout == -1.0 else timeout
    return Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=seconds, socket_connect_timeout=seconds)


def queue(name: str) -> Queue:
    """One of QUEUES."""
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=connection(), default_timeout=JOB_TIMEOUT)
