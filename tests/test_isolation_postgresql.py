"""The PostgreSQL lock: forced RLS with a policy on every tenant_id table, as a role that owns nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tenants.db import db, tenant_owned_tables

pytestmark = pytest.mark.parametrize("db_backend", ["postgresql"])

SET_TENANT = sa.text("SELECT set_config('app.tenant_id', :t, true)")


def test_every_tenant_id_table_has_forced_rls_and_a_policy(app):
    with app.app_context():
        rows = db.session.execute(
            sa.text(
                """
                SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                       (SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname) AS policies
                FROM information_schema.columns col
                JOIN pg_class c ON c.relname = col.table_name
                JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = col.table_schema
                WHERE col.column_name = 'tenant_id' AND col.table_schema = 'public' AND c.relkind = 'r'
                """
            )
        ).all()
    tables = {r.relname for r in rows}
    assert tables == {t.name for t in tenant_owned_tables()}
    for row in rows:
        assert row.relrowsecurity, row.relname
        assert row.relforcerowsecurity, row.relname
        assert row.policies >= 1, row.relname


def test_app_role_owns_no_table_and_cannot_bypass_rls(app):
    with app.app_context():
        role = db.session.execute(
            sa.text("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).one()
        owned = db.session.scalar(
            sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
        )
    assert not role.rolsuper
    assert not role.rolbypassrls
    assert owned == 0


def test_raw_sql_under_tenant_a_sees_none_of_b(app, make_tenant):
    a, b = make_tenant(), make_tenant()
    with app.app_context():
        for table in tenant_owned_tables():
            db.session.execute(SET_TENANT, {"t": str(a.tenant.id)})
            foreign = db.session.scalar(
                sa.text(f"SELECT count(*) FROM {table.name} WHERE tenant_id = :b"), {"b": b.tenant.id}
            )
            assert foreign == 0, table.name
        own = db.session.scalar(sa.text("SELECT count(*) FROM staff_members"))
        assert own == 1


def test_with_no_tenant_set_raw_sql_sees_zero_rows(app, make_tenant):
    make_tenant()
    make_tenant()
    with app.app_context():
        db.session.execute(SET_TENANT, {"t": ""})
        for table in tenant_owned_tables():
            assert db.session.scalar(sa.text(f"SELECT count(*) FROM {table.name}")) == 0, table.name


def test_raw_update_cannot_reach_another_tenant(app, make_tenant):
    a, b = make_tenant(), make_tenant()
    with app.app_context():
        db.session.execute(SET_TENANT, {"t": str(a.tenant.id)})
        result = db.session.execute(
            sa.text("UPDATE staff_members SET name = 'hijacked' WHERE id = :id"), {"id": b.owner.id}
        )
        assert result.rowcount == 0


def test_raw_insert_for_another_tenant_is_refused(app, make_tenant):
    a, b = make_tenant(), make_tenant()
    with app.app_context():
        db.session.execute(SET_TENANT, {"t": str(a.tenant.id)})
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"), db.session.begin_nested():
            db.session.execute(
                sa.text(
                    "INSERT INTO units (tenant_id, key, names, position, is_active) VALUES (:b, 'x', '{}', 0, true)"
                ),
                {"b": b.tenant.id},
            )
