"""The inbox on PostgreSQL with a large data set, through the real HTTP stack (gunicorn, 2 workers).

Creates a throwaway database (an owner role migrates it, the app connects as a role that owns nothing,
so row-level security is live), fills it with `bench.generate`, serves the app with gunicorn, logs in as
the largest tenant's owner through the login form, and times the inbox's pages one request at a time.
Prints the median and the 95th percentile per scenario against a goal; it asserts nothing.

Sizes: BENCH_TENANTS (1000), BENCH_COMPLAINTS (1000000), BENCH_LARGEST (200000); BENCH_REQUESTS (200)
timed requests per scenario after BENCH_WARMUP (20); BENCH_DEPTH (40) pages followed for the keyset pages.
The database is prepared as a deployment prepares it: migrated by its owner, then LIKE marked leakproof by a
superuser (`dadras allow-indexed-search`), so that search can use its index under row-level security.
BENCH_ADMIN_DATABASE_URL (else TEST_DATABASE_URL, else postgres on 127.0.0.1) is a superuser connection.
"""

from __future__ import annotations

import html
import http.client
import logging
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

from bench import words
from bench.generate import SECRET, Generated, generate, libpq_url
from tenants.rls import SEARCH_LEAKPROOF

OWNER_ROLE = "dadras_bench_owner"
APP_ROLE = "dadras_bench_app"
TARGET_MS = 150.0
# The gunicorn master's process id by the port it serves, for benchmarks that read its workers' memory.
SERVERS: dict[int, int] = {}
ROOT = Path(__file__).resolve().parent.parent
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_NEXT = re.compile(r'rel="next" href="([^"]+)"')


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)).replace("_", ""))


def _admin_url() -> str:
    from web.config import database_url

    url = os.environ.get("BENCH_ADMIN_DATABASE_URL") or os.environ.get(
        "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    return database_url(url)


def _url_as(admin: str, database: str, role: str | None = None) -> str:
    url = sa.make_url(admin).set(database=database)
    if role is not None:
        url = url.set(username=role, password=None)
    return url.render_as_string(hide_password=False)


@contextmanager
def _database() -> Iterator[dict[str, str]]:
    """A fresh database owned by the bench owner role; dropped at the end, whatever happens."""
    admin = _admin_url()
    name = f"dadras_bench_{secrets.token_hex(5)}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        for role, extra in ((OWNER_ROLE, ""), (APP_ROLE, " NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")):
            if not conn.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
                conn.execute(sa.text(f'CREATE ROLE "{role}" LOGIN{extra}'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}" OWNER "{OWNER_ROLE}"'))
    try:
        yield {
            "name": name,
            "owner": _url_as(admin, name, OWNER_ROLE),
            "app": _url_as(admin, name, APP_ROLE),
            "superuser": _url_as(admin, name),
        }
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def _migrate(urls: dict[str, str]) -> None:
    from flask_migrate import upgrade

    from tenants.db import db
    from web import create_app

    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": urls["app"],
            "MIGRATION_DATABASE_URL": urls["owner"],
            "DATABASE_APP_ROLE": APP_ROLE,
        }
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _server(
    app_url: str, app_spec: str = "web:create_app()", extra_env: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """The app under gunicorn (2 sync workers, as deploy/README serves it) in production settings."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "MIGRATION_DATABASE_URL", "SMTP_URL")}
    env.update(
        {
            "DADRAS_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SESSION_COOKIE_SECURE": "0",
            "DATABASE_URL": app_url,
            "DATABASE_APP_ROLE": APP_ROLE,
            "MAIL_BACKEND": "memory",
            "BASE_URL": f"http://127.0.0.1:{port}",
            "TRUSTED_PROXY_COUNT": "0",
        }
    )
    env.update(extra_env or {})
    # As deployed: deploy/gunicorn.conf.py, with two workers.
    env.update({"GUNICORN_WORKERS": "2", "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_LOG_LEVEL": "warning"})
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), app_spec]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(proc, port, log)
            SERVERS[port] = proc.pid
            yield "127.0.0.1", port
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(proc: subprocess.Popen[bytes], port: int, log: Any) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError("gunicorn exited:\n" + log.read().decode(errors="replace")[-3000:])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status in (200, 404):
                conn.close()
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


class _Client:
    """A browser reduced to what the benchmark needs: one kept-alive connection and cookies."""

    def __init__(self, host: str, port: int) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError):
                # The server closed a kept-alive connection: open a new one, once.
                self.conn.close()
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        if response.will_close:
            self.conn.close()
        return response.status, data.decode("utf-8", errors="replace")

    def get(self, path: str) -> str:
        status, text = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}")
        return text

    def login(self, slug: str, email: str, password: str) -> None:
        page = self.get(f"/{slug}/console/login")
        token = _CSRF.search(page)
        if token is None:
            raise RuntimeError("no csrf_token on the login page")
        status, _ = self.request(
            "POST",
            f"/{slug}/console/login",
            {"csrf_token": html.unescape(token.group(1)), "email": email, "password": password, "next": ""},
        )
        if status not in (302, 303):
            raise RuntimeError(f"login failed: HTTP {status}")


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct))]


@dataclass
class Scenario:
    label: str
    paths: list[str]
    median: float = 0.0
    p95: float = 0.0


def _run(client: _Client, scenario: Scenario, requests: int, warmup: int) -> None:
    timings = []
    for n in range(warmup + requests):
        path = scenario.paths[n % len(scenario.paths)]
        start = time.perf_counter()
        client.get(path)
        elapsed = (time.perf_counter() - start) * 1000
        if n >= warmup:
            timings.append(elapsed)
    scenario.median = statistics.median(timings)
    scenario.p95 = _percentile(timings, 0.95)


def _follow(client: _Client, path: str, depth: int) -> list[str]:
    """The paths of the pages after `path`, following rel="next" up to `depth` times."""
    pages = []
    for _ in range(depth):
        found = _NEXT.search(client.get(path))
        if found is None:
            break
        path = html.unescape(found.group(1))
        pages.append(path)
    return pages


def _deep(pages: list[str]) -> list[str]:
    """Four cursors from the deepest quarter of the followed pages (or the first page if there are none)."""
    if not pages:
        return []
    picks = {pages[max(0, len(pages) - 1 - k * max(1, len(pages) // 8))] for k in range(4)}
    return sorted(picks)


def _search_terms(superuser_url: str, tenant_id: int, total: int) -> tuple[str, float, str, int, str]:
    """A common word (near 3 % of the tenant's complaints), a rare word and a phone fragment to search for."""
    from services.complaints.search import search_key

    shares = {}
    with psycopg.connect(libpq_url(superuser_url)) as conn:
        for word in (*words.COMMON_SEARCH_WORDS, *words.RARE_SEARCH_WORDS):
            key = search_key(word)
            found = conn.execute(
                "SELECT count(*) FROM complaints WHERE tenant_id = %s AND search_text LIKE %s",
                [tenant_id, f"%{key}%"],
            ).fetchone()[0]
            shares[word] = found
        phone = conn.execute(
            "SELECT phone FROM complaints WHERE tenant_id = %s AND phone IS NOT NULL ORDER BY id LIMIT 1 OFFSET %s",
            [tenant_id, total // 3],
        ).fetchone()
    common = min(words.COMMON_SEARCH_WORDS, key=lambda w: abs(shares[w] / max(total, 1) - 0.03))
    found_rare = [w for w in words.RARE_SEARCH_WORDS if shares[w] > 0] or list(words.RARE_SEARCH_WORDS)
    rare = min(found_rare, key=lambda w: shares[w])
    fragment = phone[0][-7:] if phone else "1234567"
    return common, 100 * shares[common] / max(total, 1), rare, shares[rare], fragment


def _history_cursors(superuser_url: str, tenant_id: int, total: int) -> list[str]:
    """Keyset cursors at 25, 50, 75 and 95 % down the tenant's history, newest first."""
    cursors = []
    with psycopg.connect(libpq_url(superuser_url)) as conn:
        for pct in (0.25, 0.5, 0.75, 0.95):
            row = conn.execute(
                "SELECT (extract(epoch FROM received_at) * 1000000)::bigint, id FROM complaints "
                "WHERE tenant_id = %s ORDER BY received_at DESC, id DESC LIMIT 1 OFFSET %s",
                [tenant_id, int(total * pct)],
            ).fetchone()
            if row:
                cursors.append(f"{row[0]}.{row[1]}")
    return cursors


def _explain(urls: dict[str, str], data: Generated, path: str) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the complaint queries the inbox runs for `path`, captured in-process."""
    from tenants.db import db
    from web import create_app

    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": urls["app"],
            "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": sa.pool.NullPool},
            "WTF_CSRF_ENABLED": False,
            "MAIL_BACKEND": "memory",
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if re.search(r"\bFROM complaints\b", statement):
            captured.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    client = app.test_client()
    client.post(f"/{data.slug}/console/login", data={"email": data.email, "password": data.password})
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        response = client.get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    if response.status_code != 200:
        print(f"  (no plan: the in-process request answered {response.status_code})")
        return
    with psycopg.connect(libpq_url(urls["app"])) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", [str(data.tenant_id)])
        for n, (statement, parameters) in enumerate(captured, start=1):
            plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).fetchall()
            lines = [r[0] for r in plan]
            print(f"  -- query {n} of {len(captured)}: {' '.join(statement.split())[:160]}…")
            for line in lines[:28]:
                print(f"  {line}")
            if len(lines) > 28:
                print(f"  … {len(lines) - 28} more lines; {lines[-1].strip()}")
    with app.app_context():
        db.engine.dispose()


def _scenarios(client: _Client, urls: dict[str, str], data: Generated, largest: int, depth: int) -> list[Scenario]:
    base = f"/{data.slug}/console/complaints"
    common, common_pct, rare, rare_count, fragment = _search_terms(urls["superuser"], data.tenant_id, largest)
    history = _history_cursors(urls["superuser"], data.tenant_id, largest)
    q = urllib.parse.quote
    open_pages = _deep(_follow(client, base, depth))
    all_pages = _deep(_follow(client, base + "?tab=all", depth))
    return [
        Scenario("first page (open tab)", [base]),
        Scenario("first page (all tab)", [base + "?tab=all"]),
        Scenario("filtered: investigating+high+phone", [base + "?tab=investigating&priority=high&channel=phone"]),
        Scenario(f"keyset ~{depth} pages deep (open tab)", open_pages or [base]),
        Scenario(f"keyset ~{depth} pages deep (all tab)", all_pages or [base]),
        Scenario("keyset 25-95% down history (open)", [f"{base}?after={c}" for c in history] or [base]),
        Scenario("keyset 25-95% down history (all)", [f"{base}?tab=all&after={c}" for c in history] or [base]),
        Scenario(f"search common word ({common_pct:.1f}%)", [f"{base}?q={q(common)}"]),
        Scenario("search common word, all tab", [f"{base}?tab=all&q={q(common)}"]),
        Scenario(f"search rare word ({rare_count} rows)", [f"{base}?tab=all&q={q(rare)}"]),
        Scenario("search phone fragment (7 digits)", [f"{base}?tab=all&q={fragment}"]),
    ]


def main() -> None:
    tenants = _env_int("BENCH_TENANTS", 1000)
    complaints = _env_int("BENCH_COMPLAINTS", 1_000_000)
    largest = _env_int("BENCH_LARGEST", 200_000)
    requests = _env_int("BENCH_REQUESTS", 200)
    warmup = _env_int("BENCH_WARMUP", 20)
    depth = _env_int("BENCH_DEPTH", 40)
    # A root handler keeps Alembic's INFO lines out of the figures (its env.py configures logging only without one).
    logging.basicConfig(level=logging.WARNING)
    print(f"inbox on PostgreSQL: generating {tenants:,} tenants, {complaints:,} complaints (largest {largest:,})")
    with _database() as urls:
        _migrate(urls)
        data = generate(urls["owner"], tenants, complaints, largest, superuser_url=urls["superuser"])
        with psycopg.connect(libpq_url(urls["superuser"]), autocommit=True) as conn:
            conn.execute(SEARCH_LEAKPROOF)
        with _server(urls["app"]) as (host, port):
            client = _Client(host, port)
            client.login(data.slug, data.email, data.password)
            scenarios = _scenarios(client, urls, data, largest, depth)
            print(
                f"inbox over HTTP (gunicorn, 2 workers, PostgreSQL, RLS on): {tenants:,} tenants, "
                f"{complaints:,} complaints, largest tenant {largest:,}; {requests} requests each after "
                f"{warmup} warm-up; target p95 < {TARGET_MS:.0f} ms"
            )
            print(f"{'scenario':42} {'median ms':>10} {'p95 ms':>10}")
            for scenario in scenarios:
                _run(client, scenario, requests, warmup)
                verdict = "ok" if scenario.p95 < TARGET_MS else "over target"
                print(f"{scenario.label:42} {scenario.median:10.1f} {scenario.p95:10.1f}   {verdict}")
        slowest = max(scenarios, key=lambda s: s.p95)
        if slowest.p95 >= TARGET_MS:
            print(f"slowest: {slowest.label} ({slowest.paths[0]}); the complaint queries it runs:")
            _explain(urls, data, slowest.paths[0])


if __name__ == "__main__":
    main()
