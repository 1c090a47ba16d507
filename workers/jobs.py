"""The job wrapper: a job takes (tenant_id, *ids), enters the tenant scope and an app context, commits once.

Enqueue with enqueue(): after the current transaction commits it goes to RQ when REDIS_URL is set, and
runs in-process otherwise — the same code path either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, has_app_context

from tenants.context import tenant_scope
from tenants.db import after_commit, db
from workers.queues import DEFAULT, FAILURE_TTL, JOB_TIMEOUT, RESULT_TTL, queue

log = logging.getLogger(__name__)
_app: Flask | None = None


def use_app(app: Flask | None) -> None:
    """The app jobs of this process run in (the worker builds it once; tests hand theirs in)."""
    global _app  # noqa: PLW0603
    _app = app


def _job_app() -> Flask:
    global _app  # noqa: PLW0603
    if _app is not None:
        return _app
    if has_app_context():  # in-process, right after the request's commit
        return current_app._get_current_object()
    from web import create_app  # a worker process builds the app once

    _app = create_app()
    return _app


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
