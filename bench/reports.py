"""The home page and the reports on PostgreSQL with the inbox benchmark's data set, through gunicorn (2 workers),
and a CSV export of 100,000 complaints: its first byte, its whole time and the serving worker's memory growth.

The same database, data set and server as `bench.inbox` (see there: BENCH_TENANTS, BENCH_COMPLAINTS,
BENCH_LARGEST); BENCH_REQUESTS (60) timed requests per page after BENCH_WARMUP (5); BENCH_EXPORT_ROWS (100000).
Prints each figure beside its goal; asserts nothing.
"""

from __future__ import annotations

import http.client
import logging
import time
from pathlib import Path

import psycopg

from bench.generate import generate, libpq_url
from bench.inbox import SERVERS, Scenario, _Client, _database, _env_int, _migrate, _run, _server
from tenants.rls import SEARCH_LEAKPROOF

PAGE_TARGET_MS = 300.0
FIRST_BYTE_TARGET_S = 1.0
WHOLE_TARGET_S = 10.0
MEMORY_TARGET_MB = 50.0
REPORTS = ("volume", "timeliness", "outcomes", "satisfaction", "recurrence", "actions")


def _workers(master: int) -> list[int]:
    """The gunicorn master's worker processes (its children), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            found.append(int(stat.parent.name))
    return found


def _memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _export_from(superuser_url: str, tenant_id: int, rows: int) -> str:
    """The first day from which the tenant received about `rows` complaints up to now (ISO)."""
    with psycopg.connect(libpq_url(superuser_url)) as conn:
        row = conn.execute(
            "SELECT received_at::date FROM complaints WHERE tenant_id = %s ORDER BY received_at DESC, id DESC "
            "LIMIT 1 OFFSET %s",
            [tenant_id, rows],
        ).fetchone()
    return row[0].isoformat() if row else "2000-01-01"


def _export(client: _Client, host: str, port: int, path: str) -> tuple[float, float, int, int]:
    """(first byte s, whole s, bytes, lines) of one download, over its own connection with the session's cookies."""
    conn = http.client.HTTPConnection(host, port, timeout=600)
    cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    start = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookies})
    response = conn.getresponse()
    first = response.read(1)
    first_byte = time.perf_counter() - start
    size, lines = len(first), first.count(b"\n")
    while chunk := response.read(1 << 16):
        size += len(chunk)
        lines += chunk.count(b"\n")
    whole = time.perf_counter() - start
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {response.status}")
    return first_byte, whole, size, lines


def main() -> None:
    tenants = _env_int("BENCH_TENANTS", 1000)
    complaints = _env_int("BENCH_COMPLAINTS", 1_000_000)
    largest = _env_int("BENCH_LARGEST", 200_000)
    requests = _env_int("BENCH_REQUESTS", 60)
    warmup = _env_int("BENCH_WARMUP", 5)
    export_rows = _env_int("BENCH_EXPORT_ROWS", 100_000)
    logging.basicConfig(level=logging.WARNING)
    print(f"reports on PostgreSQL: generating {tenants:,} tenants, {complaints:,} complaints (largest {largest:,})")
    with _database() as urls:
        _migrate(urls)
        data = generate(urls["owner"], tenants, complaints, largest, superuser_url=urls["superuser"])
        with psycopg.connect(libpq_url(urls["superuser"]), autocommit=True) as conn:
            conn.execute(SEARCH_LEAKPROOF)
        since = _export_from(urls["superuser"], data.tenant_id, export_rows)
        with _server(urls["app"]) as (host, port):
            client = _Client(host, port)
            client.login(data.slug, data.email, data.password)
            base = f"/{data.slug}/console"
            scenarios = [Scenario("home page (owner: the organization)", [f"{base}/"])]
            scenarios += [
                Scenario(f"report {name}, last year", [f"{base}/reports/{name}?period=last_year"]) for name in REPORTS
            ]
            print(
                f"home and reports over HTTP (gunicorn, 2 workers, PostgreSQL, RLS on), largest tenant {largest:,}; "
                f"{requests} requests each after {warmup} warm-up; goal p95 < {PAGE_TARGET_MS:.0f} ms"
            )
            print(f"{'page':42} {'median ms':>10} {'p95 ms':>10}")
            for scenario in scenarios:
                _run(client, scenario, requests, warmup)
                verdict = "ok" if scenario.p95 < PAGE_TARGET_MS else "over goal"
                print(f"{scenario.label:42} {scenario.median:10.1f} {scenario.p95:10.1f}   {verdict}")
            workers = _workers(SERVERS[port])
            for pid in workers:  # the peak resident size starts again from now (Linux's clear_refs 5)
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            before = {pid: _memory_kb(pid, "VmRSS") for pid in workers}
            first, whole, size, lines = _export(client, host, port, f"{base}/complaints.csv?tab=all&from={since}")
            growth = max((_memory_kb(pid, "VmHWM") - before[pid]) / 1024 for pid in workers)
            print(f"CSV export of {lines - 1:,} complaints ({size / 1e6:.1f} MB):")
            for label, value, goal, unit in (
                ("first byte", first, FIRST_BYTE_TARGET_S, "s"),
                ("whole file", whole, WHOLE_TARGET_S, "s"),
                ("worker memory growth", growth, MEMORY_TARGET_MB, "MB"),
            ):
                verdict = "ok" if value < goal else "over goal"
                print(f"  {label:22} {value:8.2f} {unit:2}   goal < {goal:.0f} {unit}   {verdict}")


if __name__ == "__main__":
    main()
