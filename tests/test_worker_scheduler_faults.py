"""Workers and schedulers as production runs them (`dadras worker`, `dadras scheduler`, real processes) against a
Redis of the test's own that the test stops, starts and kills them around: they wait Redis out, one scheduler
enqueues at a time, a spare takes over from one killed outright, and a restart keeps each job's schedule."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.job import JobStatus

from tests.fixtures.app import SECRET

ROOT = Path(__file__).resolve().parents[1]
DADRAS = [sys.executable, "-c", "from web.cli import cli; cli()"]
RELAY = "workers.notices.relay"
HOURLY = ("workers.escalation.sweep", "workers.followups.follow_ups", "workers.intake.mailboxes")


@pytest.fixture
def run(own_redis, tmp_path):
    """`run(*args)` starts a `dadras` process on the test's Redis (in a session of its own); all are killed after."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS", "SMTP", "MAIL"))},
        "DADRAS_ENV": "testing",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "REDIS_URL": own_redis.url,
        "REDIS_RETRY_MAX_SECONDS": "1",
        "SCHEDULER_LOCK_SECONDS": "3",
        "NOTICE_RELAY_SECONDS": "2",
        "SWEEP_SECONDS": "3600",
        "FOLLOW_UP_SECONDS": "3600",
        "MAIL_POLL_SECONDS": "3600",
    }
    started: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        log = open(tmp_path / f"process-{len(started)}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [*DADRAS, *args], cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT
        )
        process.log = log  # type: ignore[attr-defined]
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        process.log.close()  # type: ignore[attr-defined]


def _redis(own_redis) -> Redis:
    return Redis.from_url(own_redis.url)


def _enqueued(own_redis) -> Counter:
    """How many of each periodic job wait on the default queue (no worker runs them here)."""
    return Counter(job.func_name for job in Queue("default", connection=_redis(own_redis)).get_jobs())


def _until(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def _worked(own_redis, seconds: float = 30) -> bool:
    job = Queue("default", connection=_redis(own_redis)).enqueue(os.getpid, result_ttl=600)
    return _until(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, seconds)


def test_a_worker_survives_redis_stopped_mid_job_and_works_on(run, own_redis):
    worker = run("worker", "default")
    busy = Queue("default", connection=_redis(own_redis)).enqueue(time.sleep, 2)
    assert _until(lambda: busy.get_status(refresh=True) == JobStatus.STARTED, 30), "the worker never took the job"
    own_redis.stop()
    time.sleep(8)  # longer than the Redis client's own retries
    own_redis.start()  # empty
    assert worker.poll() is None, "the worker quit when Redis stopped"
    assert _worked(own_redis), "the worker ran no job after Redis came back"
    assert worker.poll() is None


def test_a_worker_started_while_redis_is_down_waits_for_it(run, own_redis):
    own_redis.stop()
    worker = run("worker", "default")
    time.sleep(8)  # longer than the Redis client's own retries
    assert worker.poll() is None, "the worker quit: Redis was down at its start"
    own_redis.start()
    assert _worked(own_redis)


def test_a_scheduler_survives_redis_stopped_and_enqueues_after(run, own_redis):
    scheduler = run("scheduler")
    assert _until(lambda: _enqueued(own_redis)[RELAY] >= 1, 20)
    own_redis.stop()
    time.sleep(3)
    own_redis.start()  # empty: the relay is due again
    assert _until(lambda: _enqueued(own_redis)[RELAY] >= 2, 20), "no relay enqueued after Redis came back"
    assert scheduler.poll() is None


def test_two_schedulers_enqueue_each_job_once_per_interval(run, own_redis):
    first, second = run("scheduler"), run("scheduler")
    assert _until(lambda: all(_enqueued(own_redis)[name] for name in HOURLY), 20)
    started = time.monotonic()
    time.sleep(7)
    counts = _enqueued(own_redis)
    seconds = time.monotonic() - started
    assert all(counts[name] == 1 for name in HOURLY), counts
    # Every 2 s over the time waited, the first run included: never twice as many.
    assert counts[RELAY] <= seconds / 2 + 2, counts
    assert first.poll() is None
    assert second.poll() is None


def test_the_spare_scheduler_takes_over_when_the_first_is_killed(run, own_redis):
    first = run("scheduler")
    assert _until(lambda: all(_enqueued(own_redis)[name] for name in HOURLY), 20)
    second = run("scheduler")
    time.sleep(2)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(10)
    killed_at, relays = time.monotonic(), _enqueued(own_redis)[RELAY]
    # The key lives 3 s, the spare asks every second, the relay is due every 2 s.
    assert _until(lambda: _enqueued(own_redis)[RELAY] > relays + 1, 10), "the spare never took over"
    assert time.monotonic() - killed_at < 8
    counts = _enqueued(own_redis)
    assert all(counts[name] == 1 for name in HOURLY), counts  # their hour has not passed
    assert second.poll() is None


def test_a_restarted_scheduler_keeps_each_jobs_schedule(run, own_redis):
    first = run("scheduler")
    assert _until(lambda: all(_enqueued(own_redis)[name] for name in HOURLY), 20)
    os.killpg(first.pid, signal.SIGTERM)
    assert first.wait(10) == 0
    relays = _enqueued(own_redis)[RELAY]
    run("scheduler")
    assert _until(lambda: _enqueued(own_redis)[RELAY] > relays, 10), "the new scheduler enqueued nothing"
    time.sleep(2)
    counts = _enqueued(own_redis)
    assert all(counts[name] == 1 for name in HOURLY), counts
