"""Checking a pooled database connection before it is used, when it has sat idle long enough to have gone stale.

SQLAlchemy's `pool_pre_ping` asks the server on every checkout: one more round trip on every request. A
connection handed back a moment ago is as good as it was then; one that waited in the pool longer than
DATABASE_PING_AFTER seconds may have been dropped by a server restart, a failover or an idle timeout, so only
that one is asked first. A connection found dead is replaced before the request sees it (the pool's own
retry on DisconnectionError, as in SQLAlchemy's "custom pessimistic ping" recipe).
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
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
