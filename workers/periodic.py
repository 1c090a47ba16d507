"""The periodic jobs, declared once: run by `dadras scheduler` through RQ's cron scheduler, or, without Redis
(development), by a thread of the web process calling the same functions."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask

from workers import escalation, followups, intake, notices
from workers.queues import DEFAULT, JOB_TIMEOUT, connection

log = logging.getLogger(__name__)


def jobs(app: Flask) -> list[tuple[Callable[..., Any], str, int]]:
    """(job, queue, every so many seconds)."""
    return [
        (notices.relay, DEFAULT, int(app.config["NOTICE_RELAY_SECONDS"])),
        (escalation.sweep, DEFAULT, int(app.config["SWEEP_SECONDS"])),
        (followups.follow_ups, DEFAULT, int(app.config["FOLLOW_UP_SECONDS"])),
        (intake.mailboxes, DEFAULT, int(app.config["MAIL_POLL_SECONDS"])),
    ]


def run_scheduler(app: Flask) -> None:
    """Enqueue each periodic job on its queue at its interval, until stopped (SIGINT or SIGTERM)."""
    from rq.cron import CronScheduler

    with app.app_context():
        scheduler = CronScheduler(connection=connection(timeout=None), name="dadras")
        for job, queue_name, every in jobs(app):
            scheduler.register(job, queue_name=queue_name, interval=every, job_timeout=JOB_TIMEOUT, result_ttl=0)
    scheduler.start()


def start_in_process(app: Flask) -> threading.Thread:
    """Development without Redis: a daemon thread runs the periodic jobs at their intervals."""
    from workers.jobs import use_app

    use_app(app)
    schedule = [(job, every, 0.0) for job, _queue, every in jobs(app)]

    def loop() -> None:
        nonlocal schedule
        while True:
            now = time.monotonic()
            following = []
            for job, every, due in schedule:
                next_due = due
                if now >= due:
                    try:
                        job()
                    except Exception:
                        log.exception("periodic job %s failed", job.__name__)
                    next_due = now + every
                following.append((job, every, next_due))
            schedule = following
            time.sleep(1)

    thread = threading.Thread(target=loop, name="dadras-periodic", daemon=True)
    thread.start()
    return thread
