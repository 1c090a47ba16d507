"""`dadras backup` and `dadras restore` on real PostgreSQL: every complaint and its log survive into a new
database with row-level security still forced; a dump as a role RLS applies to is refused; the restored copy,
like any other installation, makes Message-IDs of its own."""

from __future__ import annotations

import time
import uuid

import pytest
import sqlalchemy as sa

from services.complaints.models import Complaint, ComplaintEvent
from services.complaints.registration import ComplaintInput, register_complaint
from tenants.context import tenant_scope
from tenants.db import db, tenant_owned_tables
from tenants.models import StaffMember, Tenant
from tests.fixtures.app import ADMIN_DATABASE_URL, APP_ROLE, OWNER_ROLE, _admin_engine, _url_as, base_overrides
from tests.fixtures.app import migrate as migrate_database
from tests.fixtures.backends import mark_exercised
from tests.fixtures.committing import remove_committed, sign_up_committed
from web import create_app

SUPERUSER = sa.make_url(ADMIN_DATABASE_URL).username or "postgres"


def _app(tmp_path, database_url: str, **overrides):
    return create_app(base_overrides(tmp_path) | {"SQLALCHEMY_DATABASE_URI": database_url} | overrides)


def _counts(app, tenant_id: int) -> tuple[int, int]:
    with app.app_context(), tenant_scope(tenant_id):
        complaints = db.session.scalar(sa.select(sa.func.count()).select_from(Complaint))
        events = db.session.scalar(sa.select(sa.func.count()).select_from(ComplaintEvent))
        db.session.remove()
    return complaints, events


@pytest.fixture
def filled(pg_database, tmp_path):
    """An organization with three complaints (each with its log), committed, in the shared test database."""
    app = _app(tmp_path, pg_database["app"])
    slug = f"backup-{time.monotonic_ns() % 10**9}"
    tenant_id, owner_id = sign_up_committed(app, slug, name="Clinic", locale="fa")
    for n in range(3):
        with app.app_context(), tenant_scope(tenant_id):
            register_complaint(
                db.session.get(StaffMember, owner_id),
                db.session.get(Tenant, tenant_id),
                ComplaintInput(
                    channel="phone",
                    complainant_name=f"مشتری {n}",
                    subject=f"شکایت {n}",
                    description="دو ساعت معطل شدم.",
                ),
            )
            db.session.commit()
            db.session.remove()
    yield app, tenant_id
    remove_committed(pg_database, [app], [tenant_id])


@pytest.fixture
def empty_database():
    """A new, empty database owned by the tables' owner, dropped after the test."""
    name = f"dadras_restore_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" OWNER "{OWNER_ROLE}"'))
    yield name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_backup_restores_every_complaint_and_its_log_with_row_level_security_forced(
    filled, pg_database, empty_database, tmp_path
):
    app, tenant_id = filled
    before = _counts(app, tenant_id)
    assert before[0] == 3
    assert before[1] >= 3
    dump = tmp_path / "dadras.dump"
    source = _app(tmp_path, pg_database["app"], BACKUP_DATABASE_URL=_url_as(SUPERUSER, pg_database["name"]))
    backed = source.test_cli_runner().invoke(args=["backup", str(dump)])
    assert backed.exit_code == 0, backed.output
    with source.app_context():
        from services.mail import installation_id

        original_id = installation_id()
        db.session.remove()
        db.engine.dispose()

    copy_url = _url_as(APP_ROLE, empty_database)
    target = _app(
        tmp_path, copy_url, BACKUP_DATABASE_URL=_url_as(SUPERUSER, empty_database), DATABASE_APP_ROLE=APP_ROLE
    )
    restored = target.test_cli_runner().invoke(args=["restore", str(dump)])
    assert restored.exit_code == 0, restored.output

    assert _counts(target, tenant_id) == before  # read as the application role, in the tenant's scope
    with target.app_context():
        from services.mail import installation_id

        assert installation_id() != original_id
        db.session.remove()
        with db.engine.connect() as connection:  # the application role with no tenant set sees nothing
            assert connection.scalar(sa.text("SELECT count(*) FROM complaints")) == 0
        db.engine.dispose()
    superuser = sa.create_engine(_url_as(SUPERUSER, empty_database), poolclass=sa.pool.NullPool)
    with superuser.connect() as connection:
        forced = dict(
            connection.execute(
                sa.text("SELECT relname, relforcerowsecurity FROM pg_class WHERE relname = ANY(:names)"),
                {"names": [t.name for t in tenant_owned_tables()]},
            ).all()
        )
        leakproof = connection.scalar(sa.text("SELECT proleakproof FROM pg_proc WHERE proname = 'textlike'"))
        owner = connection.scalar(sa.text("SELECT tableowner FROM pg_tables WHERE tablename = 'complaints'"))
    superuser.dispose()
    assert forced == {t.name: True for t in tenant_owned_tables()}
    assert leakproof is True
    assert owner == OWNER_ROLE
    # A second restore over it is refused.
    again = target.test_cli_runner().invoke(args=["restore", str(dump)])
    assert again.exit_code != 0
    assert "not empty" in again.output


def test_a_backup_as_a_role_row_level_security_applies_to_is_refused(pg_database, tmp_path):
    app = _app(tmp_path, pg_database["app"], BACKUP_DATABASE_URL=pg_database["owner"])
    done = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "owner.dump")])
    assert done.exit_code != 0
    assert "row-level security" in done.output
    assert not (tmp_path / "owner.dump").exists()
    mark_exercised("postgresql")


def test_two_installations_make_different_message_ids_for_the_same_notice(tmp_path):
    from services.gateways.base import Outgoing
    from services.notifications.senders import email_message

    ids = []
    for name in ("first", "second"):
        url = f"sqlite:///{tmp_path / name}.sqlite"
        migrate_database(url)
        app = _app(tmp_path, url)
        with app.test_request_context():
            out = Outgoing(
                tenant_id=1,
                notice_id=7,
                channel="email",
                recipient="sara@example.com",
                locale="fa",
                subject="Subject",
                body="Body",
                organization="Clinic",
            )
            ids.append(email_message(out)["Message-ID"])
            assert email_message(out)["Message-ID"] == ids[-1]  # a retry carries the same one
            db.session.remove()
            db.engine.dispose()
    assert ids[0] != ids[1]
    assert all(i.startswith("<dadras-1-7@") for i in ids)
