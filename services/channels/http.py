"""One HTTP client per process for every gateway and messenger API: its connections are kept and reused, and its
TLS context is built once (a client per request would load the CA bundle for each message).

A forking worker runs each job in a child process; the client is made afresh in a process that did not make
it, so no connection is ever shared across a fork.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import httpx

from services.channels.base import Unavailable

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
_lock = threading.Lock()
_client: httpx.Client | None = None
_pid: int | None = None


def client() -> httpx.Client:
    global _client, _pid  # noqa: PLW0603 - one client per process
    with _lock:
        if _client is None or _pid != os.getpid():
            _client = httpx.Client(timeout=TIMEOUT, limits=httpx.Limits(max_keepalive_connections=20))
            _pid = os.getpid()
        return _client


def post(url: str, **kwargs: Any) -> httpx.Response:
    return client().post(url, **kwargs)


def get(url: str, **kwargs: Any) -> httpx.Response:
    return client().get(url, **kwargs)


def _json(response: httpx.Response, what: str) -> tuple[httpx.Response, dict[str, Any]]:
    try:
        body = response.json()
    except ValueError as exc:
        raise Unavailable(f"{what} HTTP {response.status_code}, not JSON") from exc
    if not isinstance(body, dict):
        raise Unavailable(f"{what} HTTP {response.status_code}: unexpected answer")
    return response, body


def post_json(url: str, what: str, **kwargs: Any) -> tuple[httpx.Response, dict[str, Any]]:
    """POST and read the JSON object that answers; unreachable or unreadable is Unavailable (retried)."""
    try:
        response = post(url, **kwargs)
    except httpx.HTTPError as exc:
        raise Unavailable(f"{what} unreachable: {exc}") from exc
    return _json(response, what)


def get_json(url: str, what: str, **kwargs: Any) -> tuple[httpx.Response, dict[str, Any]]:
    try:
        response = get(url, **kwargs)
    except httpx.HTTPError as exc:
        raise Unavailable(f"{what} unreachable: {exc}") from exc
    return _json(response, what)
