"""Forgot-password: how long the request takes for a staff address and for an unknown one, on SQLite.

BENCH_RESET_ROUNDS (400) requests of each kind, interleaved, through the test client; the job they queue is
held, not run (in production RQ runs it elsewhere), so the figures are what a visitor can time. Goal: the
medians differ by less than 0.2 ms (the difference found from outside was about 3 ms).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

GOAL_MS = 0.2


def main() -> None:
    from flask_migrate import upgrade

    from services.onboarding.operations import SignUp, sign_up
    from tenants.context import enter_tenant, leave_tenant
    from tenants.db import db
    from web import create_app
    from web.auth import mail

    rounds = int(os.environ.get("BENCH_RESET_ROUNDS", "400"))
    with tempfile.TemporaryDirectory() as tmp:
        settings = {
            "ENV": "testing",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-production-checks",
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.sqlite'}",
            "MAIL_BACKEND": "memory",
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMITS": {"reset_request": "1000000/hour"},
        }
        app = create_app(settings)
        with app.app_context():
            upgrade()
            token = enter_tenant(None)
            sign_up(
                SignUp("Bench", "bench", "clinic", "en", "UTC", "Owner", "owner@bench.example.com", "a-long-pass-9")
            )
            db.session.commit()
            leave_tenant(token)
        held: list[tuple] = []
        mail.enqueue = lambda job, *args: held.append(args)  # type: ignore[assignment] - RQ would take it
        client = app.test_client()
        times: dict[str, list[float]] = {"staff": [], "unknown": []}
        addresses = {"staff": "owner@bench.example.com", "unknown": "nobody@bench.example.com"}
        for n in range(rounds * 2 + 20):
            kind = "staff" if n % 2 else "unknown"
            start = time.perf_counter()
            client.post("/bench/console/password/forgot", data={"email": addresses[kind]})
            if n >= 20:  # the first requests fill the caches
                times[kind].append((time.perf_counter() - start) * 1000)
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    difference = abs(medians["staff"] - medians["unknown"])
    print(
        f"forgot-password: median {medians['staff']:.2f} ms for a staff address, {medians['unknown']:.2f} ms otherwise"
    )
    print(f"  difference {difference:.3f} ms (goal < {GOAL_MS} ms): {'met' if difference < GOAL_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
