"""Where the service may connect on a tenant's behalf: public addresses only, checked on the address connected to.

A tenant names the servers of its webhook, text-message gateway, mail server and mailbox. Every connection to
them resolves the name, refuses it when any address it resolves to is loopback, private, link-local (the cloud
metadata services 169.254.169.254 and fd00:ec2::254 among them), shared, multicast, reserved or unspecified, and
then connects to the very address it checked: there is no second lookup for a name to answer differently. So a
name that resolves inside is refused like the address itself, at every connection, not only when saved.

An on-premises installation names the internal hosts the tenants may reach in CONNECTIONS_ALLOW_HOSTS: host names
(as written in the tenant's address), addresses or networks (10.0.0.0/24). The operator's own Bot API and
messenger addresses (BOT_API_URLS, MESSENGER_API_URLS) are reachable at their host and port, and nowhere else on
that host.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from flask import current_app, has_app_context

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class RefusedAddress(OSError):
    """The server named resolves to an address the service does not connect to for a tenant."""

    def __init__(self, host: str) -> None:
        super().__init__(f"{host}: an address inside a private network, refused")
        self.host = host


def refused(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from, is a RefusedAddress."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, RefusedAddress):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _embedded(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), else `ip`."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def is_public(ip: IPAddress) -> bool:
    """Whether `ip` is an address on the public internet (and no multicast group)."""
    ip = _embedded(ip)
    inside = ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
    return ip.is_global and not inside and not ip.is_unspecified


def _allowed() -> tuple[frozenset[str], tuple, frozenset[tuple[str, int]]]:
    """(host names, networks, (host, port) pairs) the operator lets tenants' connections reach."""
    if not has_app_context():
        return frozenset(), (), frozenset()
    config = current_app.config
    names, networks = set(), []
    for written in config.get("CONNECTIONS_ALLOW_HOSTS") or ():
        entry = written.strip().lower().rstrip(".").strip("[]")
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry)
    ports = set()
    for url in (*(config.get("BOT_API_URLS") or {}).values(), *(config.get("MESSENGER_API_URLS") or {}).values()):
        parts = urlsplit(url or "")
        if parts.hostname:
            ports.add((parts.hostname.lower(), parts.port or (443 if parts.scheme == "https" else 80)))
    return frozenset(names), tuple(networks), frozenset(ports)


def allowed_inside(host: str) -> bool:
    """Whether the operator named `host` (or its network) in CONNECTIONS_ALLOW_HOSTS: an internal server the
    tenants may reach, over plain HTTP too."""
    names, networks, _ports = _allowed()
    name = (host or "").strip().lower().rstrip(".").strip("[]")
    if name in names:
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def resolve(host: str, port: int) -> list[tuple]:
    """The addresses to connect to for `host`:`port`, every one checked; RefusedAddress when any is refused,
    socket.gaierror when the name is not found."""
    names, networks, ports = _allowed()
    name = (host or "").strip().lower().rstrip(".").strip("[]")
    try:
        found = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:  # an empty label ("a..example.com") or one past 63 letters: no name at all
        raise socket.gaierror(socket.EAI_NONAME, "not a host name") from exc
    if name in names or (name, port) in ports:
        return found
    for *_, sockaddr in found:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not is_public(ip) and not any(ip in network for network in networks):
            raise RefusedAddress(host)
    return found


def check_host(host: str, port: int) -> None:
    """Refuse a server that resolves inside now; a name that does not resolve passes (it is checked again at every
    connection)."""
    try:
        resolve(host, port)
    except socket.gaierror:
        return


def connect(
    host: str, port: int, timeout: object = None, source_address: tuple[str, int] | None = None
) -> socket.socket:
    """socket.create_connection() to a checked address of `host`."""
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in resolve(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            if isinstance(timeout, (int, float)):  # smtplib and imaplib may pass socket's "default" marker
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        return sock
    raise error or OSError(f"{host}: no address to connect to")
