"""Asking for a password reset does the same work for a staff address and for any other: no lookup, no row and
no e-mail in the request (a job does them), so its answer and its time tell nothing."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from services.notifications.models import Notice
from tenants.context import tenant_scope
from tenants.db import db
from web.auth import mail


def _ask(app, client, slug: str, email: str) -> tuple[int, int, str]:
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.post(f"/{slug}/console/password/forgot", data={"email": email})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return response.status_code, len(statements), response.headers.get("Location", "")


def _notices(app, tenant_id: int) -> int:
    with app.app_context(), tenant_scope(tenant_id):
        return db.session.scalar(sa.select(sa.func.count()).select_from(Notice).where(Notice.event == "password_reset"))


def test_a_staff_address_and_an_unknown_one_cost_the_request_the_same(app, make_tenant, monkeypatch):
    made = make_tenant()
    queued: list[tuple] = []
    monkeypatch.setattr(mail, "enqueue", lambda job, *args: queued.append((job, *args)))
    client = app.test_client()
    slug = made.tenant.slug
    _ask(app, client, slug, "warm-up@example.com")  # the first request of a process fills its caches
    known = _ask(app, client, slug, made.owner.email)
    unknown = _ask(app, client, slug, "ghost@example.com")
    assert known == unknown
    assert _notices(app, made.tenant.id) == 0  # nothing written while the visitor waits
    assert [q[0] for q in queued] == [mail.send_password_reset] * 3
    assert [q[1] for q in queued] == [made.tenant.id] * 3


def test_the_job_mails_a_staff_address_and_nobody_else(app, make_tenant):
    made = make_tenant()
    with app.app_context():
        mail.send_password_reset(made.tenant.id, "ghost@example.com")
    assert _notices(app, made.tenant.id) == 0
    with app.app_context():
        mail.send_password_reset(made.tenant.id, made.owner.email.upper())
    assert _notices(app, made.tenant.id) == 1
    sent = app.extensions.get("dadras.sent_mail", [])
    assert len(sent) == 1
    body = sent[0].get_body(("plain",)).get_content()
    assert f"http://127.0.0.1:5000/{made.tenant.slug}/console/password/reset/" in body
