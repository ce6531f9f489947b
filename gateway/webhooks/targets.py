"""Webhook target URLs: http(s) only, and never a private, loopback or link-local address
unless the configuration allows it (a webhook is otherwise a way to probe the internal network).

The check runs when an endpoint is registered and again before every attempt, since a name can
resolve elsewhere later. An attempt then connects to the very address that was checked
(`pinned`), so a name that answers differently a moment later (DNS rebinding) changes nothing.

IPv6 addresses that carry an IPv4 address inside (IPv4-mapped and -compatible, SIIT, NAT64,
6to4, Teredo) are judged by the IPv4 address they lead to.

Names are looked up by a `Resolver` (the system's, `system_resolver`, unless another is given):
the dispatcher runs the lookup inside the attempt's deadline, so a stalled resolver costs an
attempt its timeout, no more.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_network
from urllib.parse import SplitResult, urlsplit

MAX_URL_LENGTH = 2048

# Prefixes whose last 32 bits are an IPv4 address the packet goes to.
_LOW_32 = (
    ip_network("::/96"),  # IPv4-compatible (deprecated), also :: and ::1
    ip_network("::ffff:0:0:0/96"),  # SIIT (IPv4-translated)
    ip_network("64:ff9b::/96"),  # NAT64, well-known prefix
)
# The local-use NAT64 prefix may put the IPv4 address anywhere (RFC 6052): never a target.
_NAT64_LOCAL = ip_network("64:ff9b:1::/48")


class InvalidTarget(ValueError):
    """The URL cannot be a webhook target; the message says why (safe to show)."""


class UnresolvedTarget(InvalidTarget):
    """The host does not resolve (now): worth trying again later, unlike other refusals."""


def parse_target(url: str) -> SplitResult:
    """The URL split, if its form is acceptable: absolute http(s), a host, no credentials."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise InvalidTarget(f"url must be an http(s) URL of at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidTarget(f"url is malformed: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidTarget("url must use http or https")
    if not parts.hostname:
        raise InvalidTarget("url must name a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidTarget("url must not carry credentials")
    if port == 0:
        raise InvalidTarget("url has an invalid port")
    return parts


def embedded_ipv4(ip: IPv6Address) -> list[IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to (none for a plain IPv6 address)."""
    found: list[IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if any(ip in net for net in _LOW_32):
        found.append(IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)  # the Teredo server and the client's (de-obfuscated) address
    return found


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        inner = embedded_ipv4(ip)
        if inner:
            return all(v4.is_global and not v4.is_multicast for v4 in inner)
    return ip.is_global and not ip.is_multicast


Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``await resolver(host, port)``: the addresses of `host`; raises `OSError` (or
`UnicodeError` for a name IDNA cannot encode) when it does not resolve."""


_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-lookup")
"""Threads of the system's lookups: a lookup the attempt gave up on runs on until the system
answers, so the loop's default executor (database and Redis connections use it) must not be
the one that fills up with them."""


async def system_resolver(host: str, port: int) -> list[str]:
    """The system's resolver (``getaddrinfo``, in threads of its own)."""
    infos = await asyncio.get_running_loop().run_in_executor(
        _LOOKUPS, functools.partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    )
    return [str(info[4][0]) for info in infos]


async def resolve(host: str, port: int, resolver: Resolver = system_resolver) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    try:
        addresses = await resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnresolvedTarget(f"host {host!r} does not resolve: {exc}") from None
    return sorted(set(addresses))


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL and the address an attempt must connect to."""

    url: str
    host: str
    address: str

    def pinned(self) -> tuple[str, dict[str, str], dict[str, object]]:
        """(the URL to request, extra headers, request extensions): the URL names the checked
        address; ``Host`` and TLS SNI (and certificate checks) keep the original name."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if ":" in self.address else self.address
        netloc = literal if parts.port is None else f"{literal}:{parts.port}"
        host_header = parts.netloc.rpartition("@")[2]
        headers = {"host": host_header}
        extensions: dict[str, object] = {}
        if parts.scheme == "https":
            extensions["sni_hostname"] = self.host
            # A pooled connection is keyed by address alone: never reuse one made (and its
            # certificate checked) for another name on the same address.
            headers["connection"] = "close"
        return parts._replace(netloc=netloc).geturl(), headers, extensions


async def resolve_target(
    url: str, *, allow_private: bool, resolver: Resolver = system_resolver
) -> Target:
    """`url` checked, with the one address an attempt may connect to; raises `InvalidTarget`."""
    parts = parse_target(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await resolve(host, port, resolver)
    if not addresses:
        raise UnresolvedTarget(f"host {host!r} resolves to no address")
    blocked = [] if allow_private else [a for a in addresses if not _public(a)]
    if blocked:
        raise InvalidTarget(
            f"url resolves to a private, loopback or reserved address ({', '.join(blocked)}); "
            "such targets are refused unless the configuration allows them"
        )
    return Target(parts.geturl(), host, addresses[0])


async def check_target(
    url: str, *, allow_private: bool, resolver: Resolver = system_resolver
) -> str:
    """`url` if it may receive webhooks (resolved only when private targets are refused);
    raises `InvalidTarget` otherwise."""
    if allow_private:
        return parse_target(url).geturl()
    return (await resolve_target(url, allow_private=False, resolver=resolver)).url
