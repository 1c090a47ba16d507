"""Background work on RQ: declared queues, the job wrapper, and in-process running without Redis."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Notices leave after their transaction commits; without Redis a development server runs the relay too."""
    from services.notifications.outbox import DISPATCH_KEY
    from workers import notices

    app.extensions[DISPATCH_KEY] = notices.dispatch
    if app.config["ENV"] == "development" and not app.config.get("REDIS_URL"):
        started = []

        @app.before_request
        def _start_periodic_jobs() -> None:
            if not started:
                from workers.periodic import start_in_process

                started.append(start_in_process(app))
