"""The tenant in scope: one context variable, set only by the request hook, the job wrapper or a CLI command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

_tenant_id: ContextVar[int | None] = ContextVar("dadras_tenant_id", default=None)
_platform: ContextVar[bool] = ContextVar("dadras_platform_scope", default=False)

# Called with the new tenant id whenever the scope changes, so the database session can follow
# (PostgreSQL's app.tenant_id). Registered by tenants.isolation.
_listeners: list = []


class NoTenantInScope(RuntimeError):
    """A query or insert on a tenant-owned model ran with no tenant in scope."""


def current_tenant_id() -> int | None:
    """The tenant in scope, or None."""
    return _tenant_id.get()


def require_tenant_id() -> int:
    """The tenant in scope; raises NoTenantInScope when there is none."""
    tenant_id = _tenant_id.get()
    if tenant_id is None:
        raise NoTenantInScope("no tenant in scope")
    return tenant_id


def in_platform_scope() -> bool:
    """True inside platform_scope(): cross-tenant work that the ORM does not filter."""
    return _platform.get()


def enter_tenant(tenant_id: int | None) -> Token:
    """Set the tenant for the rest of this context; give the token back to leave_tenant()."""
    token = _tenant_id.set(tenant_id)
    _notify(tenant_id)
    return token


def leave_tenant(token: Token) -> None:
    """Restore the scope that enter_tenant() replaced."""
    _tenant_id.reset(token)
    _notify(_tenant_id.get())


@contextmanager
def tenant_scope(tenant_id: int) -> Iterator[int]:
    """Run a block as tenant `tenant_id` (jobs, CLI commands, tests)."""
    token = enter_tenant(tenant_id)
    try:
        yield tenant_id
    finally:
        leave_tenant(token)


@contextmanager
def platform_scope() -> Iterator[None]:
    """The one named scope for platform-wide work: the ORM stops filtering by tenant.

    PostgreSQL's row-level security still applies, so tenant-owned rows stay invisible there
    unless a tenant is set as well; use it to read the tenant registry and fan out.
    """
    token = _platform.set(True)
    tenant_token = _tenant_id.set(None)
    _notify(None)
    try:
        yield
    finally:
        _tenant_id.reset(tenant_token)
        _platform.reset(token)
        _notify(_tenant_id.get())


def on_scope_change(listener) -> None:
    """Register `listener(tenant_id | None)`; called on every change of scope."""
    if listener not in _listeners:
        _listeners.append(listener)


def _notify(tenant_id: int | None) -> None:
    for listener in _listeners:
        listener(tenant_id)


def reset_scope() -> None:
    """Back to no tenant and no platform scope; only the request wrapper calls this, at teardown."""
    _tenant_id.set(None)
    _platform.set(False)
