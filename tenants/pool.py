"""Checking a pooled database connection before it is used, when it has sat idle long enough to have gone stale;
and bounding every wait on PostgreSQL, so a database that is away or stalled fails a request in seconds.

SQLAlchemy's `pool_pre_ping` asks the server on every checkout: one more round trip on every request. A
connection handed back a moment ago is as good as it was then; one that waited in the pool longer than
DATABASE_PING_AFTER seconds may have been dropped by a server restart, a failover or an idle timeout, so only
that one is asked first. A connection found dead is replaced before the request sees it (the pool's own
retry on DisconnectionError, as in SQLAlchemy's "custom pessimistic ping" recipe).
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg.errors import _WaitTimeout  # what psycopg's wait raises when its timeout passes
from sqlalchemy import event

_RETURNED_AT = "dadras_returned_at"


def install(engine: sa.Engine, idle_seconds: float) -> None:
    """Ping a connection on checkout only when it has been idle for `idle_seconds` or more."""
    if getattr(engine, "_dadras_ping_installed", False):
        return
    dialect = engine.dialect

    def returned(dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return  # new, or back from a request a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DisconnectionError("idle connection no longer answers") from exc

    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", checked_out)
    engine._dadras_ping_installed = True  # type: ignore[attr-defined]


class _BoundedConnection(psycopg.Connection):
    """A psycopg connection that gives up waiting for the server after `answer_within` seconds.

    PostgreSQL's statement_timeout ends a slow statement, but only a server that receives it: a stalled network
    or a frozen server never answers at all. Past this time the connection is closed (its state is unknown) and
    the wait raises OperationalError, which SQLAlchemy reads as a disconnect and drops from the pool.
    """

    answer_within: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if timeout is not None or self.answer_within is None:
            return super().wait(gen, interval=interval, timeout=timeout)  # psycopg's own bounded waits
        try:
            return super().wait(gen, interval=interval, timeout=self.answer_within)
        except _WaitTimeout:
            self.close()
            raise psycopg.errors.OperationalError(
                f"the database did not answer within {self.answer_within:g} s"
            ) from None


def bound_waits(engine: sa.Engine, connect_seconds: float, statement_seconds: float) -> None:
    """On PostgreSQL: connecting gives up after `connect_seconds` (at least 2, libpq's floor), a statement is
    cancelled by the server after `statement_seconds`, and the client stops waiting for any answer
    `connect_seconds` after that (0 leaves each unbounded)."""
    if engine.dialect.name != "postgresql" or getattr(engine, "_dadras_waits_bounded", False):
        return

    def connect(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        if connect_seconds:
            cparams.setdefault("connect_timeout", max(2, round(connect_seconds)))
        if statement_seconds:
            option = f"-c statement_timeout={int(statement_seconds * 1000)}"
            cparams["options"] = f"{cparams['options']} {option}" if cparams.get("options") else option
        connection = _BoundedConnection.connect(*cargs, **cparams)
        if statement_seconds:
            connection.answer_within = statement_seconds + max(connect_seconds, 1.0)
        return connection

    event.listen(engine, "do_connect", connect)
    engine._dadras_waits_bounded = True  # type: ignore[attr-defined]
