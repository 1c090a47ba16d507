"""Operators' probes: /healthz (the process answers) and /readyz (its backends answer)."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from tenants.db import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    """The process is up."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database answers, and Redis when configured; 503 naming what failed otherwise."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; the reason goes to the log
        log.warning("readiness: database failed: %s", exc)
        checks["database"] = "failed"
    finally:
        db.session.rollback()
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        from redis import Redis

        try:
            client = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
            client.ping()
            client.close()
            checks["redis"] = "ok"
        except Exception as exc:
            log.warning("readiness: redis failed: %s", exc)
            checks["redis"] = "failed"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503
