"""The `dadras` command: a Flask CLI group over web.create_app (run, db, seed-demo, …)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext


def _create_app() -> Flask:
    from web import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, help="Dadras: complaint handling after ISO 10002.")
def cli() -> None:
    pass


@click.command("seed-demo")
@click.option("--password", default="demo-password-2026", show_default=True, help="The demo owner's password.")
@with_appcontext
def seed_demo_command(password: str) -> None:
    """Create the demo tenant (slug demo, a clinic, in Persian) with its owner, once."""
    from services.onboarding.demo import DEMO_EMAIL, DEMO_SLUG, seed_demo
    from tenants.db import db

    created = seed_demo(password)
    db.session.commit()
    state = "created" if created else "already there"
    click.echo(f"demo tenant {state}: http://127.0.0.1:5000/{DEMO_SLUG}/console/")
    click.echo(f"  log in as {DEMO_EMAIL} with password {password}")


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


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--simple", is_flag=True, help="Run jobs in this process instead of a fork per job.")
@with_appcontext
def worker_command(queues: tuple[str, ...], burst: bool, simple: bool) -> None:
    """Run an RQ worker on QUEUES (default: notify, intake, default), with the app built once."""
    from flask import current_app
    from rq import SimpleWorker, Worker

    from workers.jobs import use_app
    from workers.queues import QUEUES, connection, queue

    if not current_app.config.get("REDIS_URL"):
        raise click.UsageError("REDIS_URL is not set; without Redis, jobs run inside the web process")
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown:
        raise click.UsageError(f"unknown queue(s): {', '.join(unknown)}; the queues are {', '.join(QUEUES)}")
    use_app(current_app._get_current_object())
    kind = SimpleWorker if simple else Worker
    kind([queue(name) for name in queues or QUEUES], connection=connection(timeout=None)).work(burst=burst)


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the periodic jobs (the outbox relay, …) at their intervals: one such process per deployment."""
    from flask import current_app

    from workers.periodic import run_scheduler

    if not current_app.config.get("REDIS_URL"):
        raise click.UsageError("REDIS_URL is not set; without Redis, the web process runs the periodic jobs")
    run_scheduler(current_app._get_current_object())


def register_commands(app: Flask) -> None:
    """Add the project's commands to `app.cli` (Flask-Migrate adds `db`)."""
    app.cli.add_command(worker_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(grant_app_role_command)
    app.cli.add_command(allow_indexed_search_command)


if __name__ == "__main__":
    cli()
