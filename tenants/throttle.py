"""Counting attempts in a moving window: in Redis when configured, in memory otherwise.

Fails open to the process: when Redis does not answer (down, frozen, unreachable), the counts move to this
process's memory for a while and the request goes on; losing Redis must never lose a complaint being filed.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import current_app
from limits import RateLimitItem, RateLimitItemPerSecond, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

# After a Redis error, this process counts in memory for this long before asking Redis again, so an outage
# costs one short time-out per process and period, not one per request.
RETRY_REDIS_AFTER = 15.0


class FallbackLimiter:
    """A moving-window limiter on a shared store, with the process's memory standing in while it fails."""

    def __init__(self, shared: MovingWindowRateLimiter | None) -> None:
        self.shared = shared
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self._failed_at: float | None = None
        self._lock = threading.Lock()

    def _call(self, method: str, *args):
        failed_at = self._failed_at
        if self.shared is not None and (failed_at is None or time.monotonic() - failed_at > RETRY_REDIS_AFTER):
            try:
                result = getattr(self.shared, method)(*args)
            except StorageError as exc:
                with self._lock:
                    first = self._failed_at is None
                    self._failed_at = time.monotonic()
                if first:
                    log.warning("rate limits: Redis failed (%s); counting in this process until it answers", exc)
            else:
                if self._failed_at is not None:
                    with self._lock:
                        self._failed_at = None
                    log.warning("rate limits: Redis answers again; counting there")
                return result
        return getattr(self.local, method)(*args)

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        return self._call("test", item, *identifiers)

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        return self._call("hit", item, *identifiers)

    def clear(self, item: RateLimitItem, *identifiers: str) -> None:
        self._call("clear", item, *identifiers)

    def count(self, item: RateLimitItem, *identifiers: str) -> int:
        return item.amount - self._call("get_window_stats", item, *identifiers).remaining


def init_app(app) -> None:
    """Bind a limiter to `app` from RATELIMIT_STORAGE_URI (memory:// or redis://, with short time-outs)."""
    uri = app.config["RATELIMIT_STORAGE_URI"]
    shared = None
    if uri.startswith("redis"):
        timeout = app.config["REDIS_TIMEOUT"]
        storage = storage_from_string(
            uri,
            key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
            wrap_exceptions=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        shared = MovingWindowRateLimiter(storage)
    app.extensions["dadras.limiter"] = FallbackLimiter(shared)


def _limiter() -> FallbackLimiter:
    return current_app.extensions["dadras.limiter"]


def limit(name: str) -> RateLimitItem:
    """The limit named `name` in the config key RATELIMITS (for example "5/15 minutes")."""
    return parse(current_app.config["RATELIMITS"][name])


def exceeded(name: str, *identifiers: str) -> bool:
    """Whether the window for `name` and `identifiers` is already full."""
    return not _limiter().test(limit(name), name, *identifiers)


def hit(name: str, *identifiers: str) -> bool:
    """Count one attempt if the window has room; False (and nothing counted) when it is full."""
    return _limiter().hit(limit(name), name, *identifiers)


def count(name: str, *identifiers: str) -> int:
    """How many attempts the window for `name` and `identifiers` holds now."""
    return _limiter().count(limit(name), name, *identifiers)


def hold(name: str, seconds: int, *identifiers: str) -> None:
    """Mark an attempt now, so that `held(name, seconds, ...)` is true for the next `seconds`."""
    if seconds > 0:
        _limiter().hit(RateLimitItemPerSecond(1, seconds), name, *identifiers)


def held(name: str, seconds: int, *identifiers: str) -> bool:
    """Whether an attempt was marked by `hold(name, seconds, ...)` less than `seconds` ago."""
    return seconds > 0 and not _limiter().test(RateLimitItemPerSecond(1, seconds), name, *identifiers)


def record(name: str, *identifiers: str) -> None:
    """Count one attempt."""
    _limiter().hit(limit(name), name, *identifiers)


def reset(name: str, *identifiers: str) -> None:
    """Forget the attempts counted for `name` and `identifiers`."""
    _limiter().clear(limit(name), name, *identifiers)
