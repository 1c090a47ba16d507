"""The periodic jobs, declared once: enqueued by `dadras scheduler` (one leading at a time, each job on its own
schedule kept in Redis, through Redis outages), or, without Redis (development), run by a thread of the web
process calling the same functions."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError, WatchError
from rq import Queue

from workers import escalation, followups, intake, notices, records
from workers.queues import DEFAULT, JOB_TIMEOUT, connection

log = logging.getLogger(__name__)


def jobs(app: Flask) -> list[tuple[Callable[..., Any], str, int]]:
    """(job, queue, every so many seconds)."""
    return [
        (notices.relay, DEFAULT, int(app.config["NOTICE_RELAY_SECONDS"])),
        (escalation.sweep, DEFAULT, int(app.config["SWEEP_SECONDS"])),
        (followups.follow_ups, DEFAULT, int(app.config["FOLLOW_UP_SECONDS"])),
        (intake.mailboxes, DEFAULT, int(app.config["MAIL_POLL_SECONDS"])),
        (records.retention, DEFAULT, int(app.config["RETENTION_SECONDS"])),
        (records.reports_by_mail, DEFAULT, int(app.config["REPORT_MAIL_SECONDS"])),
    ]


# One scheduler at a time: the one holding this key (its token, with an expiry it keeps renewing) enqueues; any
# other waits and takes the key over once it expires, so a holder killed outright is replaced within
# SCHEDULER_LOCK_SECONDS and a third of that.
LEADER_KEY = "dadras:scheduler:leader"
# When each periodic job was last enqueued (Redis's clock, seconds), so a restart or a new leader keeps the
# schedule instead of running every job again at once.
LAST_RUN_KEY = "dadras:scheduler:last-run"

# Take the key when free, or keep it (renewed) when it is this token's; 0 when another scheduler holds it.
_TAKE_OR_KEEP = """
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then
    redis.call('pexpire', KEYS[1], ARGV[2])
    return 1
elseif not holder then
    redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return 1
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class Scheduler:
    """Enqueues each periodic job at its interval while it holds the leader key; rides out Redis outages."""

    def __init__(self, app: Flask, redis: Redis) -> None:
        self.app = app
        self.redis = redis
        self.jobs = jobs(app)
        self.lock_ms = int(float(app.config["SCHEDULER_LOCK_SECONDS"]) * 1000)
        self.retry_max = float(app.config["REDIS_RETRY_MAX_SECONDS"])
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leading = False
        self.stopping = threading.Event()

    def lead(self) -> bool:
        """Take or renew the leader key; whether this scheduler leads now."""
        held = bool(self.redis.eval(_TAKE_OR_KEEP, 1, LEADER_KEY, self.token, self.lock_ms))
        if held != self.leading:
            log.info("scheduler %s %s", self.token, "leads" if held else "waits: another scheduler leads")
        self.leading = held
        return held

    def enqueue_due(self) -> float:
        """Enqueue every job whose interval has passed since its last run; seconds until the next one is due."""
        seconds, micros = self.redis.time()
        now = seconds + micros / 1e6
        wait = float("inf")
        for job, queue_name, every in self.jobs:
            name = f"{job.__module__}.{job.__name__}"
            with self.redis.pipeline() as pipe:
                try:
                    # Enqueue only while still the leader and while nobody else recorded a run: any change to
                    # either key between this read and the write cancels the write.
                    pipe.watch(LEADER_KEY, LAST_RUN_KEY)
                    if pipe.get(LEADER_KEY) != self.token.encode():
                        self.leading = False
                        return 0.0
                    last = pipe.hget(LAST_RUN_KEY, name)
                    due = float(last) + every if last is not None else now
                    if due > now:
                        wait = min(wait, due - now)
                        continue
                    pipe.multi()
                    Queue(queue_name, connection=self.redis).enqueue(
                        job, job_timeout=JOB_TIMEOUT, result_ttl=0, pipeline=pipe
                    )
                    pipe.hset(LAST_RUN_KEY, name, repr(now))
                    pipe.execute()
                    log.info("enqueued %s on %s", name, queue_name)
                    wait = min(wait, every)
                except WatchError:
                    return 0.0  # the leader key moved: look again
        return wait

    def step(self) -> float:
        """One round: lead (or wait to) and enqueue what is due; seconds until the next round."""
        renew = self.lock_ms / 3000
        if not self.lead():
            return renew
        return max(0.05, min(self.enqueue_due(), renew))

    def run(self) -> None:
        """Rounds until SIGINT or SIGTERM; a Redis error is logged once and Redis asked again with backoff."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.stopping.set())
        log.info("scheduler %s started", self.token)
        backoff = 0.0
        while not self.stopping.is_set():
            try:
                wait = self.step()
                if backoff:
                    log.warning("scheduler %s: Redis answers again", self.token)
                backoff = 0.0
            except RedisError as exc:
                if not backoff:
                    log.warning("scheduler %s: Redis failed (%s); trying again", self.token, exc)
                self.leading = False
                backoff = min(max(backoff * 2, 0.5), self.retry_max)
                wait = backoff
            self.stopping.wait(wait)
        with contextlib.suppress(RedisError):
            self.redis.eval(_RELEASE, 1, LEADER_KEY, self.token)  # the next scheduler need not wait out the key
        log.info("scheduler %s stopped", self.token)


def run_scheduler(app: Flask) -> None:
    """Enqueue each periodic job on its queue at its interval, until stopped (SIGINT or SIGTERM)."""
    with app.app_context():
        # A frozen Redis fails a call within a third of the key's life, so the scheduler cannot sit on a key
        # it no longer holds.
        scheduler = Scheduler(app, connection(timeout=max(1.0, float(app.config["SCHEDULER_LOCK_SECONDS"]) / 3)))
    scheduler.run()


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
