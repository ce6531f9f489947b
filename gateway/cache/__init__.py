"""The gateway's cache: Redis shared by every instance, or in-process when no Redis is configured.

A lost Redis costs speed, never correctness: every Redis error becomes a miss or a skipped write,
and after one the cache leaves Redis alone for a short back-off, then probes it again.

    cache = cache_from_url(settings.gateway.redis_url)  # None -> MemoryCache
    key = await cache.versioned("catalog", "services")
    data = await cache.get_or_compute(key, fetch_services, ttl=60, stale_ttl=600)
    await cache.bump("catalog")  # after a sync: every catalog key is now a miss
"""

from urllib.parse import urlsplit

from gateway.cache.base import Cache, Clock
from gateway.cache.memory import MemoryCache
from gateway.cache.redis import RedisCache

__all__ = ["Cache", "Clock", "MemoryCache", "RedisCache", "cache_from_url"]


def cache_from_url(url: str | None, namespace: str = "smmgw") -> Cache:
    """A `RedisCache` for a ``redis://``, ``rediss://`` or ``unix://`` URL, else a `MemoryCache`.

    None, an empty string and ``memory://`` give the in-process cache. `namespace` prefixes
    every Redis key, so several gateways (or test runs) can share one Redis.
    """
    if not url:
        return MemoryCache()
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        return MemoryCache()
    if scheme in ("redis", "rediss", "unix"):
        return RedisCache(url, namespace=namespace)
    # The URL itself is left out: it may carry a password.
    raise ValueError(f"unknown cache URL scheme {scheme!r}; known: memory, redis, rediss, unix")
