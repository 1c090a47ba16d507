"""A notice is sent once even when its batch outlives the lease (a slow mail server), with two workers on
PostgreSQL at once and a real SMTP server; a worker whose claim was taken over records nothing over the other's.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from services.notifications import delivery
from services.notifications.models import Notice, NoticeStatus
from tenants.context import tenant_scope
from tenants.db import db
from tests.fixtures.mailserver import free_port


class SlowInbox:
    """aiosmtpd handler that takes `delay` seconds over each message; `first_answer` refuses the first one."""

    def __init__(self, delay: float, first_answer: str | None = None) -> None:
        self.delay = delay
        self.first_answer = first_answer
        self.messages: list = []
        self.seen = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.seen += 1
        first = self.seen == 1
        await asyncio.sleep(self.delay if first or not self.first_answer else 0)
        if first and self.first_answer:
            return self.first_answer
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def slow_mail():
    """Start a slow SMTP server of the test's own: `slow_mail(delay, first_answer=None)` → (port, inbox)."""
    started: list[Controller] = []

    def start(delay: float, first_answer: str | None = None) -> tuple[int, SlowInbox]:
        inbox = SlowInbox(delay, first_answer)
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        return controller.port, inbox

    yield start
    for controller in started:
        controller.stop()


def _write_notices(app, tenant_id: int, count: int) -> list[int]:
    with app.app_context(), tenant_scope(tenant_id):
        notices = [
            Notice(
                event="registered",
                audience="customer",
                channel="email",
                recipient=f"customer{i}@example.com",
                locale="en",
                subject=f"Complaint {i} received",
                body=f"We have your complaint {i}.",
                idempotency_key=f"claims:{uuid.uuid4().hex}:{i}",
            )
            for i in range(count)
        ]
        db.session.add_all(notices)
        db.session.commit()
        ids = [n.id for n in notices]
        db.session.remove()
    return ids


def _statuses(app, tenant_id: int) -> list[tuple[str, int]]:
    with app.app_context(), tenant_scope(tenant_id):
        rows = [(n.status, n.attempts) for n in db.session.scalars(sa.select(Notice).order_by(Notice.id))]
        db.session.remove()
    return rows


def test_two_workers_on_a_slow_mail_server_send_each_of_70_notices_once(committing, slow_mail):
    """A batch of 50 takes about 7 s at 0.14 s a mail, far past the 4 s lease: the batch keeps its notices by
    renewing, so the other worker, offered them again and again as the relay does, never sends them too. (A
    send that outlasts two thirds of the lease is the one case a notice goes twice; with 2 s, a machine busy
    with other tests can stall a 0.14 s send that long. The production lease is 120 s against a 20 s mail
    timeout.)"""
    port, inbox = slow_mail(0.14)
    app, tenant_id, _slug = committing(MAIL_BACKEND="smtp", SMTP_URL=f"smtp://127.0.0.1:{port}", NOTICE_LEASE_SECONDS=4)
    ids = _write_notices(app, tenant_id, 70)
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def worker(first: list[int]) -> None:
        """Deliver `first`, then, like a worker fed by the relay, whatever of the 70 is due, until all are sent."""
        try:
            with app.app_context(), tenant_scope(tenant_id):
                start.wait(10)
                delivery.deliver_batch(first)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    db.session.rollback()
                    unsent = db.session.scalars(sa.select(Notice.id).where(Notice.status != NoticeStatus.SENT)).all()
                    if not unsent:
                        break
                    delivery.deliver_batch(sorted(unsent)[:50])
                    time.sleep(0.1)
                db.session.remove()
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(batch,)) for batch in (ids[:50], ids[50:])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert failures == []
    assert len(inbox.messages) == 70
    assert _statuses(app, tenant_id) == [("sent", 1)] * 70
    assert sorted(m["To"] for m in inbox.messages) == sorted(f"customer{i}@example.com" for i in range(70))


def test_a_worker_whose_claim_was_taken_over_does_not_overwrite_the_result(committing, slow_mail):
    """Worker A's send takes 3 s and is refused (451) at the end; meanwhile its 1 s lease ran out and worker B
    claimed the notice and sent it. A's late failure must not turn B's "sent" back into "pending"."""
    port, inbox = slow_mail(3, first_answer="451 4.3.0 Try again later")
    app, tenant_id, _slug = committing(MAIL_BACKEND="smtp", SMTP_URL=f"smtp://127.0.0.1:{port}", NOTICE_LEASE_SECONDS=1)
    (notice_id,) = _write_notices(app, tenant_id, 1)
    outcomes: dict[str, dict[str, int]] = {}
    failures: list[BaseException] = []

    def worker(name: str, wait: float) -> None:
        try:
            time.sleep(wait)
            with app.app_context(), tenant_scope(tenant_id):
                outcomes[name] = delivery.deliver_batch([notice_id])
                db.session.remove()
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=("a", 0)), threading.Thread(target=worker, args=("b", 1.5))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    assert outcomes == {"b": {"sent": 1}, "a": {"lost": 1}}
    assert _statuses(app, tenant_id) == [("sent", 2)]
    assert len(inbox.messages) == 1
    with app.app_context(), tenant_scope(tenant_id):
        notice = db.session.get(Notice, notice_id)
        assert (notice.last_error, notice.reason, notice.claim_token) == (None, None, None)
        db.session.remove()
