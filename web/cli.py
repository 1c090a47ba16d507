"""The `dadras` command: a Flask CLI group over web.create_app (run, db, seed-demo, …)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext
from flask.cli import run_command as flask_run_command


def _create_app() -> Flask:
    from web import create_app

    return create_app()


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_default_commands=False,
    help="Dadras: complaint handling after ISO 10002.",
)
def cli() -> None:
    pass


DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - the demo's, printed for anyone to log in


def _demo_logins(base_url: str, password: str | None) -> list[str]:
    """Where each demo organization that exists opens and who logs in there, under `base_url`."""
    import sqlalchemy as sa

    from services.onboarding.demo import DEMOS
    from tenants.db import db
    from tenants.models import Tenant

    there = set(db.session.scalars(sa.select(Tenant.slug).where(Tenant.slug.in_([d.slug for d in DEMOS]))))
    base = base_url.rstrip("/")
    lines = []
    for demo in DEMOS:
        if demo.slug in there:
            lines.append(f"  {demo.name}: {base}/{demo.slug}/console/")
            lines.append(f"    log in as {demo.owner_email}" + (f" with password {password}" if password else ""))
    return lines


@click.command("seed-demo")
@click.option("--password", default=DEMO_PASSWORD, show_default=True, help="The password of every demo login.")
@with_appcontext
def seed_demo_command(password: str) -> None:
    """Create the demo organizations (a clinic in Persian, a shop in Almaty in Russian and Kazakh), once."""
    from flask import current_app

    from services.onboarding.demo import seed_demo
    from tenants.db import db

    created = seed_demo(password)
    db.session.commit()
    click.echo("demo organizations " + ("created:" if created else "already there:"))
    for line in _demo_logins(current_app.config["BASE_URL"], password if created else None):
        click.echo(line)


def _run(**options: object) -> None:
    """Say where the demo organizations open at this address and port, then serve as `flask run` does."""
    import os

    from flask.cli import ScriptInfo

    ctx = click.get_current_context()
    if os.environ.get("WERKZEUG_RUN_MAIN") != "true":  # the reloader's child: said once already
        app = ctx.ensure_object(ScriptInfo).load_app()
        with app.app_context():
            lines = _demo_logins(f"http://{options['host']}:{options['port']}", None)
        if lines:
            click.echo(f"Dadras demo (password: the one given to seed-demo, by default {DEMO_PASSWORD}):")
            for line in lines:
                click.echo(line)
    ctx.invoke(flask_run_command, **options)


run_command = click.Command(
    "run", callback=_run, params=flask_run_command.params, help=flask_run_command.help, short_help="Serve Dadras."
)
cli.add_command(run_command)
cli.add_command(shell_command)
cli.add_command(routes_command)


@click.command("grant-app-role")
@with_appcontext
def grant_app_role_command() -> None:
    """Grant DATABASE_APP_ROLE its data rights on PostgreSQL (as the owner; migrations do this too)."""
    import sqlalchemy as sa
    from flask import current_app

    from tenants.rls import grant_app_role

    url = current_app.config.get("MIGRATION_DATABASE_URL") or current_app.config["SQLALCHEMY_DATABASE_URI"]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    if engine.dialect.name != "postgresql":
        raise click.ClickException("grant-app-role is for PostgreSQL")
    with engine.begin() as connection:
        for statement in grant_app_role(current_app.config["DATABASE_APP_ROLE"]):
            connection.execute(sa.text(statement))
    engine.dispose()
    click.echo(f"granted {current_app.config['DATABASE_APP_ROLE']} its rights")


@click.command("allow-indexed-search")
@with_appcontext
def allow_indexed_search_command() -> None:
    """Let complaint search use its index under row-level security (run once per database, as a superuser)."""
    import sqlalchemy as sa
    from flask import current_app

    from tenants.rls import SEARCH_LEAKPROOF

    url = current_app.config.get("MIGRATION_DATABASE_URL") or current_app.config["SQLALCHEMY_DATABASE_URI"]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    if engine.dialect.name != "postgresql":
        raise click.ClickException("allow-indexed-search is for PostgreSQL")
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(SEARCH_LEAKPROOF))
    except sa.exc.ProgrammingError as exc:
        raise click.ClickException("this needs a superuser: set MIGRATION_DATABASE_URL to one") from exc
    finally:
        engine.dispose()
    click.echo("complaint search may now use its index")


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump and pg_restore from a SQLAlchemy URL, its password in the environment
    (never on a command line that `ps` shows)."""
    import os

    import sqlalchemy as sa

    parsed = sa.make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, env


def _backup_engine():
    """An engine on BACKUP_DATABASE_URL, refused unless that role is a superuser or may bypass row-level security
    (forced on every tenant-owned table, the owner's included: a dump as anyone else misses every complaint)."""
    import sqlalchemy as sa
    from flask import current_app

    url = current_app.config.get("BACKUP_DATABASE_URL")
    if not url:
        raise click.ClickException(
            "set BACKUP_DATABASE_URL to a superuser, or a role with BYPASSRLS (see deploy/README.md)"
        )
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    if engine.dialect.name != "postgresql":
        raise click.ClickException("backup and restore are for PostgreSQL")
    return url, engine


def _tool(name: str, engine) -> str:
    """The path of pg_dump or pg_restore, refused when older than the server (it could not read its catalog)."""
    import re
    import shutil
    import subprocess

    import sqlalchemy as sa

    path = shutil.which(name)
    if path is None:
        raise click.ClickException(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    said = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    tool_major = int(re.search(r"\)\s*(\d+)", said).group(1))  # "pg_dump (PostgreSQL) 15.20 (Debian …)"
    with engine.connect() as connection:
        server_major = int(connection.scalar(sa.text("SHOW server_version_num"))) // 10000
    if tool_major < server_major:
        raise click.ClickException(
            f"{name} {tool_major} is older than the server ({server_major}): install a newer one"
        )
    return path


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(file: str) -> None:
    """Dump the whole database to FILE (pg_dump's custom format) as BACKUP_DATABASE_URL, every row included."""
    import subprocess

    import sqlalchemy as sa

    url, engine = _backup_engine()
    try:
        with engine.connect() as connection:
            allowed = connection.scalar(
                sa.text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        if not allowed:
            raise click.ClickException(
                "BACKUP_DATABASE_URL's role is subject to row-level security, so its dump would hold no complaints: "
                "use a superuser or a role with BYPASSRLS"
            )
        dump = _tool("pg_dump", engine)
    finally:
        engine.dispose()
    target, env = _libpq(url)
    done = subprocess.run(  # noqa: S603 - the tool on PATH; the file and URL are the operator's
        [dump, "--format=custom", "--no-password", f"--file={file}", target], env=env, check=False
    )
    if done.returncode != 0:
        raise click.ClickException(f"pg_dump failed ({done.returncode}); {file} is not a backup")
    click.echo(f"backed up to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_command(file: str) -> None:
    """Restore FILE (from `dadras backup`) into the empty database of BACKUP_DATABASE_URL (a superuser), then
    grant the application role its rights, let search use its index, and give the installation a new id."""
    import secrets
    import subprocess

    import sqlalchemy as sa
    from flask import current_app

    from tenants.rls import SEARCH_LEAKPROOF, grant_app_role

    url, engine = _backup_engine()
    try:
        with engine.connect() as connection:
            if not connection.scalar(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
                raise click.ClickException("restoring needs a superuser in BACKUP_DATABASE_URL")
            if connection.scalar(sa.text("SELECT to_regclass('public.alembic_version') IS NOT NULL")):
                raise click.ClickException("the database is not empty: restore into a new one (see deploy/README.md)")
        restore = _tool("pg_restore", engine)
        target, env = _libpq(url)
        done = subprocess.run(  # noqa: S603 - the tool on PATH; the file and URL are the operator's
            [restore, "--exit-on-error", "--no-password", "--single-transaction", f"--dbname={target}", file],
            env=env,
            check=False,
        )
        if done.returncode != 0:
            raise click.ClickException(f"pg_restore failed ({done.returncode}); the database was left as it was")
        with engine.begin() as connection:
            # What a dump does not carry, or carries for a role another cluster may not have.
            for statement in grant_app_role(current_app.config["DATABASE_APP_ROLE"]):
                connection.execute(sa.text(statement))
            connection.execute(sa.text(SEARCH_LEAKPROOF))
            # A new id: the copy's Message-IDs never repeat those the original sent after the dump.
            connection.execute(sa.text("UPDATE installation SET id = :id"), {"id": secrets.token_hex(6)})
    finally:
        engine.dispose()
    click.echo(f"restored {file}")


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--simple", is_flag=True, help="Run jobs in this process instead of a fork per job.")
@with_appcontext
def worker_command(queues: tuple[str, ...], burst: bool, simple: bool) -> None:
    """Run an RQ worker on QUEUES (default: notify, intake, notify-staff, default), taken in that order, with the
    app built once; it waits out a Redis outage."""
    from flask import current_app

    from workers.jobs import run_worker
    from workers.queues import QUEUES

    if not current_app.config.get("REDIS_URL"):
        raise click.UsageError("REDIS_URL is not set; without Redis, jobs run inside the web process")
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown:
        raise click.UsageError(f"unknown queue(s): {', '.join(unknown)}; the queues are {', '.join(QUEUES)}")
    run_worker(current_app._get_current_object(), queues or QUEUES, burst=burst, simple=simple)


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Enqueue the periodic jobs (the outbox relay, …) at their intervals; a second scheduler waits as a spare."""
    import logging

    from flask import current_app

    from workers.periodic import run_scheduler

    if not current_app.config.get("REDIS_URL"):
        raise click.UsageError("REDIS_URL is not set; without Redis, the web process runs the periodic jobs")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    run_scheduler(current_app._get_current_object())


def register_commands(app: Flask) -> None:
    """Add the project's commands to `app.cli` (Flask-Migrate adds `db`)."""
    app.cli.add_command(worker_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(grant_app_role_command)
    app.cli.add_command(allow_indexed_search_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


if __name__ == "__main__":
    cli()
