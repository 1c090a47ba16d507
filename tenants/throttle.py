"""Counting failed attempts in a moving window: in Redis when configured, in memory otherwise."""

from __future__ import annotations

from flask import current_app
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


def init_app(app) -> None:
    """Bind a limiter to `app` from RATELIMIT_STORAGE_URI (memory:// or redis://)."""
    uri = app.config["RATELIMIT_STORAGE_URI"]
    options = {"key_prefix": app.config["RATELIMIT_KEY_PREFIX"]} if uri.startswith("redis") else {}
    app.extensions["dadras.limiter"] = MovingWindowRateLimiter(storage_from_string(uri, **options))


def _limiter() -> MovingWindowRateLimiter:
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


def record(name: str, *identifiers: str) -> None:
    """Count one attempt."""
    _limiter().hit(limit(name), name, *identifiers)


def reset(name: str, *identifiers: str) -> None:
    """Forget the attempts counted for `name` and `identifiers`."""
    _limiter().clear(limit(name), name, *identifiers)
