"""Per-key rate limits shared by every gateway instance: a moving window in Redis (the
`limits` library), or in this process when no Redis is configured.

Each API answers a refusal in its own shape; this module only decides::

    limiter = RateLimiter.for_settings(settings)
    decision = await limiter.hit(f"key:{principal.key_id}", limiter.limit_for(principal.name))
    if not decision.allowed:
        ...  # answer with decision.retry_after

A lost Redis degrades to per-process limits rather than refusing or failing requests.

::

    [limits]
    per_key = "120/minute"          # every API key, unless named below
    anonymous = "30/minute"         # per client address, for requests without a valid key
    max_body_bytes = 65536          # largest request body accepted
    [limits.keys]
    "reseller-big" = "600/minute"   # by API key name
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError

from gateway.auth import Principal
from gateway.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LimitOptions:
    per_key: str = "120/minute"
    anonymous: str = "30/minute"
    max_body_bytes: int = 64 * 1024
    keys: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> LimitOptions:
        """The configuration's ``[limits]`` section."""
        section = settings.limits
        return cls(
            per_key=section.per_key,
            anonymous=section.anonymous,
            max_body_bytes=section.max_body_bytes,
            keys=dict(section.keys),
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a request may go ahead, and when to come back if not."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: float = 0.0
    per: str = "minute"


def describe(item: RateLimitItem) -> str:
    """The granularity's name: ``minute`` for ``120/minute``."""
    return str(item.GRANULARITY.name)


def identity(principal: Principal | None, address: str) -> str:
    """Whose budget a request spends: its key's, or its address's without a valid key."""
    if principal is None:
        return f"anon:{address}"
    return f"key:{principal.key_id}" if principal.key_id else f"client:{principal.client_id}"


class RateLimiter:
    """A moving-window limiter on a `limits` storage, falling back to memory on errors."""

    def __init__(
        self,
        options: LimitOptions,
        *,
        redis_url: str | None = None,
        namespace: str = "smmgw",
        retry_redis_after: float = 5.0,
    ) -> None:
        self.options = options
        self.per_key = parse(options.per_key)
        self.anonymous = parse(options.anonymous)
        self._named = {name: parse(text) for name, text in options.keys.items()}
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._pool: aioredis.ConnectionPool | None = None
        self._shared: MovingWindowRateLimiter | None = None
        if redis_url:
            self._pool = aioredis.ConnectionPool.from_url(
                redis_url, socket_connect_timeout=1.0, socket_timeout=1.0
            )
            storage: Storage = RedisStorage(
                "async+redis://",
                implementation="redispy",
                key_prefix=f"{namespace}:ratelimit",
                wrap_exceptions=True,
                connection_pool=self._pool,  # type: ignore[arg-type]
            )
            self._shared = MovingWindowRateLimiter(storage)
        self._retry_after = retry_redis_after
        self._redis_down_until = 0.0

    @classmethod
    def for_settings(cls, settings: Settings) -> RateLimiter:
        return cls(
            LimitOptions.from_settings(settings),
            redis_url=settings.gateway.redis_url,
            namespace=settings.gateway.cache_namespace,
        )

    def limit_for(self, key_name: str | None) -> RateLimitItem:
        """The limit of an API key (by name), or the default per-key one."""
        if key_name is not None and key_name in self._named:
            return self._named[key_name]
        return self.per_key

    async def hit(self, identity: str, item: RateLimitItem, cost: int = 1) -> Decision:
        """Count `cost` (one request, or a GraphQL operation's cost) of `identity` against
        `item`; a refused hit counts nothing."""
        limiter = self._memory
        if self._shared is not None and time.monotonic() >= self._redis_down_until:
            limiter = self._shared
        try:
            return await self._hit(limiter, identity, item, cost)
        except (StorageError, RedisError, OSError) as exc:
            log.warning("rate limit store unavailable (%s); limiting in this process", exc)
            self._redis_down_until = time.monotonic() + self._retry_after
            return await self._hit(self._memory, identity, item, cost)

    async def check(self, principal: Principal | None, address: str) -> Decision:
        """Count one request of a caller: a key against its own limit, an unknown caller by
        address (so guessing keys is slow too). /api/v2 and /graphql share these budgets."""
        if principal is None:
            return await self.hit(identity(None, address), self.anonymous)
        return await self.hit(identity(principal, address), self.limit_for(principal.name))

    async def _hit(
        self, limiter: MovingWindowRateLimiter, identity: str, item: RateLimitItem, cost: int
    ) -> Decision:
        allowed = await limiter.hit(item, identity, cost=cost)
        stats = await limiter.get_window_stats(item, identity)
        retry_after = 0.0 if allowed else max(1.0, stats.reset_time - time.time())
        return Decision(allowed, item.amount, max(0, stats.remaining), retry_after, describe(item))

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
