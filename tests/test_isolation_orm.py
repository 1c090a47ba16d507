"""The ORM lock: filtered queries, stamped inserts, refusal with no tenant — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.catalog.models import Unit
from tenants.context import NoTenantInScope, platform_scope, tenant_scope
from tenants.db import db
from tenants.models import StaffMember


def test_query_on_tenant_owned_model_with_no_tenant_raises(app, make_tenant):
    make_tenant()
    with app.app_context(), pytest.raises(NoTenantInScope):
        db.session.scalars(sa.select(StaffMember)).all()


def test_scope_a_sees_only_its_own_rows(app, make_tenant):
    a, b = make_tenant(), make_tenant()
    with app.app_context():
        with tenant_scope(a.tenant.id):
            emails = db.session.scalars(sa.select(StaffMember.email)).all()
            units = db.session.scalars(sa.select(Unit.tenant_id)).all()
        assert emails == [a.owner.email]
        assert units
        assert set(units) == {a.tenant.id}
        assert b.owner.email not in emails


def test_scope_a_cannot_load_b_row_by_id(app, make_tenant):
    a, b = make_tenant(), make_tenant()
    with app.app_context(), tenant_scope(a.tenant.id):
        assert db.session.get(StaffMember, b.owner.id) is None
        assert db.session.get(StaffMember, a.owner.id) is not None


def test_identity_map_does_not_leak_across_scopes(app, make_tenant):
    a, b = make_tenant(), make_tenant()
    with app.app_context():
        with tenant_scope(b.tenant.id):
            assert db.session.get(StaffMember, b.owner.id) is not None
        with tenant_scope(a.tenant.id):
            assert db.session.get(StaffMember, b.owner.id) is None


def test_insert_is_stamped_with_tenant_in_scope(app, make_tenant):
    a = make_tenant()
    with app.app_context(), tenant_scope(a.tenant.id):
        unit = Unit(key="extra", names={"en": "Extra"})
        db.session.add(unit)
        db.session.flush()
        assert unit.tenant_id == a.tenant.id


def test_insert_with_no_tenant_raises(app):
    with app.app_context():
        db.session.add(Unit(key="orphan", names={"en": "Orphan"}))
        with pytest.raises(NoTenantInScope):
            db.session.flush()
        db.session.rollback()


def test_writing_another_tenants_row_raises(app, make_tenant):
    a, b = make_tenant(), make_tenant()
    with app.app_context(), tenant_scope(a.tenant.id):
        db.session.add(Unit(key="smuggled", names={"en": "X"}, tenant_id=b.tenant.id))
        with pytest.raises(NoTenantInScope):
            db.session.flush()
        db.session.rollback()


def test_bulk_update_touches_only_the_tenant_in_scope(app, make_tenant):
    a, b = make_tenant(), make_tenant()
    with app.app_context():
        with tenant_scope(a.tenant.id):
            db.session.execute(sa.update(Unit).values(is_active=False))
            db.session.commit()
        with tenant_scope(b.tenant.id):
            assert all(db.session.scalars(sa.select(Unit.is_active)).all())


def test_platform_scope_reads_the_tenant_registry(app, make_tenant):
    a, b = make_tenant(), make_tenant()
    from tenants.models import Tenant

    with app.app_context(), platform_scope():
        slugs = set(db.session.scalars(sa.select(Tenant.slug)).all())
    assert {a.tenant.slug, b.tenant.slug} <= slugs


def test_counts_and_joins_are_filtered_too(app, make_tenant):
    a, _b = make_tenant(), make_tenant()
    with app.app_context():
        with tenant_scope(a.tenant.id):
            counted = db.session.scalar(sa.select(sa.func.count()).select_from(StaffMember))
        assert counted == 1
        with pytest.raises(NoTenantInScope):
            db.session.scalar(sa.select(sa.func.count()).select_from(Unit))


def test_the_overview_counts_only_the_tenants_own_staff(client, make_tenant, make_user, login_as):
    a, b = make_tenant(), make_tenant()
    for _ in range(3):
        make_user(b.tenant)
    login_as(client, a.tenant, a.owner)
    assert 'id="stat-staff">1<' in client.get(f"/{a.tenant.slug}/console/settings/").get_data(as_text=True)


def test_a_released_savepoint_does_not_release_after_commit_work(app):
    from tenants.db import after_commit

    ran: list[str] = []
    with app.app_context():
        after_commit(lambda: ran.append("sent"))
        with db.session.begin_nested():
            pass
        assert ran == []
        db.session.rollback()
    assert ran == []


def test_a_core_statement_on_a_tenant_owned_table_is_refused_even_in_scope(app, make_tenant):
    import sqlalchemy as sa

    from tenants.context import NoTenantInScope, tenant_scope
    from tenants.db import db
    from tenants.models import StaffMember

    made = make_tenant()
    with app.app_context(), tenant_scope(made.tenant.id), pytest.raises(NoTenantInScope):
        db.session.execute(sa.select(StaffMember.__table__))
