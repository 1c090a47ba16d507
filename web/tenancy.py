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
from flask_login import current_user, logout_user
from sqlalchemy import event
from sqlalchemy.orm import make_transient_to_detached

from tenants.context import enter_tenant, reset_scope
from tenants.db import TenantSession, db
from tenants.models import StaffMember, Tenant
from tenants.roles import Permission, require
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


def _check_access() -> Any:
    level = access_of(request.endpoint) if request.endpoint else PUBLIC
    if level in (None, PUBLIC):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if level != STAFF:
        require(current_user, Permission(level))  # Forbidden: the app answers 403 in the visitor's language
    return None


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


def current_staff() -> StaffMember | None:
    """The staff member logged in to the tenant of this URL, if still active and not signed out."""
    tenant = g.get("tenant")
    if tenant is None:
        return None
    entry = session.get(SESSION_KEY, {}).get(str(tenant.id))
    if not entry:
        return None
    member = db.session.get(StaffMember, entry.get("m"))
    if member is None or not member.is_active or member.session_version != entry.get("v"):
        # Stale (deactivated, password changed): forget it, so the visitor is asked to log in again.
        logins = dict(session.get(SESSION_KEY, {}))
        logins.pop(str(tenant.id), None)
        session[SESSION_KEY] = logins
        return None
    return member


def remember_login(member: StaffMember) -> None:
    """Bind `member` to this tenant in the session; other tenants' logins are kept apart."""
    logins = dict(session.get(SESSION_KEY, {}))
    logins[str(member.tenant_id)] = {"m": member.id, "v": member.session_version}
    session[SESSION_KEY] = logins
    # A log-in starts a new form token (Flask-WTF keeps it in the session): one read or planted before it is
    # worth nothing after.
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field, None)
    g.pop(field, None)


def forget_login() -> None:
    """Log out of this tenant only."""
    tenant = g.get("tenant")
    logins = dict(session.get(SESSION_KEY, {}))
    if tenant is not None:
        logins.pop(str(tenant.id), None)
    session[SESSION_KEY] = logins
    logout_user()


def _unauthorized():
    tenant = g.get("tenant")
    if tenant is None:
        abort(404)
    # Logged in elsewhere or nowhere, the answer is this tenant's own log-in page: staff of several
    # organizations log in to each, and the page tells a stranger nothing the public portal does not.
    target = url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if request.headers.get("HX-Request"):
        response = current_app.response_class(status=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)


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
