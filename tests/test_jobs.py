"""The job wrapper: (tenant_id, *ids) in the tenant's scope, on a real RQ worker over real Redis, or in-process."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from redis import Redis
from rq import Queue

from tenants.context import current_tenant_id
from tenants.db import db
from tenants.models import StaffMember
from workers.jobs import enqueue, tenant_job, use_app, worker_class

seen: list[tuple[int | None, list[str]]] = []


@tenant_job
def record_visible_staff(member_id: int) -> None:
    """Test job: what the tenant scope lets it see, and a write that must be committed."""
    emails = db.session.scalars(sa.select(StaffMember.email)).all()
    seen.append((current_tenant_id(), list(emails)))
    member = db.session.get(StaffMember, member_id)
    if member is not None:
        member.name = "Renamed by a job"


def test_a_job_runs_in_its_tenants_scope_on_a_real_worker(app, make_tenant, redis_url):
    a, b = make_tenant(), make_tenant()
    seen.clear()
    name = f"test-{uuid.uuid4().hex}"
    connection = Redis.from_url(redis_url)
    queue = Queue(name, connection=connection)
    queue.enqueue(record_visible_staff, a.tenant.id, a.owner.id)
    queue.enqueue(record_visible_staff, a.tenant.id, b.owner.id)
    use_app(app)
    try:
        worker_class(simple=True)([queue], connection=connection).work(burst=True)
    finally:
        use_app(None)
        queue.delete(delete_jobs=True)
        connection.close()
    assert seen == [(a.tenant.id, [a.owner.email]), (a.tenant.id, [a.owner.email])]
    with app.app_context():
        from tenants.context import tenant_scope

        with tenant_scope(b.tenant.id):
            assert db.session.get(StaffMember, b.owner.id).name != "Renamed by a job"
        with tenant_scope(a.tenant.id):
            assert db.session.get(StaffMember, a.owner.id).name == "Renamed by a job"


def test_without_redis_a_job_runs_in_process_after_commit(app, make_tenant):
    made = make_tenant()
    seen.clear()
    with app.test_request_context():
        enqueue(record_visible_staff, made.tenant.id, made.owner.id)
        assert seen == []
        db.session.commit()
    assert seen == [(made.tenant.id, [made.owner.email])]


def test_a_job_is_dropped_when_the_transaction_rolls_back(app, make_tenant):
    made = make_tenant()
    seen.clear()
    with app.test_request_context():
        enqueue(record_visible_staff, made.tenant.id, made.owner.id)
        db.session.rollback()
    assert seen == []


def test_a_job_given_no_app_fails_rather_than_building_one(make_tenant):
    made = make_tenant()
    seen.clear()
    with pytest.raises(RuntimeError, match="dadras worker"):
        record_visible_staff(made.tenant.id, made.owner.id)
    assert seen == []
