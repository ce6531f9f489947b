"""Webhook target URLs: http(s) only, and never a private, loopback or link-local address
unless the configuration allows it (a webhook is otherwise a way to probe the internal network).

The check runs when an endpoint is registered and again before every attempt, since a name can
resolve elsewhere later.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

MAX_URL_LENGTH = 2048


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


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnresolvedTarget(f"host {host!r} does not resolve: {exc}") from None
    return sorted({str(info[4][0]) for info in infos})


async def check_target(url: str, *, allow_private: bool) -> str:
    """`url` if it may receive webhooks; raises `InvalidTarget` otherwise."""
    parts = parse_target(url)
    if allow_private:
        return parts.geturl()
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await resolve(host, port)
    blocked = [a for a in addresses if not _public(a)]
    if blocked or not addresses:
        raise InvalidTarget(
            f"url resolves to a private, loopback or reserved address ({', '.join(blocked)}); "
            "such targets are refused unless the configuration allows them"
        )
    return parts.geturl()
