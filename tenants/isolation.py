"""The ORM lock and the session half of the PostgreSQL lock.

Every ORM query on a TenantOwned model gets `tenant_id = <tenant in scope>`; a query with no tenant
in scope raises; every insert is stamped, and writing another tenant's row raises. On PostgreSQL
each transaction carries `app.tenant_id` for the row-level-security policies (unset: no rows).
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.util import find_tables

from tenants.context import (
    NoTenantInScope,
    current_tenant_id,
    in_platform_scope,
    on_scope_change,
)
from tenants.db import Base, TenantOwned, TenantSession, db, tenant_owned_tables

log = logging.getLogger(__name__)

_SET_TENANT = sa.text("SELECT set_config('app.tenant_id', :tenant_id, true)")
_installed = False


def install() -> None:
    """Attach the isolation events to the session class; safe to call more than once."""
    global _installed  # noqa: PLW0603
    if _installed:
        return
    event.listen(TenantSession, "do_orm_execute", _filter_by_tenant)
    event.listen(TenantSession, "before_flush", _stamp_tenant)
    event.listen(TenantSession, "after_begin", _set_pg_tenant_on_begin)
    event.listen(TenantSession, "after_transaction_end", _forget_connection)
    event.listen(TenantSession, "after_commit", _run_after_commit)
    event.listen(TenantSession, "after_soft_rollback", _drop_after_commit)
    on_scope_change(_follow_scope)
    _installed = True


def _touches_tenant_owned(state: ORMExecuteState) -> bool:
    """Whether the statement returns or merely reads (count, exists, joins) a tenant-owned table."""
    if any(issubclass(m.class_, TenantOwned) for m in state.all_mappers):
        return True
    owned = _owned_names()
    return any(t.name in owned for t in find_tables(state.statement, include_joins=True, include_aliases=True))


_owned: tuple[int, frozenset[str]] = (-1, frozenset())


def _owned_names() -> frozenset[str]:
    """The tenant-owned tables' names, worked out again only when a table was added to the metadata."""
    global _owned  # noqa: PLW0603 - a cache of the metadata, which only grows
    count = len(Base.metadata.tables)
    if _owned[0] != count:
        _owned = (count, frozenset(t.name for t in tenant_owned_tables()))
    return _owned[1]


def _filter_by_tenant(state: ORMExecuteState) -> None:
    if state.is_column_load or state.is_relationship_load or in_platform_scope():
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    tenant_id = current_tenant_id()
    if tenant_id is None:
        if _touches_tenant_owned(state):
            raise NoTenantInScope("query on a tenant-owned model with no tenant in scope")
        return
    if not state.is_orm_statement and _touches_tenant_owned(state):
        # A Core statement on a bare Table gets no loader criteria: refuse it rather than run it unfiltered.
        raise NoTenantInScope("Core statement on a tenant-owned table; select through its model")
    # With a tenant in scope every ORM statement gets the criteria: it also reaches tables that are
    # only counted or joined, which a check of the returned entities would miss.
    state.statement = state.statement.options(
        with_loader_criteria(TenantOwned, lambda cls: cls.tenant_id == tenant_id, include_aliases=True)
    )


def _stamp_tenant(session: Session, flush_context: Any, instances: Any) -> None:
    platform = in_platform_scope()
    tenant_id = current_tenant_id()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, TenantOwned):
            continue
        if obj.tenant_id is None:
            if tenant_id is None:
                raise NoTenantInScope(f"insert of {type(obj).__name__} with no tenant in scope")
            obj.tenant_id = tenant_id
        elif not platform and obj.tenant_id != tenant_id:
            raise NoTenantInScope(f"write of {type(obj).__name__} of tenant {obj.tenant_id} under tenant {tenant_id}")


def _pg_value(tenant_id: int | None) -> str:
    return "" if tenant_id is None else str(tenant_id)


_CONNECTED = "dadras.connected"


def _set_pg_tenant_on_begin(session: Session, transaction: Any, connection: sa.Connection) -> None:
    # The setting is local to a transaction (set_config's third argument), so a new one starts unset: only a
    # tenant in scope needs saying.
    session.info[_CONNECTED] = True
    tenant_id = current_tenant_id()
    if connection.dialect.name == "postgresql" and tenant_id is not None:
        connection.execute(_SET_TENANT, {"tenant_id": _pg_value(tenant_id)})


def _forget_connection(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_CONNECTED, None)


def _follow_scope(tenant_id: int | None) -> None:
    """The scope changed mid-transaction: tell PostgreSQL too. A transaction that holds no connection yet is
    told when it takes one (after_begin), so it is not asked for one here: that would say it twice."""
    from flask import has_app_context

    if not has_app_context():
        return
    session = db.session()
    if not session.in_transaction() or not session.info.get(_CONNECTED):
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_SET_TENANT, {"tenant_id": _pg_value(tenant_id)})


def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # A released SAVEPOINT is not a commit: the outer transaction may still roll back.
        return
    callbacks = session.info.pop("after_commit", [])
    for callback in callbacks:
        try:
            callback()
        except Exception:
            # The data is saved; a failed side effect must not turn the response into an error.
            log.exception("after-commit callback failed", extra={"tenant_id": current_tenant_id()})


def _drop_after_commit(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop("after_commit", None)
