"""One contract suite for every cache backend, plus Redis sharing, loss and recovery."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal

import pytest
import redis.asyncio as redis
from pydantic import BaseModel, Field

from gateway.cache import Cache, MemoryCache, RedisCache, cache_from_url
from tests.gateway.cache_fixtures import (
    REDIS_URL,
    FakeClock,
    Recorder,
    RedisServer,
    Silent,
    purge,
    redis_now_ms,
    unique_namespace,
)
from tests.gateway.workers.helpers import eventually

MakeCache = Callable[..., Cache]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "redis"])
async def make_cache(request: pytest.FixtureRequest) -> AsyncIterator[MakeCache]:
    """Builds caches of one backend; every Redis cache of a test shares one fresh namespace."""
    namespace = unique_namespace()
    made: list[Cache] = []

    def make(clock: Callable[[], float] = time.time) -> Cache:
        cache: Cache
        if request.param == "memory":
            cache = MemoryCache(clock=clock)
        else:
            cache = RedisCache(REDIS_URL, namespace=namespace, clock=clock, poll_interval=0.01)
        made.append(cache)
        return cache

    yield make
    for cache in made:
        await cache.aclose()
    if request.param == "redis":
        await purge(namespace)


@pytest.fixture
def cache(make_cache: MakeCache, clock: FakeClock) -> Cache:
    return make_cache(clock)


@pytest.fixture
async def redis_pair(clock: FakeClock) -> AsyncIterator[tuple[RedisCache, RedisCache]]:
    """Two caches on one Redis namespace: two gateway instances."""
    namespace = unique_namespace()
    pair = tuple(
        RedisCache(REDIS_URL, namespace=namespace, clock=clock, poll_interval=0.01)
        for _ in range(2)
    )
    yield pair[0], pair[1]
    for cache in pair:
        await cache.aclose()
    await purge(namespace)


async def settle(cache: Cache, key: str, expected: bytes) -> None:
    """Wait for a background refresh to land."""

    async def landed() -> bool:
        return await cache.get(key) == expected

    await eventually(landed, within=30)


# --- get / set / delete --------------------------------------------------------------------------


async def test_get_returns_what_set_stored(cache: Cache) -> None:
    await cache.set("k", b"\x00value\xff", ttl=60)
    assert await cache.get("k") == b"\x00value\xff"
    assert await cache.get("other") is None


async def test_entry_is_a_miss_after_its_ttl(cache: Cache, clock: FakeClock) -> None:
    await cache.set("k", b"v", ttl=10)
    clock.advance(9.9)
    assert await cache.get("k") == b"v"
    clock.advance(0.2)
    assert await cache.get("k") is None


async def test_entries_expire_in_real_time(make_cache: MakeCache) -> None:
    cache = make_cache()
    await cache.set("k", b"v", ttl=0.05)

    async def gone() -> bool:
        return await cache.get("k") is None

    await eventually(gone)  # by the real clocks, no fake one


async def test_get_many_answers_each_key_in_order_as_get_would(
    cache: Cache, clock: FakeClock
) -> None:
    await cache.set("a", b"1", ttl=60)
    await cache.set("b", b"2", ttl=5)
    await cache.set("c", b"3", ttl=60)
    clock.advance(10)  # "b" is past its ttl
    assert await cache.get_many(["c", "missing", "b", "a"]) == [b"3", None, None, b"1"]
    assert await cache.get_many([]) == []


async def test_get_many_models_decodes_each_and_misses_the_wrong_shape(cache: Cache) -> None:
    rate = Rate(service=1, ratePer1000=MONEY[1], balance=Decimal("5.00"))
    await cache.set_model("r", rate, ttl=60)
    await cache.set_model("other", {"service": "x"}, ttl=60)
    found = await cache.get_many_models(["other", "r", "missing"], Rate)
    assert found == [None, rate, None]
    assert found[1] is not None
    assert str(found[1].rate_per_1000) == str(MONEY[1])


async def test_delete_removes_keys_and_ignores_missing_ones(cache: Cache) -> None:
    await cache.set("a", b"1", ttl=60)
    await cache.set("b", b"2", ttl=60)
    await cache.set("c", b"3", ttl=60)
    await cache.delete("a", "b", "missing")
    await cache.delete()
    assert [await cache.get(k) for k in "abc"] == [None, None, b"3"]


async def test_invalid_ttls_are_rejected(cache: Cache) -> None:
    with pytest.raises(ValueError, match="ttl"):
        await cache.set("k", b"v", ttl=0)
    with pytest.raises(ValueError, match="ttl"):
        await cache.get_or_compute("k", Recorder(b"v"), ttl=1, stale_ttl=-1)


# --- get_or_compute


async def test_get_or_compute_caches_for_ttl(cache: Cache, clock: FakeClock) -> None:
    compute = Recorder(b"v1")
    assert await cache.get_or_compute("k", compute, ttl=10) == b"v1"
    assert await cache.get_or_compute("k", compute, ttl=10) == b"v1"
    assert compute.calls == 1
    clock.advance(11)
    compute.value = b"v2"
    assert await cache.get_or_compute("k", compute, ttl=10) == b"v2"
    assert compute.calls == 2


async def test_stale_value_is_served_while_one_refresh_runs(cache: Cache, clock: FakeClock) -> None:
    await cache.get_or_compute("k", Recorder(b"old"), ttl=10, stale_ttl=100)
    clock.advance(50)
    release = asyncio.Event()
    refresh = Recorder(b"new", gate=release)
    results = await asyncio.gather(
        *(cache.get_or_compute("k", refresh, ttl=10, stale_ttl=100) for _ in range(20))
    )
    assert results == [b"old"] * 20  # none of them waited for the refresh
    release.set()
    await settle(cache, "k", b"new")
    assert refresh.calls == 1
    assert await cache.get_or_compute("k", refresh, ttl=10, stale_ttl=100) == b"new"
    assert refresh.calls == 1


async def test_value_past_its_stale_window_is_computed_inline(
    cache: Cache, clock: FakeClock
) -> None:
    await cache.get_or_compute("k", Recorder(b"old"), ttl=10, stale_ttl=5)
    clock.advance(16)
    compute = Recorder(b"new")
    assert await cache.get_or_compute("k", compute, ttl=10, stale_ttl=5) == b"new"
    assert compute.calls == 1


async def test_concurrent_misses_compute_once(cache: Cache) -> None:
    compute = Recorder(b"v", delay=0.05)
    results = await asyncio.gather(
        *(cache.get_or_compute("k", compute, ttl=60) for _ in range(100))
    )
    assert results == [b"v"] * 100
    assert compute.calls == 1


async def test_compute_error_reaches_every_caller_and_is_not_cached(cache: Cache) -> None:
    failing = Recorder(b"", delay=0.02, error=RuntimeError("provider down"))
    results = await asyncio.gather(
        *(cache.get_or_compute("k", failing, ttl=60) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)
    assert failing.calls == 1
    assert await cache.get("k") is None
    assert await cache.get_or_compute("k", Recorder(b"v"), ttl=60) == b"v"


async def test_failed_refresh_is_logged_and_the_stale_value_kept(
    cache: Cache, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    await cache.get_or_compute("k", Recorder(b"old"), ttl=10, stale_ttl=100)
    clock.advance(20)
    failing = Recorder(b"", error=RuntimeError("provider down"))
    assert await cache.get_or_compute("k", failing, ttl=10, stale_ttl=100) == b"old"
    await eventually(lambda: "background refresh" in caplog.text, within=30)
    assert "background refresh of 'k' failed" in caplog.text
    assert failing.calls == 1
    assert await cache.get_or_compute("k", Recorder(b"new"), ttl=10, stale_ttl=100) == b"old"


async def test_caller_cancelled_while_waiting_does_not_stop_the_computation(cache: Cache) -> None:
    gate = asyncio.Event()
    compute = Recorder(b"v", gate=gate)
    impatient = asyncio.create_task(cache.get_or_compute("k", compute, ttl=60))
    await eventually(lambda: compute.calls == 1)  # computing, its caller waiting for it
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    patient = asyncio.create_task(cache.get_or_compute("k", compute, ttl=60))
    gate.set()
    assert await patient == b"v"
    assert compute.calls == 1, "the computation went on without its first caller"


# --- versioned namespaces


async def test_bump_invalidates_only_its_namespace(cache: Cache) -> None:
    catalog, balances = await cache.versioned("catalog", "all"), await cache.versioned("bal", "x")
    assert catalog == "catalog:v0:all"
    await cache.set(catalog, b"old catalog", ttl=60)
    await cache.set(balances, b"balance", ttl=60)
    assert await cache.bump("catalog") == 1
    assert await cache.versioned("catalog", "all") == "catalog:v1:all"
    assert await cache.get(await cache.versioned("catalog", "all")) is None
    assert await cache.get(await cache.versioned("bal", "x")) == b"balance"


# --- models and money


class Rate(BaseModel):
    service: int
    rate_per_1000: Decimal = Field(alias="ratePer1000")
    balance: Decimal


MONEY = [Decimal("0.10"), Decimal("0.000123456789012345678901"), Decimal("98765432109876543210.5")]


async def test_models_round_trip_decimals_exactly(cache: Cache) -> None:
    rates = [Rate(service=i, ratePer1000=m, balance=-m) for i, m in enumerate(MONEY)]
    await cache.set_model("rates", rates, ttl=60)
    back = await cache.get_model("rates", list[Rate])
    assert back == rates
    assert back is not None
    assert [str(r.rate_per_1000) for r in back] == [str(m) for m in MONEY]
    raw = await cache.get("rates")
    assert raw is not None
    assert b'"ratePer1000":"0.10"' in raw  # money travels as a string, never a float
    await cache.set_model("fx", {"EUR": Decimal("1.0800")}, ttl=60)
    assert await cache.get_model("fx", dict[str, Decimal]) == {"EUR": Decimal("1.0800")}
    assert str((await cache.get_model("fx", dict[str, Decimal]) or {})["EUR"]) == "1.0800"
    assert await cache.get_model("missing", Rate) is None


async def test_get_or_compute_model(cache: Cache) -> None:
    calls = 0

    async def fetch() -> Rate:
        nonlocal calls
        calls += 1
        return Rate(service=1, ratePer1000=MONEY[1], balance=Decimal("5.00"))

    first = await cache.get_or_compute_model("r", Rate, fetch, ttl=60)
    second = await cache.get_or_compute_model("r", Rate, fetch, ttl=60)
    assert first == second
    assert str(second.balance) == "5.00"
    assert calls == 1


class RateV2(BaseModel):
    service: int
    price: Decimal


async def test_entry_of_another_shape_is_a_miss_not_an_error(cache: Cache) -> None:
    # Redis outlives deploys: a new release may find what an older one cached.
    await cache.set_model("r", Rate(service=1, ratePer1000=Decimal(1), balance=Decimal(2)), ttl=60)
    assert await cache.get_model("r", RateV2) is None

    async def fetch() -> RateV2:
        return RateV2(service=1, price=Decimal("0.50"))

    assert await cache.get_or_compute_model("r", RateV2, fetch, ttl=60) == await fetch()
    assert await cache.get_model("r", RateV2) == await fetch()


# --- backend specifics


async def test_memory_cache_evicts_the_least_recently_used() -> None:
    cache = MemoryCache(max_entries=2)
    await cache.set("a", b"1", ttl=60)
    await cache.set("b", b"2", ttl=60)
    await cache.get("a")
    await cache.set("c", b"3", ttl=60)
    assert [await cache.get(k) for k in "abc"] == [b"1", None, b"3"]


async def test_redis_key_lives_for_ttl_plus_stale_ttl(
    redis_pair: tuple[RedisCache, RedisCache],
) -> None:
    cache, _ = redis_pair
    async with redis.Redis.from_url(REDIS_URL) as client:
        before = await redis_now_ms(client)
        await cache.get_or_compute("k", Recorder(b"v"), ttl=10, stale_ttl=50)
        after = await redis_now_ms(client)
        expires = await client.pexpiretime(f"{cache.namespace}:d:k")
    # Set at some moment between the two readings of Redis's clock, to expire 60 s later.
    assert before + 60_000 <= expires <= after + 60_000


async def test_instances_share_values_and_bumps(redis_pair: tuple[RedisCache, RedisCache]) -> None:
    one, two = redis_pair
    await one.set(await one.versioned("catalog", "all"), b"catalog", ttl=60)
    assert await two.get(await two.versioned("catalog", "all")) == b"catalog"
    await two.bump("catalog")
    assert await one.get(await one.versioned("catalog", "all")) is None


async def test_two_instances_compute_once(redis_pair: tuple[RedisCache, RedisCache]) -> None:
    one, two = redis_pair
    compute = Recorder(b"v", delay=0.1)
    results = await asyncio.gather(
        *(c.get_or_compute("k", compute, ttl=60) for _ in range(50) for c in (one, two))
    )
    assert results == [b"v"] * 100
    assert compute.calls == 1


async def test_waiter_computes_itself_when_the_lock_holder_never_delivers(clock: FakeClock) -> None:
    namespace = unique_namespace()
    async with redis.Redis.from_url(REDIS_URL) as client:
        # The lock outlives the test by far: only the waiter's own `lock_wait` can end its wait.
        await client.set(f"{namespace}:lock:k", "someone else", px=600_000)
        cache = RedisCache(REDIS_URL, namespace=namespace, lock_wait=0.2, poll_interval=0.02)
        compute = Recorder(b"v")
        try:
            assert await asyncio.wait_for(cache.get_or_compute("k", compute, ttl=60), 60) == b"v"
            assert compute.calls == 1
            assert await client.get(f"{namespace}:lock:k") == b"someone else"  # not ours to free
            assert await client.pttl(f"{namespace}:lock:k") > 60_000
        finally:
            await cache.aclose()
            await purge(namespace)


async def test_a_failed_compute_frees_the_lock_for_the_next_instance(
    redis_pair: tuple[RedisCache, RedisCache],
) -> None:
    one, two = redis_pair
    with pytest.raises(RuntimeError):
        await one.get_or_compute("k", Recorder(b"", error=RuntimeError("boom")), ttl=60)
    async with redis.Redis.from_url(REDIS_URL) as client:
        assert await client.exists(f"{one.namespace}:lock:k") == 0, "the lock was released"
    compute = Recorder(b"v")
    assert await two.get_or_compute("k", compute, ttl=60) == b"v"
    assert compute.calls == 1


# --- losing Redis


@pytest.fixture
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


async def exercise(cache: RedisCache, compute: Recorder) -> None:
    """Every public call once; with Redis gone each must act as a miss or a no-op."""
    assert await cache.get("k") is None
    await cache.set("k", b"v", ttl=60)
    await cache.delete("k")
    assert await cache.get_or_compute("computed", compute, ttl=60, stale_ttl=60) == b"fresh"
    assert await cache.bump("catalog") == 0
    key = await cache.versioned("catalog", "all")
    assert await cache.get(key) is None
    await cache.set_model(key, {"rate": Decimal("1.5")}, ttl=60)
    assert await cache.get_model(key, dict[str, Decimal]) is None
    assert await cache.get_many(["k", key]) == [None, None]
    assert await cache.get_many_models([key], dict[str, Decimal]) == [None]


async def test_lost_redis_degrades_to_misses_without_stalls_and_recovers(
    private_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.cache")
    monotonic = FakeClock(0.0)
    cache = RedisCache(private_redis.url, backoff=0.3, monotonic=monotonic)
    try:
        await cache.set("k", b"before", ttl=60)
        assert await cache.get("k") == b"before"

        private_redis.stop()
        compute = Recorder(b"fresh")
        for _ in range(10):
            await exercise(cache, compute)
        monotonic.advance(0.35)  # the back-off lapses: the next calls probe a dead port
        for _ in range(10):
            await exercise(cache, compute)
        assert compute.calls == 20  # no cache, yet every caller got its value
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1  # one line per outage, not one per call

        private_redis.start()
        monotonic.advance(0.35)
        await cache.set("k", b"after", ttl=60)
        assert await cache.get("k") == b"after"
        assert "reachable again" in caplog.text
        # The restarted server lost its data; the bumps made while it was down are applied.
        assert await cache.versioned("catalog", "all") == "catalog:v1:all"
    finally:
        await cache.aclose()


async def test_unresponsive_redis_costs_one_timeout_per_backoff_not_per_call() -> None:
    # A server that accepts connections and never answers: every command would wait for the
    # full timeout. Its connections count the tries.
    with Silent() as silent:
        monotonic = FakeClock(0.0)
        cache = RedisCache(silent.url, timeout=0.2, backoff=5.0, monotonic=monotonic)
        try:
            assert await cache.get_or_compute("k", Recorder(b"v"), ttl=60) == b"v"
            one_try = silent.connections
            assert one_try >= 1
            for _ in range(19):
                assert await cache.get_or_compute("k", Recorder(b"v"), ttl=60) == b"v"
            assert silent.connections == one_try, "no call tried Redis during the back-off"
            monotonic.advance(5.0)
            assert await cache.get_or_compute("k", Recorder(b"v"), ttl=60) == b"v"
            assert silent.connections == 2 * one_try, "tried again once it lapsed"
        finally:
            await cache.aclose()


async def test_password_stays_out_of_logs_and_repr(caplog: pytest.LogCaptureFixture) -> None:
    port = RedisServer.free_port()  # nothing listens there
    cache = RedisCache(f"redis://user:s3cret-pw@127.0.0.1:{port}/0")
    try:
        assert await cache.get("k") is None
    finally:
        await cache.aclose()
    assert "unavailable" in caplog.text
    assert "s3cret-pw" not in caplog.text
    assert "s3cret-pw" not in repr(cache)


# --- configuration


async def test_cache_from_url_picks_the_backend() -> None:
    assert isinstance(cache_from_url(None), MemoryCache)
    assert isinstance(cache_from_url(""), MemoryCache)
    assert isinstance(cache_from_url("memory://"), MemoryCache)
    redis_cache = cache_from_url(REDIS_URL)
    assert isinstance(redis_cache, RedisCache)
    await redis_cache.aclose()
    with pytest.raises(ValueError, match="memory, redis"):
        cache_from_url("memcached://:pw@host")
