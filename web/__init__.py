"""HTTP: the application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import workers
from tenants import isolation, pool, throttle
from tenants.db import db
from tenants.errors import Refused
from web import config as app_config
from web import country, i18n, tenancy
from web.console import labels
from web.extensions import babel, csrf, migrate

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")

# One explicit list: every blueprint the app serves.
BLUEPRINTS = (
    "web.health.views",
    "web.common.views",
    "web.signup.views",
    "web.auth.views",
    "web.account.views",
    "web.console.views",
    "web.settings.views",
    "web.intake.views",
    "web.portal.views",
    "web.portal.directory",
)

# One explicit list: every module that maps a table (tests/test_model_modules.py finds any that is missing).
MODEL_MODULES = (
    "tenants.models",
    "tenants.security",
    "services.calendar.models",
    "services.catalog.models",
    "services.complaints.models",
    "services.connections.models",
    "services.escalation.models",
    "services.forms.models",
    "services.intake.models",
    "services.notifications.models",
    "services.portal.models",
    "services.records.models",
    "services.reports.models",
)


class RowId(IntegerConverter):
    """`<int:…>` in every route: Werkzeug's, but no larger than a database integer, so a larger one is a row that
    does not exist (404) instead of an error of the database (PostgreSQL's "out of range", SQLite's overflow)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app; `overrides` replace settings (tests)."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = RowId
    app.config.update(app_config.load(Path(app.instance_path), overrides))
    if app.config["TRUSTED_PROXY_COUNT"]:
        n = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            pool.install(engine, app.config["DATABASE_PING_AFTER"])
            pool.bound_waits(engine, app.config["DATABASE_CONNECT_TIMEOUT"], app.config["DATABASE_STATEMENT_TIMEOUT"])
    isolation.install()
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    throttle.init_app(app)
    tenancy.init_app(app)
    i18n.init_app(app)
    country.init_app(app)
    labels.init_app(app)
    _import_models()

    from importlib import import_module

    for name in BLUEPRINTS:
        app.register_blueprint(import_module(name).bp)
    import_module("web.console.review").init_app(app)  # how the scheduled reports' job makes its files
    _install_shared_macros(app)  # after the blueprints: the macros use their template filters

    _register_request_wrapper(app)
    workers.init_app(app)
    _register_error_pages(app)
    from web.cli import register_commands

    register_commands(app)
    app_config.validate(app.config)
    return app


# Staff pages and their fragments: never kept by a browser or a proxy.
PRIVATE_BLUEPRINTS = frozenset({"console", "settings", "auth", "account"})


# Macro files every template may call without importing them: a block rendered alone for htmx
# (render_block) never runs its template's top-level imports, so an imported macro would be undefined there.
SHARED_MACROS = ("_macros.html", "_answers.html")


def _install_shared_macros(app: Flask) -> None:
    from jinja2.runtime import Macro

    for name in SHARED_MACROS:
        module = app.jinja_env.get_template(name).module
        app.jinja_env.globals.update({k: v for k, v in vars(module).items() if isinstance(v, Macro)})


def _import_models() -> None:
    """Every model module, so the metadata (and Alembic) sees every table."""
    from importlib import import_module

    for name in MODEL_MODULES:
        import_module(name)


def _register_request_wrapper(app: Flask) -> None:
    from tenants.sessions import take_kept_events

    @app.before_request
    def note_client() -> None:
        # Who is asking, for the staff sessions and the security log (tenants.sessions.client).
        g.dadras_client = (request.remote_addr or "", request.user_agent.string or "")

    @app.after_request
    def commit_or_roll_back(response: Response) -> Response:
        # One commit per request; a refused request (4xx/5xx) keeps nothing it may have flushed, but for the
        # security log's lines of what was refused (a failed log-in).
        if response.status_code >= 400:
            db.session.rollback()
            kept = take_kept_events()
            if kept:
                try:
                    db.session.add_all(kept)
                    db.session.commit()
                except sa.exc.SQLAlchemyError:
                    db.session.rollback()
                    current_app.logger.exception("the security log's lines of a refused request were not kept")
            return response
        try:
            db.session.commit()
        except (sa.exc.IntegrityError, sa.orm.exc.StaleDataError):
            # Two requests raced for the same row (a double submit, or two saves of one complaint);
            # this one keeps nothing.
            db.session.rollback()
            from flask_babel import gettext as _

            from web.common.views import error_page

            body, status = error_page(409, _("Someone changed this at the same moment. Reload the page and try again."))
            return current_app.make_response((body, status))
        return response

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "font-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        if request.headers.get("HX-Request") is not None or response.mimetype == "text/html":
            response.vary.add("HX-Request")
        # Pages with personal data (the console, its fragments, a proven complainant's page) stay in no cache.
        if request.blueprint in PRIVATE_BLUEPRINTS or g.get("private_page"):
            response.headers["Cache-Control"] = "no-store"
        if current_app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def _register_error_pages(app: Flask) -> None:
    from flask_babel import gettext as _

    from web.common.views import error_page

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError):
        return error_page(
            400,
            _("This form has expired or did not come from this site. Reload the page and try again."),
        )

    @app.errorhandler(sa.orm.exc.StaleDataError)
    def stale_row(exc: sa.orm.exc.StaleDataError):
        # The row's version moved between our read and our write: someone saved it at the same moment.
        db.session.rollback()
        return error_page(409, _("Someone changed this at the same moment. Reload the page and try again."))

    @app.errorhandler(Refused)
    def refused(exc: Refused):
        # Any refusal a view did not put back into its form: the error page of its status, saying why (what the
        # operation flushed before it refused is rolled back, as for every 4xx).
        return error_page(exc.status, str(exc.message))

    for code in (400, 403, 404, 405, 413, 429):

        @app.errorhandler(code)
        def http_error(exc, code=code):
            return error_page(code)

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    @app.errorhandler(sa.exc.TimeoutError)
    def database_unavailable(exc):
        return _database_unavailable(exc)

    @app.errorhandler(500)
    def server_error(exc):
        original = getattr(exc, "original_exception", None)
        if isinstance(original, DATABASE_AWAY):  # raised after the view, by the request's commit
            return _database_unavailable(original)
        logging.getLogger(__name__).error("unhandled error", exc_info=exc)
        return error_page(500)


# The database refused, dropped, timed out or had no free connection: the service is away for a while, not broken.
DATABASE_AWAY = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


def _offline_locale() -> str:
    """The visitor's language found without the database: their choice this session, the language the
    organization of this address had when this process last saw it, their browser's."""
    from flask import session

    from tenants.models import LOCALES

    chosen = session.get("lang")
    if chosen in LOCALES:
        return chosen
    remembered = tenancy.remembered_locale(request.path.strip("/").split("/", 1)[0])
    if remembered in LOCALES:
        return remembered
    return request.accept_languages.best_match(LOCALES) or "en"


def _database_unavailable(exc: BaseException) -> Response:
    """503 with Retry-After, in the visitor's language, rendered without asking the database anything."""
    from flask import g, render_template
    from flask_babel import force_locale
    from flask_babel import gettext as _

    logging.getLogger(__name__).warning("database unavailable: %s", exc)
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        db.session.close()
    g.pop("tenant", None)  # its expired attributes would be loaded again; the page needs none of them
    with force_locale(_offline_locale()):
        title = _("Briefly unavailable")
        text = _("We cannot reach our records at the moment. Please try again in a minute.")
        if request.accept_mimetypes.best == "application/json":
            response = current_app.json.response({"error": title, "message": text})
        elif request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
            # A panel's request: the message goes to the page's alert area, as error_page() does.
            response = current_app.make_response(render_template("errors/_alert.html", title=title, message=text))
            response.headers["HX-Retarget"] = "#page-alert"
            response.headers["HX-Reswap"] = "innerHTML show:top"
        else:
            response = current_app.make_response(render_template("errors/unavailable.html", title=title, message=text))
    response.status_code = 503
    response.headers["Retry-After"] = str(current_app.config["DATABASE_RETRY_AFTER"])
    return response
