"""Operators' probes: /healthz (the process answers) and /readyz (its backends answer, within a second)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tenants.db import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

# /readyz answers within this many seconds whatever its backends do: a check still waiting then counts as failed.
READY_WITHIN = 0.8
# One check of each backend at a time per process: a probe arriving while the last one still waits on a stalled
# backend is answered "failed" at once instead of stacking up threads and connections.
_running: dict[str, threading.Thread] = {}
_running_lock = threading.Lock()


@bp.get("/healthz")
def healthz():
    """The process is up."""
    return jsonify(status="ok")


def _check_database(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))


def _check_redis(url: str) -> None:
    client = Redis.from_url(
        url, socket_connect_timeout=READY_WITHIN, socket_timeout=READY_WITHIN, retry=Retry(NoBackoff(), 0)
    )
    try:
        client.ping()
    finally:
        client.close()


def _start(name: str, check: Callable[[], None], outcome: dict[str, str]) -> threading.Thread | None:
    """Run `check` on a thread of its own, writing "ok" or "failed" into `outcome`; None if one still runs."""

    def run() -> None:
        try:
            check()
            outcome[name] = "ok"
        except Exception as exc:  # any failure means not ready; the reason goes to the log
            log.warning("readiness: %s failed: %s", name, exc)
            outcome[name] = "failed"
        finally:
            with _running_lock:
                _running.pop(name, None)

    with _running_lock:
        if name in _running:
            return None
        thread = _running[name] = threading.Thread(target=run, name=f"readyz-{name}", daemon=True)
    thread.start()
    return thread


@bp.get("/readyz")
def readyz():
    """The database answers, and Redis when configured; 503 naming what failed (or did not answer in time)."""
    checks: dict[str, Callable[[], None]] = {"database": lambda engine=db.engine: _check_database(engine)}
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        checks["redis"] = lambda: _check_redis(redis_url)
    outcome: dict[str, str] = {}
    threads = {name: _start(name, check, outcome) for name, check in checks.items()}
    deadline = time.monotonic() + READY_WITHIN
    for thread in threads.values():
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
    results = {name: outcome.get(name, "failed") for name in checks}
    ready = all(v == "ok" for v in results.values())
    return jsonify(status="ok" if ready else "unavailable", checks=results), 200 if ready else 503
