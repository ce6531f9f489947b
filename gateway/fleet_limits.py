"""Provider limits that hold across the fleet: every gateway and worker process counts its
calls to a panel in Redis, so two gateways and two workers together stay within the
provider's ``calls_per_minute`` and ``concurrency``, a share of each kept for writes.

- the rate: a moving window per provider in Redis (the `limits` library), one for all calls
  and a smaller one for reads, so however many polls wait, writes keep their share;
- calls in flight: a Redis semaphore of expiring leases (a sorted set scored by expiry), again
  one for all calls and a smaller one for reads. A process that dies holding slots leaves
  leases that run out `lease` seconds after its last renewal (a live call renews its lease
  every third of it), so its slots come back on their own within seconds.

Without Redis (not configured), or while it is unreachable, each process counts on its own
(`providers.share.LocalLimits`), and says so in its log::

    install(gw.providers, settings)     # at startup, once the providers are built
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError

from gateway.config import Settings
from gateway.stopping import repeating
from providers.share import WRITE_SHARE, LocalLimits, reads_share

log = logging.getLogger(__name__)

_ERRORS = (StorageError, RedisError, OSError)

# KEYS: the semaphores to enter (all calls; reads too for a read); ARGV: token, lease seconds,
# then each key's limit. Expired leases are dropped first; all or nothing is taken.
_ACQUIRE = """
local now = redis.call('TIME')
local at = tonumber(now[1]) + tonumber(now[2]) / 1000000
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', at)
  if redis.call('ZCARD', key) >= tonumber(ARGV[2 + i]) then return 0 end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, at + tonumber(ARGV[2]), ARGV[1])
  redis.call('EXPIRE', key, math.ceil(tonumber(ARGV[2])) + 1)
end
return 1
"""

# KEYS: the semaphores held; ARGV: token, lease seconds. Pushes the token's expiry forward.
_RENEW = """
local now = redis.call('TIME')
local at = tonumber(now[1]) + tonumber(now[2]) / 1000000
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', at + tonumber(ARGV[2]), ARGV[1])
  redis.call('EXPIRE', key, math.ceil(tonumber(ARGV[2])) + 1)
end
return 1
"""


async def _sleep_until(end: float, delay: float) -> None:
    """Sleep `delay` seconds, or raise `TimeoutError` if that would pass `end` (monotonic)."""
    left = end - time.monotonic()
    if left <= 0:
        raise TimeoutError
    await asyncio.sleep(min(delay, left))


class FleetLimits:
    """`providers.share.CallLimits` counted in Redis for provider `name`, shared by every
    process of the deployment (`namespace`). `window` is the rate's window in seconds (60:
    ``calls_per_minute`` as configured)."""

    def __init__(
        self,
        redis: aioredis.Redis,
        rates: MovingWindowRateLimiter,
        namespace: str,
        name: str,
        concurrency: int,
        calls_per_minute: int,
        *,
        write_share: float = WRITE_SHARE,
        lease: float = 15.0,
        window: float = 60.0,
        poll: float = 0.1,
    ) -> None:
        self.name = name
        self.concurrency = concurrency
        self.calls_per_minute = calls_per_minute
        self.lease = lease
        self.poll = poll
        self._redis = redis
        self._rates = rates
        self._acquire: Any = redis.register_script(_ACQUIRE)
        self._renew: Any = redis.register_script(_RENEW)
        prefix = f"{namespace}:provider:{name}"
        self._slots = {False: f"{prefix}:inflight", True: f"{prefix}:inflight:reads"}
        self._rate = RateLimitItemPerSecond(calls_per_minute, max(1, round(window)))
        self._read_rate = RateLimitItemPerSecond(
            reads_share(calls_per_minute, write_share), max(1, round(window))
        )
        self._read_slots = reads_share(concurrency, write_share)
        self._rate_key = f"{namespace}:provider:{name}"
        self._local = LocalLimits(concurrency, calls_per_minute, write_share=write_share)
        self._down_until = 0.0
        self._tokens = 0

    @asynccontextmanager
    async def turn(
        self, *, write: bool, deadline: float, too_long: Callable[[], Exception]
    ) -> AsyncIterator[None]:
        if time.monotonic() < self._down_until:
            async with self._local.turn(write=write, deadline=deadline, too_long=too_long):
                yield
            return
        self._tokens += 1
        token = f"{id(self):x}:{self._tokens}:{time.time_ns()}"
        keys = [self._slots[False]] if write else [self._slots[False], self._slots[True]]
        # The wait is bounded by arithmetic, not by cancelling: a cancellation landing inside
        # the Redis client may be swallowed there, and the wait would then run on unbounded.
        end = time.monotonic() + deadline
        try:
            await self._enter(token, keys, end)
            await self._count(write, end)
        except TimeoutError:
            await self._leave(token, keys)
            raise too_long() from None
        except _ERRORS as exc:
            await self._leave(token, keys)
            self._fall_back(exc)
            async with self._local.turn(write=write, deadline=deadline, too_long=too_long):
                yield
            return
        try:
            async with repeating(self.lease / 3, lambda: self._renewed(token, keys)):
                yield
        finally:
            await asyncio.shield(self._leave(token, keys))

    async def _renewed(self, token: str, keys: list[str]) -> None:
        # Redis away: the lease may run out, and the fleet may take one call too many.
        with contextlib.suppress(*_ERRORS):
            await self._renew(keys=keys, args=[token, self.lease])

    async def _enter(self, token: str, keys: list[str], end: float) -> None:
        limits = [self.concurrency, self._read_slots][: len(keys)]
        while True:
            if await self._acquire(keys=keys, args=[token, self.lease, *limits]):
                return
            await _sleep_until(end, self.poll)

    async def _count(self, write: bool, end: float) -> None:
        """One call against the rate: reads against their share first, then every call."""
        items = [self._rate] if write else [self._read_rate, self._rate]
        for item in items:
            while not await self._rates.hit(item, self._rate_key, *self._part(item)):
                stats = await self._rates.get_window_stats(item, self._rate_key, *self._part(item))
                await _sleep_until(end, max(self.poll, stats.reset_time - time.time()))

    def _part(self, item: Any) -> tuple[str, ...]:
        return ("reads",) if item is self._read_rate else ("all",)

    async def _leave(self, token: str, keys: list[str]) -> None:
        try:
            for key in keys:
                await self._redis.zrem(key, token)
        except _ERRORS:
            pass  # the lease runs out on its own

    def _fall_back(self, exc: BaseException) -> None:
        if self._down_until == 0.0 or time.monotonic() - self._down_until > 60:
            log.warning(
                "provider %s: limits counted per process while Redis is unreachable (%s)",
                self.name, exc,
            )  # fmt: skip
        self._down_until = time.monotonic() + 5.0

    async def aclose(self) -> None:
        await self._local.aclose()


class FleetLimitsFactory:
    """One Redis connection pool and rate storage for every provider's `FleetLimits`."""

    def __init__(self, redis_url: str, namespace: str) -> None:
        self.namespace = namespace
        self._pool = aioredis.ConnectionPool.from_url(
            redis_url, socket_connect_timeout=1.0, socket_timeout=2.0
        )
        self.redis = aioredis.Redis(connection_pool=self._pool)
        storage: Storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=f"{namespace}:provider-rate",
            wrap_exceptions=True,
            connection_pool=self._pool,  # type: ignore[arg-type]
        )
        self.rates = MovingWindowRateLimiter(storage)

    def limits(
        self, name: str, concurrency: int, calls_per_minute: int, **options: Any
    ) -> FleetLimits:
        return FleetLimits(
            self.redis, self.rates, self.namespace, name, concurrency, calls_per_minute, **options
        )

    async def aclose(self) -> None:
        await self.redis.aclose()
        await self._pool.disconnect()


def install(
    providers: Mapping[str, Any], settings: Settings, *, window: float = 60.0
) -> FleetLimitsFactory | None:
    """Give every provider that takes them (`use_limits`) fleet-wide limits when Redis is
    configured; returns the factory to close at shutdown (None: limits stay per process)."""
    redis_url = settings.gateway.redis_url
    if not redis_url:
        log.info("no Redis configured: provider limits are counted per process")
        return None
    factory = FleetLimitsFactory(redis_url, settings.gateway.cache_namespace)
    for name, provider in providers.items():
        current = getattr(provider, "limits", None)
        if current is None or not hasattr(provider, "use_limits"):
            continue
        provider.use_limits(
            factory.limits(
                name,
                current.concurrency,
                current.calls_per_minute,
                write_share=getattr(provider, "write_share", WRITE_SHARE),
                window=window,
            )
        )
    return factory
