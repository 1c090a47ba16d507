"""gunicorn settings for the web process: `gunicorn -c deploy/gunicorn.conf.py 'web:create_app()'`.

Every value can be overridden from the environment (GUNICORN_*), so the same file serves compose, systemd and
a laptop.
"""

from __future__ import annotations

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: each request holds one database connection for its length; two per core is the usual start.
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1))))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 2
# A worker is replaced after this many requests (with jitter, so they do not all restart at once).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# Built once in the master and shared by the forked workers (copy-on-write).
preload_app = True
# Behind nginx on the same host: trust its X-Forwarded-* (the app's TRUSTED_PROXY_COUNT reads them).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# nginx logs every request; set GUNICORN_ACCESS_LOG=- to have gunicorn log them too.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def when_ready(server) -> None:
    # What the master built stays put: keep it out of the collector's way in every worker.
    gc.freeze()


def post_fork(server, worker) -> None:
    # A preloaded app must not share the master's pooled database connections with its workers.
    app = server.app.wsgi()
    database = getattr(app, "extensions", {}).get("sqlalchemy")
    if database is not None:
        with app.app_context():
            for engine in database.engines.values():
                engine.dispose(close=False)
