"""The notice pipeline with real parts: a Redis server of the test's own (so it can be stopped), real
`dadras worker` and `dadras scheduler` processes, PostgreSQL as the role row-level security applies to, and a
real SMTP server. Nothing is lost when Redis stops, nothing is sent twice when a worker dies mid-send."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis import Redis
from rq import Queue

from services.complaints.registration import ComplaintInput, register_complaint
from services.notifications.models import Notice
from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import StaffMember, Tenant
from tests.fixtures.app import APP_ROLE, SECRET, base_overrides
from tests.fixtures.committing import remove_committed, sign_up_committed
from web import create_app

ROOT = Path(__file__).resolve().parents[1]
DADRAS = [sys.executable, "-c", "from web.cli import cli; cli()"]


@pytest.fixture
def pipeline(pg_database, tmp_path, own_redis, smtp_server):
    """An app on PostgreSQL whose transactions commit, on our own Redis, mailing to the SMTP server."""
    controller, inbox = smtp_server
    settings = {
        "SQLALCHEMY_DATABASE_URI": pg_database["app"],
        "REDIS_URL": own_redis.url,
        "MAIL_BACKEND": "smtp",
        "SMTP_URL": f"smtp://127.0.0.1:{controller.port}",
        "NOTICE_LEASE_SECONDS": 3,
    }
    app = create_app(base_overrides(tmp_path) | settings)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS", "SMTP", "MAIL"))},
        "DADRAS_ENV": "testing",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": pg_database["app"],
        "DATABASE_APP_ROLE": APP_ROLE,
        "REDIS_URL": own_redis.url,
        "MAIL_BACKEND": "smtp",
        "SMTP_URL": settings["SMTP_URL"],
        "NOTICE_LEASE_SECONDS": "3",
        "NOTICE_RELAY_SECONDS": "1",
        "UPLOAD_STORAGE": str(tmp_path / "uploads"),
    }
    made: list[int] = []
    yield app, env, inbox, made
    remove_committed(pg_database, [app], made)


def _tenant(app, made: list[int], slug: str) -> tuple[int, int]:
    ids = sign_up_committed(app, slug)
    made.append(ids[0])
    return ids


def _register(app, tenant_id: int, owner_id: int, n: int) -> int:
    with app.app_context(), tenant_scope(tenant_id):
        complaint = register_complaint(
            db.session.get(StaffMember, owner_id),
            db.session.get(Tenant, tenant_id),
            ComplaintInput(
                channel="phone",
                complainant_name=f"Customer {n}",
                subject=f"Complaint {n}",
                description="Waited two hours.",
                email=f"customer{n}@example.com",
            ),
        )
        db.session.commit()  # the notice goes to Redis now, or waits for the relay
        complaint_id = complaint.id
        db.session.remove()
    return complaint_id


def _notices(app, tenant_id: int) -> list[tuple[str, int]]:
    with app.app_context(), tenant_scope(tenant_id):
        rows = [(n.status, n.attempts) for n in db.session.scalars(sa.select(Notice).order_by(Notice.id))]
        db.session.remove()
    return rows


def _run(env, *args, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*DADRAS, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _unique_slug(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{time.monotonic_ns() % 10**8}"


def test_redis_stopped_during_a_burst_loses_no_notice_and_sends_none_twice(pipeline, own_redis):
    app, env, inbox, made = pipeline
    tenant_id, owner_id = _tenant(app, made, _unique_slug("burst"))
    for n in range(5):
        _register(app, tenant_id, owner_id, n)
    assert Redis.from_url(own_redis.url).llen("rq:queue:notify") == 5
    own_redis.stop()
    for n in range(5, 10):
        _register(app, tenant_id, owner_id, n)  # saved; the enqueue fails quietly
    own_redis.start()  # empty: the first five's jobs are gone too
    assert _notices(app, tenant_id) == [("pending", 0)] * 10

    # The scheduler enqueues the relay every second; a worker runs it and then the notices it offers.
    scheduler = subprocess.Popen([*DADRAS, "scheduler"], cwd=ROOT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and Redis.from_url(own_redis.url).llen("rq:queue:default") < 2:
            time.sleep(0.2)
    finally:
        os.killpg(scheduler.pid, signal.SIGTERM)
        scheduler.wait(10)
    # Two relay runs offered each notice twice; each is still sent once.
    worked = _run(env, "worker", "default", "notify", "--burst", "--simple")
    assert worked.returncode == 0, worked.stderr
    assert _notices(app, tenant_id) == [("sent", 1)] * 10
    assert sorted(m["To"] for m in inbox.messages) == sorted(f"customer{n}@example.com" for n in range(10))
    assert len({m["Message-ID"] for m in inbox.messages}) == 10


def _children(pid: int) -> list[int]:
    """The processes `pid` started (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


class SilentServer:
    """Accepts connections and says nothing: an SMTP client waits for a greeting that never comes."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.port = self.socket.getsockname()[1]
        self.accepted = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.held.append(conn)
            self.accepted.set()

    def close(self) -> None:
        for conn in self.held:
            conn.close()
        self.socket.close()


def test_a_worker_killed_mid_send_leaves_the_notice_to_be_sent_once_later(pipeline, own_redis):
    app, env, inbox, made = pipeline
    tenant_id, owner_id = _tenant(app, made, _unique_slug("killed"))
    silent = SilentServer()
    try:
        _register(app, tenant_id, owner_id, 1)
        stuck_env = env | {"SMTP_URL": f"smtp://127.0.0.1:{silent.port}"}
        worker = subprocess.Popen(
            [*DADRAS, "worker", "notify"], cwd=ROOT, env=stuck_env, start_new_session=True, stdout=subprocess.DEVNULL
        )
        try:
            assert silent.accepted.wait(30), "the worker never reached the mail server"
            assert _notices(app, tenant_id) == [("sending", 1)]
        finally:
            # The worker and the work horse it forked for the job (in a session of its own), mid-send.
            for pid in (*_children(worker.pid), worker.pid):
                os.kill(pid, signal.SIGKILL)
            worker.wait(10)
    finally:
        silent.close()
    assert _notices(app, tenant_id) == [("sending", 1)]
    time.sleep(3.5)  # the lease runs out
    with app.app_context():
        from workers.notices import relay

        assert relay() == 1
    worked = _run(env, "worker", "notify", "--burst")
    assert worked.returncode == 0, worked.stderr
    assert _notices(app, tenant_id) == [("sent", 2)]
    assert len(inbox.messages) == 1


def test_two_reads_of_one_mailbox_at_once_take_each_mail_once(pipeline, imap_server):
    """Two polls overlapping for real (two sessions on PostgreSQL, started together): each mail becomes one
    complaint; the second poll waits on the first's key for a mail and then finds it taken."""
    from services.complaints.models import Complaint
    from services.connections.operations import save_mailbox
    from services.intake.inbound_mail import poll
    from services.intake.models import InboundMail
    from tests.fixtures.mails import mail

    app, _env, _inbox, made = pipeline
    tenant_id, owner_id = _tenant(app, made, _unique_slug("mailbox"))
    user, password = imap_server.new_mailbox()
    with app.app_context(), tenant_scope(tenant_id):
        save_mailbox(db.session.get(StaffMember, owner_id), url=imap_server.url(user, password))
        db.session.commit()
        db.session.remove()
    for n in range(8):
        imap_server.deliver(user, password, mail(f"Complaint by mail {n}", f"Story {n}.", sender=f"c{n}@example.com"))
    start = threading.Barrier(2)
    read: list[tuple[int, int]] = []
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            with app.app_context(), tenant_scope(tenant_id):
                start.wait(10)
                done = poll(db.session.get(Tenant, tenant_id))
                db.session.commit()
                read.append((done.read, done.registered))
                db.session.remove()
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    # Both read the mails (they did overlap); between them they registered each once.
    assert sum(r for r, _ in read) > 8
    assert sum(g for _, g in read) == 8
    with app.app_context(), tenant_scope(tenant_id):
        subjects = sorted(db.session.scalars(sa.select(Complaint.subject)))
        kept = db.session.scalar(sa.select(sa.func.count()).select_from(InboundMail))
        db.session.remove()
    assert subjects == sorted(f"Complaint by mail {n}" for n in range(8))
    assert kept == 8


def _agent(app, tenant_id: int, slug: str) -> None:
    """A complaints officer besides the owner: the staff notices of a complaint the owner registers go to them."""
    with app.app_context(), tenant_scope(tenant_id):
        db.session.add(
            StaffMember(
                email=f"agent@{slug}.example.com", name="Agent", role="agent", is_active=True, password_hash="!"
            )
        )
        db.session.commit()
        db.session.remove()


def test_customers_notices_leave_before_the_staff_notices_queued_before_them_over_one_kept_connection(
    pipeline, own_redis
):
    app, env, inbox, made = pipeline
    slug = _unique_slug("first")
    tenant_id, owner_id = _tenant(app, made, slug)
    _agent(app, tenant_id, slug)
    for n in range(3):
        _register(app, tenant_id, owner_id, n)  # each: the customer's acknowledgement, and the agent's notice
    redis = Redis.from_url(own_redis.url)
    assert (redis.llen("rq:queue:notify"), redis.llen("rq:queue:notify-staff")) == (3, 3)

    worked = _run(env, "worker", "--burst")  # as deployed: every queue, a work horse forked for intake
    assert worked.returncode == 0, worked.stderr
    recipients = [m["To"] for m in inbox.messages]
    assert recipients[:3] == [f"customer{n}@example.com" for n in range(3)]
    assert recipients[3:] == [f"agent@{slug}.example.com"] * 3
    # Six jobs, one connection to the mail server: kept from one job to the next.
    assert len(set(inbox.peers)) == 1
    assert _notices(app, tenant_id) == [("sent", 1)] * 6


def test_notice_jobs_run_in_the_worker_and_intake_jobs_in_a_work_horse_with_its_own_database_connection(
    pipeline, own_redis, tmp_path
):
    app, env, _inbox, made = pipeline
    tenant_id, _owner_id = _tenant(app, made, _unique_slug("horse"))
    noted = tmp_path / "where.txt"
    redis = Redis.from_url(own_redis.url)
    job = "tests.fixtures.jobs.note_where_it_ran"
    Queue("notify", connection=redis).enqueue(job, tenant_id, str(noted), "notice")
    Queue("intake", connection=redis).enqueue(job, tenant_id, str(noted), "intake")
    Queue("notify-staff", connection=redis).enqueue(job, tenant_id, str(noted), "notice")
    worker = subprocess.Popen([*DADRAS, "worker", "--burst"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    _out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    ran = [line.split() for line in noted.read_text().splitlines()]
    assert [label for label, _pid, _backend in ran] == ["notice", "intake", "notice"]
    (_, first_pid, first_backend), (_, intake_pid, intake_backend), (_, last_pid, last_backend) = ran
    # Notices in the worker's own process, on the connection its pool keeps.
    assert first_pid == last_pid == str(worker.pid)
    assert first_backend == last_backend
    # The intake job in a forked horse that opened its own connection (never its parent's pooled one).
    assert intake_pid != str(worker.pid)
    assert intake_backend != first_backend


def test_the_relay_offers_each_notice_again_on_its_own_queue(pipeline, own_redis):
    app, _env, _inbox, made = pipeline
    slug = _unique_slug("relay")
    tenant_id, owner_id = _tenant(app, made, slug)
    _agent(app, tenant_id, slug)
    own_redis.stop()
    _register(app, tenant_id, owner_id, 1)  # saved, not queued
    own_redis.start()
    with app.app_context():
        from workers.notices import relay

        assert relay() == 2
    redis = Redis.from_url(own_redis.url)
    assert (redis.llen("rq:queue:notify"), redis.llen("rq:queue:notify-staff")) == (1, 1)
