"""Latency of the ground's hot paths through the whole Flask stack (tenant hook, login, isolation, templates).

Runs on a throwaway SQLite file with the test client: it measures our code, not a network. Prints the
median and the 95th percentile per page.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct))]


def main() -> None:
    from flask_migrate import upgrade

    from services.onboarding.operations import SignUp, sign_up
    from tenants.context import enter_tenant, leave_tenant
    from tenants.db import db
    from web import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "ENV": "testing",
                "SECRET_KEY": "bench-secret-key-bench-secret-key-0123",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.sqlite'}",
                "WTF_CSRF_ENABLED": False,
                "MAIL_BACKEND": "memory",
            }
        )
        with app.app_context():
            upgrade()
            token = enter_tenant(None)
            sign_up(
                SignUp(
                    "Bench", "bench", "clinic", "fa", "Asia/Tehran", "Owner", "o@bench.example.com", "bench-password-1"
                )
            )
            db.session.commit()
            leave_tenant(token)
        client = app.test_client()
        client.post("/bench/console/login", data={"email": "o@bench.example.com", "password": "bench-password-1"})
        print(f"console pages, {ROUNDS} requests each (SQLite, Flask test client)")
        print(f"{'page':32} {'median ms':>10} {'p95 ms':>10}")
        for label, path in (
            ("healthz", "/healthz"),
            ("login page (anonymous)", "/bench/console/login"),
            ("console overview (fa)", "/bench/console/"),
            ("staff settings (fa)", "/bench/console/settings/staff"),
            ("unknown tenant (404)", "/nobody/console/"),
        ):
            anonymous = "login" in path or "nobody" in path
            c = app.test_client() if anonymous else client
            timings = []
            for _ in range(ROUNDS):
                start = time.perf_counter()
                c.get(path)
                timings.append((time.perf_counter() - start) * 1000)
            print(f"{label:32} {statistics.median(timings):10.2f} {_percentile(timings, 0.95):10.2f}")
        with app.app_context():
            db.engine.dispose()
