"""Per-key rate limits shared by every gateway instance: a moving window in Redis, or in this
process when no Redis is configured (`gateway.ratelimit_window`: one step per hit either way).

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
    max_body_bytes = 1048576        # largest request body accepted
    [limits.keys]
    "reseller-big" = "600/minute"   # by API key name
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from limits import RateLimitItem, parse
from redis.exceptions import RedisError

from gateway.auth import Principal
from gateway.config import Settings
from gateway.ratelimit_window import Counted, MemoryWindows, RedisWindows

log = logging.getLogger(__name__)

MAX_FACTS = 1024
"""Limits whose facts are kept (a handful in practice: the configured ones)."""


@dataclass(frozen=True, slots=True)
class LimitOptions:
    per_key: str = "120/minute"
    anonymous: str = "30/minute"
    max_body_bytes: int = 1024 * 1024
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


@dataclass(slots=True)
class Decision:
    """Whether a request may go ahead, and when to come back if not. (Not frozen: one is made
    for every request, and a frozen dataclass's `__init__` costs several times as much.)"""

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
    """Moving windows in Redis when configured, else in memory; a lost Redis falls back to
    memory for `retry_redis_after` seconds."""

    def __init__(
        self,
        options: LimitOptions,
        *,
        redis_url: str | None = None,
        namespace: str = "smmgw",
        retry_redis_after: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.options = options
        self.per_key = parse(options.per_key)
        self.anonymous = parse(options.anonymous)
        self._named = {name: parse(text) for name, text in options.keys.items()}
        self._clock = clock
        # Per limit, by the item's identity (a `RateLimitItem` hashes in Python, slowly): the
        # item, its amount, window (seconds) and the window's name, worked out once.
        self._facts: dict[int, tuple[RateLimitItem, int, float, str]] = {}
        self._memory = MemoryWindows(clock)
        self._pool: aioredis.ConnectionPool | None = None
        self._shared: RedisWindows | None = None
        if redis_url:
            # A burst waits for a connection (up to a second) rather than finding the pool
            # exhausted, which would read as "Redis lost" and count in this process alone.
            self._pool = aioredis.BlockingConnectionPool.from_url(
                redis_url, max_connections=64, timeout=1.0,
                socket_connect_timeout=1.0, socket_timeout=1.0,
            )  # fmt: skip
            self._shared = RedisWindows(self._pool, f"{namespace}:ratelimit", wall_clock)
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
        `item`; a refused hit counts nothing. One Redis round trip at most."""
        facts = self._facts.get(id(item))
        if facts is None or facts[0] is not item:
            if len(self._facts) >= MAX_FACTS:
                self._facts.clear()
            facts = (item, item.amount, float(item.get_expiry()), describe(item))
            self._facts[id(item)] = facts
        _, amount, expiry, per = facts
        counted: Counted | None = None
        if self._shared is not None and self._clock() >= self._redis_down_until:
            counted = await self._counted_in_redis(self._shared, identity, amount, expiry, cost)
        if counted is None:
            counted = self._memory.hit(identity, amount, expiry, cost)
        retry_after = 0.0 if counted.allowed else max(1.0, counted.reset_in)
        remaining = max(0, amount - counted.count)
        return Decision(counted.allowed, amount, remaining, retry_after, per)

    async def _counted_in_redis(
        self, shared: RedisWindows, identity: str, amount: int, expiry: float, cost: int
    ) -> Counted | None:
        """The hit counted in Redis, or None when Redis fails twice running: then this process
        counts alone for `retry_redis_after` seconds. One failure says little (a connection
        that timed out while a burst opened many, one the server had closed), so it is tried
        once more; if the first call's reply was what got lost, the hit counts twice: a
        stricter limit for a moment, never a looser one."""
        for attempt in (1, 2):
            try:
                return await shared.hit(identity, amount, expiry, cost)
            except (RedisError, OSError) as exc:
                if attempt == 2:
                    log.warning("rate limit store unavailable (%s); limiting in this process", exc)
        self._redis_down_until = self._clock() + self._retry_after
        return None

    async def check(self, principal: Principal | None, address: str) -> Decision:
        """Count one request of a caller: a key against its own limit, an unknown caller by
        address (so guessing keys is slow too). /api/v2 and /graphql share these budgets."""
        if principal is None:
            return await self.hit(identity(None, address), self.anonymous)
        return await self.hit(identity(principal, address), self.limit_for(principal.name))

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
