"""The Redis cache, shared by every gateway instance; Redis errors degrade it to misses."""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar, cast

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from gateway.cache.base import Cache, Clock

log = logging.getLogger(__name__)
T = TypeVar("T")

# Deletes the lock only if it is still ours: a compute that outlived lock_ttl must not release
# the lock another instance has taken since.
_UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
_DOWN = object()


def _millis(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


class RedisCache(Cache):
    """A cache in Redis, shared by every gateway instance using the same `namespace`.

    Pass a URL (the cache owns and closes its client) or a `redis.asyncio.Redis` (the caller does).
    A URL's client waits at most `timeout` seconds for Redis. After a Redis error, calls skip Redis
    for `backoff` seconds (measured by `monotonic`) and act as misses / no-op writes.
    """

    def __init__(
        self,
        url_or_client: str | redis.Redis,
        *,
        namespace: str = "smmgw",
        backoff: float = 2.0,
        timeout: float = 1.0,
        clock: Clock = time.time,
        monotonic: Clock = time.monotonic,
        lock_ttl: float = 30.0,
        lock_wait: float = 10.0,
        poll_interval: float = 0.05,
    ) -> None:
        super().__init__(
            clock=clock, lock_ttl=lock_ttl, lock_wait=lock_wait, poll_interval=poll_interval
        )
        if isinstance(url_or_client, str):
            # Fail fast: the back-off below, not redis-py's retry loop, decides when to try again.
            # The one retry covers a pooled connection that a restarted server dropped.
            self._client = redis.Redis.from_url(
                url_or_client,
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
                retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
            )
            self._owns_client = True
        else:
            self._client = url_or_client
            self._owns_client = False
        kwargs = self._client.connection_pool.connection_kwargs
        self._where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
        self._secret = str(kwargs.get("password") or "")
        self.namespace = namespace
        self._backoff = backoff
        self._monotonic = monotonic
        self._down_until = 0.0
        self._failing = False
        self._next_warning = 0.0
        # A bump that missed Redis is retried, or old entries would outlive the invalidation.
        self._pending_bumps: set[str] = set()

    def __repr__(self) -> str:
        return f"RedisCache({self._where!r}, namespace={self.namespace!r})"

    async def _call(self, default: T, command: Callable[[], Awaitable[T]]) -> T:
        if self._monotonic() < self._down_until:
            return default
        try:
            result = await command()
        except (RedisError, OSError) as exc:
            self._down_until = self._monotonic() + self._backoff
            self._report(exc)
            return default
        if self._failing:
            self._failing = False
            log.info("Redis at %s is reachable again", self._where)
        return result

    def _report(self, exc: BaseException) -> None:
        # One warning per outage (repeated each minute while it lasts), not one per call.
        now = self._monotonic()
        if not self._failing or now >= self._next_warning:
            message = str(exc).replace(self._secret, "***") if self._secret else str(exc)
            log.warning(
                "Redis at %s unavailable (%s: %s); running without cache, next try in %.1fs",
                self._where,
                type(exc).__name__,
                message,
                self._backoff,
            )
            self._next_warning = now + 60.0
        self._failing = True

    def _key(self, kind: str, name: str) -> str:
        return f"{self.namespace}:{kind}:{name}"

    async def _read(self, key: str) -> bytes | None:
        data = await self._call(None, lambda: self._client.get(self._key("d", key)))
        return cast(bytes | None, data)

    async def _read_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        names = [self._key("d", key) for key in keys]
        missing: list[bytes | None] = [None] * len(keys)
        return cast(list[bytes | None], await self._call(missing, lambda: self._client.mget(names)))

    async def _write(self, key: str, data: bytes, ttl: float) -> None:
        await self._call(None, lambda: self._client.set(self._key("d", key), data, px=_millis(ttl)))

    async def delete(self, *keys: str) -> None:
        if keys:
            names = [self._key("d", key) for key in keys]
            await self._call(None, lambda: self._client.delete(*names))

    async def bump(self, namespace: str) -> int:
        """Invalidate the namespace; returns 0 if Redis is unreachable (the bump is retried)."""
        version = await self._call(None, lambda: self._client.incr(self._key("v", namespace)))
        if version is None:
            self._pending_bumps.add(namespace)
            return 0
        self._pending_bumps.discard(namespace)
        return int(version)

    async def version(self, namespace: str) -> str | None:
        """The namespace's version in Redis, or None while Redis is unreachable."""
        if namespace in self._pending_bumps:
            found: object = await self.bump(namespace) or _DOWN
        else:
            found = await self._call(_DOWN, lambda: self._client.get(self._key("v", namespace)))
        if found is _DOWN:
            return None
        return str(int(cast(bytes | int | None, found) or 0))

    async def _version(self, namespace: str) -> str:
        known = await self.version(namespace)
        if known is None:
            # An unknown version must not hit: if Redis came back between this read and the next
            # get, an entry from before a bump could be served. A miss is what a down Redis means.
            # (A caller that wants a stable answer while Redis is down asks `version` instead.)
            return "?" + secrets.token_hex(8)
        return known

    async def _lock(self, key: str) -> str | None:
        token = secrets.token_hex(8)

        async def take() -> bool:
            name = self._key("lock", key)
            return bool(await self._client.set(name, token, nx=True, px=_millis(self._lock_ttl)))

        # Unreachable Redis: no one can coordinate, so compute here rather than wait.
        return token if await self._call(True, take) else None

    async def _unlock(self, key: str, token: str) -> None:
        await self._call(None, lambda: self._client.eval(_UNLOCK, 1, self._key("lock", key), token))

    async def aclose(self) -> None:
        """Cancel background refreshes and close the client if this cache created it."""
        await super().aclose()
        if self._owns_client:
            await self._client.aclose()
