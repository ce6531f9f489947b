"""Reaching Redis before a command uses it: one line naming it (no password) and why, not a
trace per job (a worker, which cannot work without it) or a warning per attempt (a command on
the ledger, which goes on without it)."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.cli.ledger import reason
from gateway.config import ConfigError


async def redis_problem(url: str) -> str | None:
    """Why the Redis at `url` cannot be used (its address, not its password), or None when it
    answers a ping."""
    client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    kwargs = client.connection_pool.connection_kwargs
    where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
    secret = str(kwargs.get("password") or "")
    try:
        await client.ping()
    except (RedisError, OSError, TimeoutError) as exc:
        why = reason(exc.__cause__ if isinstance(exc.__cause__, OSError) else exc)
        if secret:
            why = why.replace(secret, "***")
        return f"cannot reach Redis at {where}: {why}"
    finally:
        await client.aclose()
    return None


def check_redis(url: str) -> None:
    """Ping the Redis at `url` once; a `ConfigError` when it does not answer."""
    problem = asyncio.run(redis_problem(url))
    if problem:
        raise ConfigError(problem)
