"""The portal's tracking page on PostgreSQL with a large data set, against a bare Flask + SQLAlchemy lookup.

Builds the same throwaway database as the inbox benchmark (BENCH_TENANTS, BENCH_COMPLAINTS, BENCH_LARGEST),
then serves, one after the other on the same machine, (1) Dadras under gunicorn with 2 workers, RLS on, and
(2) `bench.bare_lookup` under gunicorn with 2 workers; each is loaded with GET /<slug>/track/<code> (the bare
page: /track/<code>) for BENCH_SECONDS (20) at BENCH_CONNECTIONS (8), codes drawn at random from
BENCH_CODES (2000) real ones across all tenants. The two take turns for BENCH_ROUNDS (2) rounds, the order
swapped each round, so neither gets the quieter minutes of a shared machine. Prints each run, then the mean
requests per second, the worst 99th percentile, and the ratio; goals: Dadras at least half the bare page's
throughput, and a 99th percentile under 30 ms.

The load comes from wrk (Debian's package) when it is installed, else from a client in this process; the
tracking limits per visitor and per code are raised for the run, as one visitor here makes every request.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

import psycopg

from bench.generate import generate, libpq_url
from bench.inbox import _database, _env_int, _migrate, _percentile, _server

RATIO_GOAL = 0.5
P99_GOAL_MS = 30.0
_LATENCY = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
math.randomseed(%d)
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


@dataclass
class Result:
    label: str
    rps: float
    p50: float
    p90: float
    p99: float
    errors: int


def _codes(superuser_url: str, count: int) -> list[tuple[str, str]]:
    """(slug, code) pairs drawn at random from every tenant's complaints."""
    with psycopg.connect(libpq_url(superuser_url)) as conn:
        rows = conn.execute(
            "SELECT t.slug, c.code FROM complaints c TABLESAMPLE SYSTEM (1) JOIN tenants t ON t.id = c.tenant_id "
            "LIMIT %s",
            (count,),
        ).fetchall()
    return [(slug, code) for slug, code in rows]


def _settle(superuser_url: str) -> None:
    """Write out what the load left in memory, so no checkpoint lands in the middle of a measured run."""
    with psycopg.connect(libpq_url(superuser_url), autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def _overall(runs: list[Result]) -> Result:
    """Mean throughput and the worst percentiles of one server's runs."""
    return Result(
        runs[0].label,
        sum(r.rps for r in runs) / len(runs),
        max(r.p50 for r in runs),
        max(r.p90 for r in runs),
        max(r.p99 for r in runs),
        sum(r.errors for r in runs),
    )


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wrk(host: str, port: int, paths: list[str], *, seconds: int, connections: int, label: str) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        listing = os.path.join(tmp, "paths.txt")
        with open(listing, "w") as f:
            f.write("\n".join(paths))
        script = os.path.join(tmp, "paths.lua")
        with open(script, "w") as f:
            f.write(_LUA % (listing, 7))
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, f"http://{host}:{port}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    latency = {pct: _ms(value, unit) for pct, value, unit in _LATENCY.findall(out)}
    errors = _NON_2XX.search(out)
    return Result(
        label,
        float(_RPS.search(out).group(1)),
        latency["50"],
        latency["90"],
        latency["99"],
        int(errors.group(1)) if errors else 0,
    )


def _python_load(host: str, port: int, paths: list[str], *, seconds: int, connections: int, label: str) -> Result:
    """A fallback load: one thread per connection, kept-alive HTTP/1.1, for when wrk is not installed."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection(host, port, timeout=30)
        mine: list[float] = []
        while time.monotonic() < stop:
            start = time.perf_counter()
            conn.request("GET", rng.choice(paths))
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - start) * 1000)
            if response.status >= 400:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    return Result(
        label,
        len(latencies) / elapsed,
        _percentile(latencies, 50),
        _percentile(latencies, 90),
        _percentile(latencies, 99),
        errors[0],
    )


def _load(host: str, port: int, paths: list[str], *, seconds: int, connections: int, label: str) -> Result:
    # A short warm-up fills the connection pools and the caches of both servers alike.
    warm = min(3, seconds)
    runner = _wrk if shutil.which("wrk") else _python_load
    runner(host, port, paths, seconds=warm, connections=connections, label=label)
    return runner(host, port, paths, seconds=seconds, connections=connections, label=label)


def main() -> None:
    tenants = _env_int("BENCH_TENANTS", 1000)
    complaints = _env_int("BENCH_COMPLAINTS", 1_000_000)
    largest = _env_int("BENCH_LARGEST", 200_000)
    seconds = _env_int("BENCH_SECONDS", 20)
    connections = _env_int("BENCH_CONNECTIONS", 8)
    sample = _env_int("BENCH_CODES", 2000)
    rounds = max(1, _env_int("BENCH_ROUNDS", 2))
    logging.basicConfig(level=logging.WARNING)
    print(f"portal on PostgreSQL: generating {tenants:,} tenants, {complaints:,} complaints (largest {largest:,})")
    with _database() as urls:
        _migrate(urls)
        generate(urls["owner"], tenants, complaints, largest, superuser_url=urls["superuser"])
        codes = _codes(urls["superuser"], sample)
        _settle(urls["superuser"])
        unlimited = {
            "PORTAL_TRACK_LIMIT_PER_IP": "100000000/minute",
            "PORTAL_TRACK_LIMIT_PER_CODE": "100000000/minute",
            # As deployed: the limits live in Redis, shared by the workers.
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        }
        bare_env = {"BENCH_BARE_DATABASE_URL": urls["superuser"]}

        def run_dadras() -> Result:
            with _server(urls["app"], extra_env=unlimited) as (host, port):
                paths = [f"/{s}/track/{c}" for s, c in codes]
                return _load(host, port, paths, seconds=seconds, connections=connections, label="Dadras")

        def run_bare() -> Result:
            with _server(urls["app"], app_spec="bench.bare_lookup:app", extra_env=bare_env) as (host, port):
                paths = [f"/track/{c}" for _s, c in codes]
                return _load(host, port, paths, seconds=seconds, connections=connections, label="bare lookup")

        runs: list[Result] = []
        for round_ in range(rounds):
            order = (run_dadras, run_bare) if round_ % 2 == 0 else (run_bare, run_dadras)
            runs.extend(run() for run in order)
    tool = "wrk" if shutil.which("wrk") else "the built-in client (install wrk for steadier figures)"
    print(
        f"tracking page over HTTP (gunicorn, 2 workers each, PostgreSQL; {complaints:,} complaints, "
        f"{len(codes):,} codes drawn at random); {connections} connections for {seconds} s with {tool}, "
        f"{rounds} round(s) in turn"
    )
    print(f"{'server':14} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for r in runs:
        print(f"{r.label:14} {r.rps:9.0f} {r.p50:8.1f} {r.p90:8.1f} {r.p99:8.1f} {r.errors:7d}")
    dadras = _overall([r for r in runs if r.label == "Dadras"])
    bare = _overall([r for r in runs if r.label != "Dadras"])
    print(f"{'mean, worst':14} {'':>9} {'':>8} {'':>8} {'':>8}")
    for r in (dadras, bare):
        print(f"{r.label:14} {r.rps:9.0f} {r.p50:8.1f} {r.p90:8.1f} {r.p99:8.1f} {r.errors:7d}")
    ratio = dadras.rps / bare.rps if bare.rps else 0.0
    print(
        json.dumps(
            {
                "ratio": round(ratio, 2),
                "ratio_goal": RATIO_GOAL,
                "ratio_ok": ratio >= RATIO_GOAL,
                "p99_ms": round(dadras.p99, 1),
                "p99_goal_ms": P99_GOAL_MS,
                "p99_ok": dadras.p99 < P99_GOAL_MS,
            }
        )
    )


if __name__ == "__main__":
    main()
