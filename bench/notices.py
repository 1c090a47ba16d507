"""The notice pipeline and the escalation sweep on PostgreSQL.

1. Delivery: BENCH_NOTICES (2000) pending notices of one organization, offered by the relay (in batches of
   NOTICE_BATCH per job) and drained by one and by two real `dadras worker` processes (as deployed,
   and --simple): e-mails into a local SMTP server, and text messages through the organization's HTTP
   gateway into a local HTTP server; in the same run the same workers drain as many trivial jobs, one job
   each: the ceiling RQ itself allows. Goal: two workers deliver at least 0.8 of the trivial jobs' rate
   (batches let them pass it).
2. The sweep: BENCH_TENANTS (1000) organizations and BENCH_COMPLAINTS (1,000,000) complaints, 1% of them due
   within the hour, every organization with its two starting rules; the time of the first sweep (which fires
   a warning on each of those complaints) and of the next one (nothing new to fire: the sweep as it runs every
   minute). Goal: under 2 seconds.

Redis database BENCH_REDIS_URL (redis://127.0.0.1:6379/13) is emptied at the start; it is the benchmark's own.
BENCH_SKIP_SWEEP=1 measures the delivery alone (with BENCH_COMPLAINTS small, a quick run).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
from aiosmtpd.controller import Controller
from redis import Redis
from rq import Queue

from bench.generate import generate, libpq_url
from bench.inbox import APP_ROLE, SECRET, _database, _env_int, _free_port, _migrate

ROOT = Path(__file__).resolve().parent.parent
RATIO_GOAL = 0.8
SWEEP_GOAL_S = 2.0


class _Counter:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.count += 1
        return "250 OK"


class _Gateway(BaseHTTPRequestHandler):
    """A text-message gateway that takes every message: counts the POSTs, answers with an id."""

    server: _GatewayServer

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.count += 1
            body = json.dumps({"id": f"m{self.server.count}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _GatewayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Gateway)
        self.count = 0
        self.lock = threading.Lock()


def _env(urls: dict[str, str], redis_url: str, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS", "SMTP", "MAIL"))}
    env.update(
        {
            "DADRAS_ENV": "testing",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": urls["app"],
            "DATABASE_APP_ROLE": APP_ROLE,
            "REDIS_URL": redis_url,
            "MAIL_BACKEND": "smtp",
            "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            # The organization's gateway here is a local server: allowed as an on-premises installation allows it.
            "CONNECTIONS_ALLOW_HOSTS": "127.0.0.1",
        }
    )
    return env


def _drain(env: dict[str, str], workers: int, simple: bool) -> float:
    """Seconds for `workers` burst workers to empty the notify queue."""
    command = [sys.executable, "-c", "from web.cli import cli; cli()", "worker", "notify", "--burst"]
    if simple:
        command.append("--simple")
    began = time.perf_counter()
    processes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL) for _ in range(workers)]
    for process in processes:
        process.wait()
    return time.perf_counter() - began


def _app(urls: dict[str, str], redis_url: str, smtp_port: int):
    from web import create_app

    return create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": urls["app"],
            "DATABASE_APP_ROLE": APP_ROLE,
            "REDIS_URL": redis_url,
            "MAIL_BACKEND": "smtp",
            "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        }
    )


def _use_gateway(app, tenant_id: int, url: str) -> None:
    """The organization sends its text messages through the HTTP gateway at `url`."""
    from services.connections.models import Connection
    from tenants.context import tenant_scope
    from tenants.db import db

    with app.app_context(), tenant_scope(tenant_id):
        db.session.add(Connection(kind="sms", provider="http", settings={"sender": "", "base_url": url}))
        db.session.commit()


def _pending_notices(app, tenant_id: int, count: int, channel: str = "email") -> list[int]:
    """`count` rendered notices on `channel`, written straight into the outbox (no dispatch)."""
    from services.notifications.models import Notice
    from tenants.context import tenant_scope
    from tenants.db import db

    with app.app_context(), tenant_scope(tenant_id):
        notices = [
            Notice(
                event="registered",
                audience="customer",
                channel=channel,
                recipient=f"customer{i}@example.com" if channel == "email" else f"+98912{i:07d}",
                locale="en",
                subject=f"Complaint {i} received",
                body=f"Dear customer,\n\nWe have your complaint {i}.",
                idempotency_key=f"bench:{time.monotonic_ns()}:{i}",
            )
            for i in range(count)
        ]
        db.session.add_all(notices)
        db.session.commit()
        return [n.id for n in notices]


def delivery(urls: dict[str, str], tenant_id: int, redis_url: str) -> list[dict[str, object]]:
    from workers.jobs import use_app
    from workers.notices import relay

    count = _env_int("BENCH_NOTICES", 2000)
    with psycopg.connect(libpq_url(urls["superuser"]), autocommit=True) as conn:
        conn.execute("DELETE FROM notices")  # the sweep's own notices are not this measure's
    counter = _Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=_free_port())
    controller.start()
    gateway = _GatewayServer()
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    app = _app(urls, redis_url, controller.port)
    _use_gateway(app, tenant_id, f"http://127.0.0.1:{gateway.server_address[1]}/send")
    env = _env(urls, redis_url, controller.port)
    results = []
    try:
        for simple in (True, False):
            for workers in (1, 2):
                trivial = Queue("notify", connection=redis)
                trivial.enqueue_many([Queue.prepare_data("bench.trivial.noop", result_ttl=0) for _ in range(count)])
                ceiling = count / _drain(env, workers, simple)
                for channel, received in (("email", lambda: counter.count), ("sms", lambda: gateway.count)):
                    _pending_notices(app, tenant_id, count, channel)
                    sent_before = received()
                    # As a burst of notices leaves: the relay offers them in batches of NOTICE_BATCH per job.
                    began = time.perf_counter()
                    use_app(app)
                    try:
                        relay()
                    finally:
                        use_app(None)
                    offered = time.perf_counter() - began
                    took = offered + _drain(env, workers, simple)
                    delivered = received() - sent_before
                    rate = delivered / took
                    results.append(
                        {
                            "channel": "smtp" if channel == "email" else "http",
                            "worker": "simple" if simple else "deployed",
                            "workers": workers,
                            "notices_per_s": round(rate, 1),
                            "trivial_jobs_per_s": round(ceiling, 1),
                            "ratio": round(rate / ceiling, 2),
                            "delivered": delivered,
                        }
                    )
    finally:
        controller.stop()
        gateway.shutdown()
        gateway.server_close()
        with app.app_context():
            from tenants.db import db

            db.engine.dispose()
    return results


def _prepare_sweep(superuser_url: str, due_fraction: float) -> int:
    """Every tenant with its two starting rules; open complaints due in a month, `due_fraction` of all within the
    hour. Returns how many are due."""
    with psycopg.connect(libpq_url(superuser_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO escalation_rules (tenant_id, position, name, is_active, states, priorities, category_ids, "
            "channels, trigger, deadline, minutes, notify_roles, notify_member_ids, notify_handler, notify_unit_head, "
            "raise_priority, raise_level, updated_at) "
            "SELECT t.id, r.position, r.name, true, '[]', '[]', '[]', '[]', r.trigger, 'any', r.minutes, '[]', '[]', "
            "true, r.head, false, false, now() FROM tenants t CROSS JOIN (VALUES "
            "(0, 'Warn the handler before a deadline', 'due_near', 240, false), "
            "(1, 'Tell the handler and the unit head when a deadline passes', 'overdue', 0, true)) "
            "AS r(position, name, trigger, minutes, head) "
            "WHERE NOT EXISTS (SELECT 1 FROM escalation_rules e WHERE e.tenant_id = t.id)"
        )
        total = conn.execute("SELECT count(*) FROM complaints").fetchone()[0]
        conn.execute(
            "UPDATE complaints SET next_due_at = now() + interval '30 days', updated_at = now() "
            "WHERE next_due_at IS NOT NULL"
        )
        due = int(total * due_fraction)
        conn.execute(
            "UPDATE complaints SET next_due_at = now() + interval '1 hour' WHERE id IN "
            "(SELECT id FROM complaints WHERE next_due_at IS NOT NULL ORDER BY random() LIMIT %s)",
            (due,),
        )
        conn.execute("VACUUM ANALYZE complaints")
        conn.execute("CHECKPOINT")
        return conn.execute(
            "SELECT count(*) FROM complaints WHERE next_due_at <= now() + interval '2 hours'"
        ).fetchone()[0]


def sweep(urls: dict[str, str], redis_url: str, complaints: int) -> dict[str, object]:
    from services.escalation.sweep import sweep_all
    from tenants.db import db

    due = _prepare_sweep(urls["superuser"], 0.01)
    Redis.from_url(redis_url).flushdb()
    app = _app(urls, redis_url, 25)  # the notices it writes go onto the queue, as deployed
    with app.app_context():
        began = time.perf_counter()
        first = sweep_all()
        first_s = time.perf_counter() - began
        began = time.perf_counter()
        second = sweep_all()
        second_s = time.perf_counter() - began
        db.engine.dispose()
    return {
        "complaints": complaints,
        "due": due,
        "first_sweep_s": round(first_s, 2),
        "first_sweep_fired": first,
        "next_sweep_s": round(second_s, 2),
        "next_sweep_fired": second,
    }


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    tenants = _env_int("BENCH_TENANTS", 1000)
    complaints = _env_int("BENCH_COMPLAINTS", 1_000_000)
    largest = _env_int("BENCH_LARGEST", 200_000)
    with _database() as urls:
        _migrate(urls)
        generated = generate(urls["owner"], tenants, complaints, largest, superuser_url=urls["superuser"])
        result = sweep(urls, redis_url, complaints) if not os.environ.get("BENCH_SKIP_SWEEP") else None
        rows = delivery(urls, generated.tenant_id, redis_url)
        print("notices over SMTP and an HTTP gateway against RQ's trivial-job ceiling (same workers, same run)")
        print(f"{'via':5} {'worker':8} {'n':>2} {'notices/s':>10} {'trivial/s':>10} {'ratio':>6} {'delivered':>9}")
        for r in rows:
            print(
                f"{r['channel']:5} {r['worker']:8} {r['workers']:>2} {r['notices_per_s']:>10} "
                f"{r['trivial_jobs_per_s']:>10} {r['ratio']:>6} {r['delivered']:>9}"
            )
        if result is not None:
            print(
                f"escalation sweep over {result['complaints']:,} complaints, {result['due']:,} due within the hour: "
                f"first {result['first_sweep_s']} s ({result['first_sweep_fired']:,} firings), "
                f"next {result['next_sweep_s']} s ({result['next_sweep_fired']} firings)"
            )
    two = {f"{r['channel']}/{r['worker']}": r["ratio"] for r in rows if r["workers"] == 2}
    print(
        json.dumps(
            {
                "two_workers_ratio": two,
                "ratio_goal": RATIO_GOAL,
                # As deployed (`dadras worker`: notice jobs in its process, others forked); --simple beside it.
                "ratio_ok": min(two["smtp/deployed"], two["http/deployed"]) >= RATIO_GOAL,
                "simple_ratio_ok": min(two["smtp/simple"], two["http/simple"]) >= RATIO_GOAL,
                "sweep_s": result["next_sweep_s"] if result else None,
                "sweep_goal_s": SWEEP_GOAL_S,
                "sweep_ok": result["next_sweep_s"] < SWEEP_GOAL_S if result else None,
            }
        )
    )


if __name__ == "__main__":
    main()
