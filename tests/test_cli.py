"""The `dadras` command: migrate a fresh database and seed the demo tenant."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from tests.fixtures.backends import ADMIN_DATABASE_URL, mark_exercised

ROOT = Path(__file__).resolve().parent.parent


def dadras(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        check=False,
        cwd=ROOT,
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_upgrade_and_seed_demo_on_a_fresh_sqlite_file(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite'}",
        "DADRAS_ENV": "development",
        "BASE_URL": "http://127.0.0.1:5123",
    }
    upgrade = dadras("db", "upgrade", env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    seed = dadras("seed-demo", env=env)
    assert seed.returncode == 0, seed.stderr
    assert "http://127.0.0.1:5123/demo/console/" in seed.stdout
    assert "http://127.0.0.1:5123/demo-kz/console/" in seed.stdout
    assert "owner@demo-clinic.example" in seed.stdout
    assert "owner@demo-shop-kz.example" in seed.stdout
    assert ":5000" not in seed.stdout
    assert "mail (console backend)" not in seed.stderr  # the demo's history mails no one
    assert len((seed.stdout + seed.stderr).splitlines()) < 20
    again = dadras("seed-demo", env=env)
    assert "already there" in again.stdout
    engine = sa.create_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT name FROM tenants WHERE slug = 'demo'")) == "درمانگاه نمونه دادرس"
        staff = "SELECT count(*) FROM staff_members JOIN tenants ON tenants.id = tenant_id WHERE slug = 'demo'"
        assert conn.scalar(sa.text(staff)) == 4
        assert conn.scalar(sa.text("SELECT count(*) FROM units")) > 0
    engine.dispose()
    mark_exercised("sqlite")


def test_db_upgrade_migrates_a_fresh_postgresql_database(pg_database):
    from tests.fixtures.app import _admin_engine, _url_as

    name = pg_database["name"] + "_cli"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" OWNER dadras_test_owner'))
    try:
        env = {"DATABASE_URL": _url_as("dadras_test_owner", name), "DADRAS_ENV": "development"}
        result = dadras("db", "upgrade", env=env)
        assert result.returncode == 0, result.stderr
        engine = sa.create_engine(env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"))
        leakproof = sa.text("SELECT proleakproof FROM pg_proc WHERE oid = 'textlike'::regproc")
        with engine.connect() as conn:
            forced = conn.scalar(sa.text("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'staff_members'"))
        assert forced is True
        refused = dadras("allow-indexed-search", env=env)
        assert refused.returncode != 0
        assert "superuser" in refused.stderr
        admin_user = sa.make_url(ADMIN_DATABASE_URL).username or "postgres"
        superuser = {"DATABASE_URL": _url_as(admin_user, name), "DADRAS_ENV": "development"}
        allowed = dadras("allow-indexed-search", env=superuser)
        assert allowed.returncode == 0, allowed.stderr
        with engine.connect() as conn:
            assert conn.scalar(leakproof) is True
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
