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
