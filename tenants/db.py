"""The database: declarative base, the Flask-SQLAlchemy handle, the tenant-owned mixin, after-commit hooks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from tenants.context import NoTenantInScope, current_tenant_id, in_platform_scope

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always handed back timezone-aware (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# The JSON column type of every model: JSONB on PostgreSQL, JSON on SQLite.
Json = sa.JSON().with_variant(JSONB(), "postgresql")


_clock: ContextVar[datetime | None] = ContextVar("dadras_clock", default=None)


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware (or the moment a `clock_at` block set)."""
    return _clock.get() or datetime.now(UTC)


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Run the block as if it were `moment`: the demo seed writes a history that happened over weeks."""
    token = _clock.set(moment)
    try:
        yield
    finally:
        _clock.reset(token)


class TenantOwned:
    """Mixin for every tenant-owned table: tenant_id NOT NULL, filtered and stamped by tenants.isolation."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)


class TenantSession(FlaskSession):
    """Flask-SQLAlchemy's session, plus a tenant check on get() and a bind that tests may pin."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        if bind is None and self.bind is not None:
            # A test pins the session to one connection (one transaction per test).
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)

    def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        obj = super().get(entity, ident, **kwargs)
        if obj is None or not isinstance(obj, TenantOwned) or in_platform_scope():
            return obj
        tenant_id = current_tenant_id()
        if tenant_id is None:
            raise NoTenantInScope(f"get({entity.__name__}) with no tenant in scope")
        # The identity map may hold a row loaded under another scope: fails closed.
        return obj if obj.tenant_id == tenant_id else None


db = SQLAlchemy(model_class=Base, session_options={"class_": TenantSession})


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction commits; dropped if it rolls back.

    Enqueues and e-mails go through here, so nothing leaves before the data it speaks of is saved.
    """
    session = db.session()
    if not session.in_transaction():
        # Begin now, so that a rollback before any SQL still fires the event that drops the callback.
        session.begin()
    session.info.setdefault("after_commit", []).append(callback)


def tenant_owned_tables() -> list[sa.Table]:
    """Every table that carries a tenant_id column."""
    return [t for t in Base.metadata.sorted_tables if "tenant_id" in t.c]


def hold_until_commit(key: str) -> None:
    """On PostgreSQL, wait until no other transaction holds `key`, then hold it until this one ends (an advisory
    lock), so work on one thing (a chat) is done one transaction at a time. SQLite lets one writer in at a time
    anyway (development)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
