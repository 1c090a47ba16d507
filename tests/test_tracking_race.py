"""Tracking codes stay unique across tenants when registrations race on PostgreSQL (real commits)."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa

from services.complaints import registration
from services.complaints.models import Complaint, TrackingCode
from services.complaints.registration import ComplaintInput, register_complaint
from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import StaffMember, Tenant
from tests.fixtures.app import base_overrides
from tests.fixtures.committing import remove_committed, sign_up_committed
from web import create_app

SAME = "1234567890128"


@pytest.fixture
def committing_app(pg_database, tmp_path):
    """An app on the test database whose transactions really commit; its tenants are removed afterwards."""
    app = create_app(base_overrides(tmp_path) | {"SQLALCHEMY_DATABASE_URI": pg_database["app"]})
    made: list[int] = []
    yield app, made
    remove_committed(pg_database, [app], made)


def test_two_tenants_drawing_the_same_code_at_once_both_register_with_different_codes(committing_app, monkeypatch):
    app, made = committing_app
    for n in range(2):
        slug = f"race-{n}-{uuid.uuid4().hex[:8]}"
        tenant_id, _owner_id = sign_up_committed(
            app, slug, name=f"Race {n}", timezone="Asia/Almaty", owner_email=f"owner@{slug}.kz"
        )
        made.append(tenant_id)
    draws = iter([SAME, SAME])
    fresh = iter(["4001234567893", "7009876543215", "5558675309000"])
    lock = threading.Lock()

    def draw() -> str:
        with lock:
            return next(draws, None) or next(fresh)

    monkeypatch.setattr(registration, "new_code", draw)
    start = threading.Barrier(2)
    codes: dict[int, str] = {}
    errors: list[BaseException] = []

    def register(tenant_id: int) -> None:
        try:
            with app.app_context(), tenant_scope(tenant_id):
                tenant = db.session.get(Tenant, tenant_id)
                owner = db.session.scalars(sa.select(StaffMember)).one()
                start.wait(timeout=10)
                data = ComplaintInput(channel="phone", complainant_name="A", subject="S", description="D")
                complaint = register_complaint(owner, tenant, data)
                db.session.commit()
                codes[tenant_id] = complaint.code
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(tenant_id,)) for tenant_id in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert len(codes) == 2
    assert SAME in codes.values()
    assert len(set(codes.values())) == 2
    with app.app_context():
        for tenant_id in made:
            with tenant_scope(tenant_id):
                assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 1
                assert db.session.scalar(sa.select(TrackingCode.code)) == codes[tenant_id]
