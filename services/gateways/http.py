"""One HTTP client per process for every gateway and messenger API: its connections are kept and reused, and its
TLS context is built once (a client per request would load the CA bundle for each message).

A forking worker runs each job in a child process; the client is made afresh in a process that did not make
it, so no connection is ever shared across a fork.

Every address it connects to is an organization's choice, so each connection goes only to an address checked by
services.gateways.addresses (after the name is resolved; TLS still names the host). What went wrong is said in
words of our own, never with the server's answer.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

import httpcore
import httpx
import requests
import urllib3
from httpcore._backends.sync import SyncBackend, SyncStream

from services.gateways import addresses
from services.gateways.base import DeliveryError, Unavailable, Undeliverable

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
_lock = threading.Lock()
_client: httpx.Client | None = None
_pid: int | None = None


class _CheckedBackend(SyncBackend):
    """httpcore's network backend, connecting only to a checked address of the host asked for."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> SyncStream:
        try:
            sock = addresses.connect(host, port, timeout, None if local_address is None else (local_address, 0))
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        for option in socket_options or ():
            sock.setsockopt(*option)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return SyncStream(sock)


def checked_transport() -> httpx.HTTPTransport:
    """A transport of its own (a client that closes it closes only its own) that connects to checked addresses."""
    transport = httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=20))
    transport._pool._network_backend = _CheckedBackend()  # httpx takes no network backend of its own
    return transport


def client() -> httpx.Client:
    global _client, _pid  # noqa: PLW0603 - one client per process
    with _lock:
        if _client is None or _pid != os.getpid():
            # No proxy from the environment: a proxy would connect where the checks cannot see.
            _client = httpx.Client(timeout=TIMEOUT, transport=checked_transport(), trust_env=False)
            _pid = os.getpid()
        return _client


def failure(what: str, exc: httpx.HTTPError) -> DeliveryError:
    """Why `what` could not be reached, in words: refused for good (an address inside), or unreachable or timed
    out for now."""
    if addresses.refused(exc):
        return Undeliverable(f"{what}: the address is inside a private network: refused")
    if isinstance(exc, httpx.TimeoutException):
        return Unavailable(f"{what}: timed out")
    return Unavailable(f"{what}: unreachable")


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
        raise failure(what, exc) from exc
    return _json(response, what)


def get_json(url: str, what: str, **kwargs: Any) -> tuple[httpx.Response, dict[str, Any]]:
    try:
        response = get(url, **kwargs)
    except httpx.HTTPError as exc:
        raise failure(what, exc) from exc
    return _json(response, what)


def get_bytes(url: str, what: str, limit: int, **kwargs: Any) -> tuple[httpx.Response, bytes]:
    """GET a file, read up to `limit` bytes and one more (so that a larger one is known as larger, and never
    read whole); unreachable is Unavailable."""
    try:
        with client().stream("GET", url, **kwargs) as response:
            data = bytearray()
            for chunk in response.iter_bytes():
                data.extend(chunk)
                if len(data) > limit:
                    break
            return response, bytes(data[: limit + 1])
    except httpx.HTTPError as exc:
        raise failure(what, exc) from exc


# The same checks for `requests` (what Authlib's Flask client talks with): urllib3's connections made through
# addresses.connect, so a provider's name that resolves inside is refused like its address.
class _CheckedConnection(urllib3.connection.HTTPConnection):
    def _new_conn(self) -> socket.socket:
        try:
            sock = addresses.connect(self._dns_host, self.port, self.timeout, self.source_address)
        except TimeoutError as exc:
            raise urllib3.exceptions.ConnectTimeoutError(self, f"{self.host}: timed out") from exc
        except OSError as exc:
            raise urllib3.exceptions.NewConnectionError(self, f"{self.host}: {exc}") from exc
        for option in self.socket_options or ():
            sock.setsockopt(*option)
        return sock


class _CheckedTLSConnection(_CheckedConnection, urllib3.connection.HTTPSConnection):
    pass


class _CheckedPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _CheckedConnection


class _CheckedTLSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _CheckedTLSConnection


class CheckedAdapter(requests.adapters.HTTPAdapter):
    """A requests adapter whose connections go only to checked addresses (mount it for http:// and https://)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedPool, "https": _CheckedTLSPool}


def check_session(session: requests.Session) -> requests.Session:
    """`session` with the checked adapter for both schemes and no proxy from the environment."""
    session.trust_env = False
    adapter = CheckedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
