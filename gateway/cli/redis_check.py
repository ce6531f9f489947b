"""Reaching Redis before a process that cannot work without it starts: one line naming it (no
password) and why, not a trace per job for as long as the process runs."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.cli.ledger import reason
from gateway.config import ConfigError


def check_redis(url: str) -> None:
    """Ping the Redis at `url` once; a `ConfigError` when it does not answer."""
    client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    kwargs = client.connection_pool.connection_kwargs
    where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
    secret = str(kwargs.get("password") or "")

    async def ping() -> None:
        try:
            await client.ping()
        finally:
            await client.aclose()

    try:
        asyncio.run(ping())
    except (RedisError, OSError, TimeoutError) as exc:
        why = reason(exc.__cause__ if isinstance(exc.__cause__, OSError) else exc)
        if secret:
            why = why.replace(secret, "***")
        raise ConfigError(f"cannot reach Redis at {where}: {why}") from None
