"""Pooled connections on real PostgreSQL: one that sat idle is checked before use, a fresh one is not."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from tests.fixtures.app import SECRET, _admin_engine, base_overrides
from tests.fixtures.backends import mark_exercised
from web import create_app


@pytest.fixture
def made():
    from tenants.db import db

    apps = []
    yield apps
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _app(made, pg_database, tmp_path, ping_after: float):
    overrides = base_overrides(tmp_path) | {
        "SQLALCHEMY_DATABASE_URI": pg_database["app"],
        "SECRET_KEY": SECRET,
        "DATABASE_PING_AFTER": ping_after,
    }
    app = create_app(overrides)
    made.append(app)
    return app


def _backend_pid(app) -> int:
    from tenants.db import db

    with app.app_context():
        pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        db.session.rollback()
        db.session.remove()
    return pid


def _terminate(pid: int) -> None:
    admin = _admin_engine()
    with admin.connect() as conn:
        assert conn.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    time.sleep(0.1)


def _count_pings(app) -> list[int]:
    from tenants.db import db

    with app.app_context():
        dialect = db.engine.dialect
    calls: list[int] = []
    original = dialect.do_ping

    def counted(dbapi_connection):
        calls.append(1)
        return original(dbapi_connection)

    dialect.do_ping = counted
    return calls


def test_an_idle_connection_dropped_by_the_server_is_replaced_unseen(made, pg_database, tmp_path):
    mark_exercised("postgresql")
    app = _app(made, pg_database, tmp_path, ping_after=0.2)
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    first = _backend_pid(app)
    _terminate(first)  # as a restart or an idle timeout would
    time.sleep(0.3)
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json["checks"]["database"] == "ok"
    assert _backend_pid(app) != first


def test_a_connection_back_from_a_request_a_moment_ago_is_not_pinged(made, pg_database, tmp_path):
    mark_exercised("postgresql")
    app = _app(made, pg_database, tmp_path, ping_after=60)
    pings = _count_pings(app)
    client = app.test_client()
    for _ in range(5):
        assert client.get("/readyz").status_code == 200
    assert pings == []

    idle = _app(made, pg_database, tmp_path, ping_after=0.05)
    pings = _count_pings(idle)
    client = idle.test_client()
    for _ in range(3):
        assert client.get("/readyz").status_code == 200
        time.sleep(0.1)
    assert len(pings) == 2  # the first checkout opened a new connection; the next two had waited
