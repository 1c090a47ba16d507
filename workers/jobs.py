"""The job wrapper: a job takes (tenant_id, *ids), enters the tenant scope and an app context, commits once.

Enqueue with enqueue(): after the current transaction commits it goes to RQ when REDIS_URL is set, and
runs in-process otherwise — the same code path either way.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from flask import Flask, current_app, has_app_context

from tenants.context import tenant_scope
from tenants.db import after_commit, db
from workers.queues import DEFAULT, FAILURE_TTL, JOB_TIMEOUT, RESULT_TTL, queue

log = logging.getLogger(__name__)
_app: Flask | None = None


def use_app(app: Flask | None) -> None:
    """The app jobs of this process run in, handed in by the command that starts the worker (`dadras worker`
    builds it once; its forked work horses inherit it) or by a test."""
    global _app  # noqa: PLW0603
    _app = app


def _job_app() -> Flask:
    """The app handed to use_app(), else the current one (a job run in-process, right after the request's commit).

    Nothing here builds an app: a worker started without one (RQ's own `rq worker`, say) fails its jobs loudly.
    """
    if _app is not None:
        return _app
    if has_app_context():
        return current_app._get_current_object()
    raise RuntimeError("no app for this job: start workers with `dadras worker`, which hands it to use_app()")


def tenant_job(func: Callable[..., Any]) -> Callable[..., Any]:
    """Make `func(*ids)` a job `(tenant_id, *ids)`: tenant scope, app context, one commit or a rollback."""

    @wraps(func)
    def run(tenant_id: int, *ids: Any) -> Any:
        app = _job_app()
        with app.app_context(), tenant_scope(tenant_id):
            try:
                result = func(*ids)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("job %s failed", func.__name__, extra={"tenant_id": tenant_id})
                raise
            finally:
                db.session.remove()
        return result

    return run


def platform_job(func: Callable[..., Any]) -> Callable[..., Any]:
    """Make `func()` a periodic job over every tenant: an app context, one commit or a rollback."""

    @wraps(func)
    def run(*args: Any) -> Any:
        app = _job_app()
        with app.app_context():
            try:
                result = func(*args)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("job %s failed", func.__name__)
                raise
            finally:
                db.session.remove()
        return result

    return run


def enqueue(
    job: Callable[..., Any], tenant_id: int, *ids: Any, queue_name: str = DEFAULT, job_id: str | None = None
) -> None:
    """Run `job(tenant_id, *ids)` once the current transaction commits: on RQ, or in-process."""
    app = current_app._get_current_object()

    def release() -> None:
        if app.config.get("REDIS_URL"):
            with app.app_context():
                queue(queue_name).enqueue(
                    job,
                    tenant_id,
                    *ids,
                    job_id=f"t{tenant_id}-{job_id}" if job_id else None,
                    job_timeout=JOB_TIMEOUT,
                    result_ttl=RESULT_TTL,
                    failure_ttl=FAILURE_TTL,
                )
        else:
            job(tenant_id, *ids)

    after_commit(release)


def worker_class(simple: bool) -> type:
    """RQ's SimpleWorker (every job in the worker's process) or a Worker that forks a work horse per job except for
    notices: a notice job is short, runs only our code on rows it has claimed, and is the one job that comes by the
    thousand (each filing's acknowledgement and its notices to staff); run in the worker's process it keeps the
    database pool and the mail servers' connections from one job to the next instead of paying a fork, a
    database connection and an SMTP handshake for every few notices. Files and messages taken in (queue intake)
    are parsed in a work horse, so that what a hostile file does to a parser ends with the horse."""
    from rq import SimpleWorker, Worker
    from rq.worker import WorkerStatus

    from workers.queues import NOTICE_QUEUES

    class PromptExit:
        """RQ hears its commands on a pub/sub thread that waits a minute for each read, and redis-py's stop()
        joins that thread: a burst worker could take a minute to exit after its last job. A second's read keeps
        the exit prompt; commands still arrive."""

        def subscribe(self) -> None:
            self.pubsub = self.connection.pubsub()
            self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
            self.pubsub_thread = self.pubsub.run_in_thread(
                sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler
            )

    class PromptSimpleWorker(PromptExit, SimpleWorker):
        pass

    if simple:
        return PromptSimpleWorker

    class NoticesInProcessWorker(PromptExit, Worker):
        def execute_job(self, job, queue) -> None:
            if queue.name not in NOTICE_QUEUES:
                super().execute_job(job, queue)
                return
            self.prepare_execution(job)
            self.perform_job(job, queue)
            self.set_state(WorkerStatus.IDLE)

        def get_heartbeat_ttl(self, job) -> int:
            # An in-process job sends no heartbeat while it runs: the worker's key must outlive the job's timeout.
            if job.origin in NOTICE_QUEUES:
                return SimpleWorker.get_heartbeat_ttl(self, job)
            return super().get_heartbeat_ttl(job)

    return NoticesInProcessWorker


_fork_hook_installed = False


def _fresh_connections_after_fork(app: Flask) -> None:
    """A work horse forked after the worker ran a job in-process must not use the worker's pooled database
    connections (two processes on one socket): it drops them from its pool, unclosed, and opens its own."""
    global _fork_hook_installed  # noqa: PLW0603
    if _fork_hook_installed:
        return
    with app.app_context():
        engines = list(db.engines.values())

    def in_child() -> None:
        for engine in engines:
            engine.dispose(close=False)

    os.register_at_fork(after_in_child=in_child)
    _fork_hook_installed = True


def run_worker(app: Flask, queue_names: Sequence[str], burst: bool = False, simple: bool = False) -> None:
    """Work the queues until SIGINT or SIGTERM (or, in a burst, until they are empty). RQ's worker quits on a
    Redis error it does not expect (at its start, mid-job, between jobs); this one waits for Redis, asking
    again after 0.5 s and then twice as long each time up to REDIS_RETRY_MAX_SECONDS, and works on. The mail
    servers' connections are kept from one batch of notices to the next (services.mail.kept_connections)."""
    from services.mail import kept_connections

    use_app(app)
    _fresh_connections_after_fork(app)
    with kept_connections():
        _work(app, queue_names, burst, worker_class(simple))


def _work(app: Flask, queue_names: Sequence[str], burst: bool, kind: type) -> None:
    from redis.exceptions import RedisError

    from workers.queues import connection, queue

    retry_max = float(app.config["REDIS_RETRY_MAX_SECONDS"])
    stopping = threading.Event()
    backoff = 0.0
    while True:
        with app.app_context():
            redis = connection(timeout=None)  # blocking reads wait for jobs as long as they must
            queues = [queue(name) for name in queue_names]
        worker = None
        failed: BaseException | None = None
        try:
            worker = kind(queues, connection=redis)
            worker.max_connection_wait_time = retry_max  # RQ's own wait between tries while dequeuing
            worker.work(burst=burst)
        except RedisError as exc:  # at the start, or in its teardown after it quit on one
            failed = exc
        if worker is not None:
            if worker._shutdown_requested_date is not None or stopping.is_set() or (burst and failed is None):
                return
            if worker.horse_pid:
                worker.wait_for_horse()  # the job it was running ends on its own (or at its timeout)
        # RQ quits its loop (logging why) on any error; a worker not asked to stop stopped for Redis.
        log.warning("worker lost Redis (%s); waiting for it", failed or "see the error above")
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.set())
        while not stopping.is_set():
            backoff = min(max(backoff * 2, 0.5), retry_max)
            if stopping.wait(backoff):
                return
            try:
                redis.ping()
                break
            except RedisError:
                continue
        if stopping.is_set():
            return
        log.warning("worker: Redis answers again")
        backoff = 0.0
