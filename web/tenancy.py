"""An organization's blueprints: the tenant resolved from the URL, who may use each route, and the staff
session bound to the tenant.

Every blueprint under `/<tenant_slug>/` is made by `tenant_blueprint`, which declares once who may use its
routes (PUBLIC, STAFF or a Permission); a view that differs says so with `@access(...)`. The check runs before
the view, so a view's body never repeats it; tests/test_route_access.py walks the URL map to prove it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, current_app, g, has_app_context, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import event
from sqlalchemy.orm import make_transient_to_detached

from tenants.context import enter_tenant, reset_scope
from tenants.db import TenantSession, db, utcnow
from tenants.models import StaffMember, Tenant
from tenants.roles import Permission, require
from tenants.security import StaffSession
from tenants.sessions import end_session, find_session, open_session, pass_second_factor, record_event, rotate
from web.extensions import login_manager

SESSION_KEY = "staff"


# Every page of an organization starts by finding it by its slug; each process keeps what it found this long.
# A change made here is seen at once (the cache forgets a tenant it saw flushed); one made by another process,
# deactivation included, within this time.
TENANT_CACHE_SECONDS = 10.0
_CACHE_KEY = "dadras.tenants_by_slug"
# What a slug can be at all (sign-up allows fewer); anything else, a control character above all, is no
# organization of ours and is never sent to the database (PostgreSQL refuses a NUL in a string with an error).
_SLUG_SHAPE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def _tenants_cache() -> dict[str, tuple[float, dict[str, Any]]]:
    return current_app.extensions.setdefault(_CACHE_KEY, {})


def _find_tenant(slug: str) -> Tenant | None:
    """The active tenant with this slug, from the process's cache when fresh (no query), else the database."""
    cache = _tenants_cache()
    now = time.monotonic()
    kept = cache.get(slug)
    if kept is not None and now - kept[0] < TENANT_CACHE_SECONDS:
        tenant = db.session.identity_map.get(sa.inspect(Tenant).identity_key_from_primary_key((kept[1]["id"],)))
        if tenant is None:
            tenant = Tenant(**kept[1])
            make_transient_to_detached(tenant)  # its values as loaded: a clean, persistent row once added
            db.session.add(tenant)
        return tenant
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug, Tenant.is_active.is_(True)))
    if tenant is not None:
        cache[slug] = (now, {c.key: getattr(tenant, c.key) for c in sa.inspect(Tenant).column_attrs})
    else:
        cache.pop(slug, None)
    return tenant


def remembered_locale(slug: str) -> str | None:
    """The default language of the organization at `slug` when this process last found it, however long ago:
    what its pages speak when the database cannot be asked."""
    kept = current_app.extensions.get(_CACHE_KEY, {}).get(slug)
    return kept[1].get("default_locale") if kept is not None else None


def _forget_changed_tenants(session: Any, flush_context: Any, instances: Any) -> None:
    if not has_app_context():
        return
    cache = current_app.extensions.get(_CACHE_KEY)
    if not cache:
        return
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, Tenant):
            cache.pop(obj.slug, None)


def resolve_tenant(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """url_value_preprocessor of tenant blueprints: unknown or inactive slug is a 404, before any login."""
    if values is None or "tenant_slug" not in values:
        return
    slug = values.pop("tenant_slug")
    tenant = _find_tenant(slug) if _SLUG_SHAPE.fullmatch(slug) else None
    if tenant is None:
        abort(404)
    g.tenant = tenant
    enter_tenant(tenant.id)


PUBLIC = "public"  # anyone: the portal, the intake callbacks, the log-in pages
STAFF = "staff"  # any active staff member logged in to this organization
Access = str | Permission  # PUBLIC, STAFF, or the permission a staff member must hold

View = TypeVar("View", bound=Callable[..., Any])


def access(level: Access) -> Callable[[View], View]:
    """Who may use this view, where it differs from its blueprint's rule."""

    def mark(view: View) -> View:
        view.access = level  # type: ignore[attr-defined]
        return view

    return mark


_ACCESS_OF_BLUEPRINT: dict[str, Access] = {}  # blueprint name → its routes' access, unless a view says otherwise


def access_of(endpoint: str) -> Access | None:
    """Who may use the view at `endpoint` (None: not a tenant blueprint's view)."""
    view = current_app.view_functions.get(endpoint)
    blueprint = endpoint.rpartition(".")[0]
    if view is None or blueprint not in _ACCESS_OF_BLUEPRINT:
        return None
    return getattr(view, "access", _ACCESS_OF_BLUEPRINT[blueprint])


def open_during_enrolment(view: View) -> View:
    """A staff page reachable by someone the two-factor policy stops until they set up a factor."""
    view.open_during_enrolment = True  # type: ignore[attr-defined]
    return view


def go_to(target: str) -> Any:
    """A redirect that htmx follows as a whole page (HX-Redirect) and a browser as a 303."""
    if request.headers.get("HX-Request"):
        response = current_app.response_class(status=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)


def _check_enrolment() -> Any:
    from services.security.policy import enrolment, owner_fallback

    row, member = current_session()
    asked = enrolment(g.tenant, member, factor_passed=row.second_factor_at is not None)
    if row.method == "password" and not asked.blocked:
        asked = owner_fallback(member, asked)
    g.enrolment = asked
    view = current_app.view_functions.get(request.endpoint)
    if asked.blocked and not getattr(view, "open_during_enrolment", False):
        return go_to(url_for("account.security"))
    return None


def _check_access() -> Any:
    level = access_of(request.endpoint) if request.endpoint else PUBLIC
    if level in (None, PUBLIC):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if level != STAFF:
        require(current_user, Permission(level))  # Forbidden: the app answers 403 in the visitor's language
    return _check_enrolment()


def tenant_blueprint(
    name: str, import_name: str, url_prefix: str | None = "/<tenant_slug>", *, access: Access
) -> Blueprint:
    """A blueprint of an organization's routes: the tenant found from the slug (404 if none) and, before every
    view, the log-in and permission check `access` declares (a view may declare its own with `@access`)."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    bp.url_value_preprocessor(resolve_tenant)
    bp.before_request(_check_access)
    _ACCESS_OF_BLUEPRINT[name] = access
    return bp


def _add_tenant_slug(endpoint: str, values: dict[str, Any]) -> None:
    tenant = g.get("tenant")
    if (
        tenant is not None
        and "tenant_slug" not in values
        and current_app.url_map.is_endpoint_expecting(endpoint, "tenant_slug")
    ):
        values["tenant_slug"] = tenant.slug


_SESSION_ROW = "dadras_staff_session"


def _cookie_key() -> str | None:
    entry = session.get(SESSION_KEY, {}).get(str(g.tenant.id))
    key = entry.get("s") if isinstance(entry, dict) else None
    return key if isinstance(key, str) else None


def _put_cookie_key(key: str | None) -> None:
    logins = dict(session.get(SESSION_KEY, {}))
    if key is None:
        logins.pop(str(g.tenant.id), None)
    else:
        logins[str(g.tenant.id)] = {"s": key}
    session[SESSION_KEY] = logins


def current_session() -> tuple[StaffSession, StaffMember] | None:
    """This browser's open session at the tenant of this URL and its staff member, whether or not its second
    factor is still to come; found once per request."""
    tenant = g.get("tenant")
    if tenant is None:
        return None
    if _SESSION_ROW not in g.__dict__:
        key = _cookie_key()
        found = find_session(key, tenant) if key else None
        if key and found is None:
            _put_cookie_key(None)  # ended, expired or unknown: the visitor is asked to log in again
        setattr(g, _SESSION_ROW, found)
    return getattr(g, _SESSION_ROW)


def current_staff() -> StaffMember | None:
    """The staff member logged in to the tenant of this URL: an open session, its second factor passed if asked."""
    found = current_session()
    if found is None:
        return None
    row, member = found
    if row.factor_required and row.second_factor_at is None:
        return None
    return member


def remember_login(member: StaffMember, *, method: str = "password", factor_done: str | None = None) -> bool:
    """Open a session of `member` at this tenant (other tenants' logins are kept apart); True when it is
    complete, False when it waits for the second factor. `factor_done`: how a second factor was already passed
    (an identity provider the organization trusts with it)."""
    from services.security.factors import has_factor

    old = current_session()
    if old is not None:
        end_session(old[0], "replaced")
    factor_required = factor_done is None and has_factor(member)
    row, key = open_session(member, method=method, factor_required=factor_required)
    _put_cookie_key(pass_second_factor(row, factor_done) if factor_done is not None else key)
    g.pop(_SESSION_ROW, None)
    # A log-in starts a new form token (Flask-WTF keeps it in the session): one read or planted before it is
    # worth nothing after.
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field, None)
    g.pop(field, None)
    if not factor_required:
        record_event("sso_login" if method == "sso" else "login", member, detail=factor_done or "")
        login_user(member)
    return not factor_required


def passed_second_factor(how: str) -> StaffMember:
    """The waiting session's second factor passed: it is complete, under a new key."""
    row, member = current_session()
    _put_cookie_key(pass_second_factor(row, how))
    record_event("sso_login" if row.method == "sso" else "login", member, detail=how)
    login_user(member)
    return member


def confirmed_again() -> None:
    """The password (or factor, or provider) was asked again: the session may change its factors for a while,
    under a new key."""
    row, _member = current_session()
    row.confirmed_at = utcnow()
    _put_cookie_key(rotate(row))


def forget_login(reason: str = "logout") -> None:
    """Log out of this tenant only: the session is ended on the server, so its cookie is worth nothing."""
    found = current_session() if g.get("tenant") is not None else None
    if found is not None:
        end_session(found[0], reason)
        if reason == "logout":
            record_event("logout", found[1])
    if g.get("tenant") is not None:
        _put_cookie_key(None)
    g.pop(_SESSION_ROW, None)
    logout_user()


def _unauthorized():
    tenant = g.get("tenant")
    if tenant is None:
        abort(404)
    # Logged in elsewhere or nowhere, the answer is this tenant's own log-in page: staff of several
    # organizations log in to each, and the page tells a stranger nothing the public portal does not.
    return go_to(url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))


def init_app(app: Flask) -> None:
    """Wire the tenant hooks and the per-tenant staff session into `app`."""
    app.url_defaults(_add_tenant_slug)
    if not event.contains(TenantSession, "before_flush", _forget_changed_tenants):
        event.listen(TenantSession, "before_flush", _forget_changed_tenants)

    @app.teardown_request
    def _leave_tenant(exc: BaseException | None) -> None:
        reset_scope()

    login_manager.init_app(app)
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(lambda _user_id: current_staff())
    login_manager.request_loader(lambda _request: current_staff())
    login_manager.unauthorized_handler(_unauthorized)
