"""The per-key moving windows, in memory and in Redis, on injected clocks: exact counts, costs,
refusals that count nothing, the oldest entry's departure as the retry time, and a fallback to
memory when Redis is gone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
import redis.asyncio as aioredis
from limits import parse

from gateway import ratelimit
from gateway.ratelimit import LimitOptions, RateLimiter
from gateway.ratelimit_window import SWEEP_EVERY, MemoryWindows, RedisWindows


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_window_admits_its_amount_then_refuses_until_the_oldest_hit_leaves() -> None:
    clock = Clock()
    windows = MemoryWindows(clock)
    first = windows.hit("key:1", 3, 60.0, 1)
    clock.now += 10
    windows.hit("key:1", 3, 60.0, 1)
    clock.now += 10
    third = windows.hit("key:1", 3, 60.0, 1)
    refused = windows.hit("key:1", 3, 60.0, 1)
    assert (first.allowed, first.count) == (True, 1)
    assert (third.allowed, third.count) == (True, 3)
    assert (refused.allowed, refused.count) == (False, 3), "a refusal counts nothing"
    assert refused.reset_in == pytest.approx(40.0)
    clock.now += 40  # the first hit leaves the window
    again = windows.hit("key:1", 3, 60.0, 1)
    assert (again.allowed, again.count) == (True, 3)
    assert windows.hit("key:2", 3, 60.0, 1).count == 1, "each key has its own window"


def test_costs_count_and_an_operation_too_dear_for_what_is_left_is_refused() -> None:
    clock = Clock()
    windows = MemoryWindows(clock)
    assert windows.hit("cost:key:1", 1000, 60.0, 700).allowed
    clock.now += 1
    refused = windows.hit("cost:key:1", 1000, 60.0, 301)
    assert (refused.allowed, refused.count) == (False, 700)
    assert windows.hit("cost:key:1", 1000, 60.0, 300).count == 1000


def test_hits_close_together_share_an_entry_and_leave_with_the_latest() -> None:
    clock = Clock()
    windows = MemoryWindows(clock)
    windows.hit("k", 2, 60.0, 1)
    clock.now += 0.01  # within a thousandth of the window: merged, stamped with this hit
    windows.hit("k", 2, 60.0, 1)
    clock.now += 59.995  # the first hit alone would have left; the shared entry has not
    assert not windows.hit("k", 2, 60.0, 1).allowed
    clock.now += 0.01
    assert windows.hit("k", 2, 60.0, 1).count == 1


def test_a_steady_stream_under_the_limit_is_never_refused() -> None:
    # 20 hits a second, each 50 ms apart (under a thousandth of a minute): 1,200 a minute
    # against 6,000 allowed. Shared entries must not chain into one that never leaves.
    clock = Clock()
    windows = MemoryWindows(clock)
    answers = []
    for _ in range(20 * 200):
        answers.append(windows.hit("key:big", 6000, 60.0, 1))
        clock.now += 0.05
    assert all(a.allowed for a in answers)
    assert answers[-1].count <= 1200 + 2


def test_windows_are_bounded_and_the_least_recently_hit_leaves_first() -> None:
    clock = Clock()
    windows = MemoryWindows(clock, max_windows=3)
    for n in range(3):
        windows.hit(f"anon:{n}", 1, 60.0, 1)
    windows.hit("anon:0", 1, 60.0, 1)  # refused, but hit: now the most recent
    windows.hit("anon:3", 1, 60.0, 1)  # anon:1 leaves
    assert len(windows) == 3
    assert not windows.hit("anon:0", 1, 60.0, 1).allowed, "anon:0 kept its count"
    assert windows.hit("anon:1", 1, 60.0, 1).allowed, "anon:1 was dropped"


def test_idle_windows_are_dropped() -> None:
    clock = Clock()
    windows = MemoryWindows(clock)
    for n in range(50):
        windows.hit(f"anon:10.0.0.{n}", 30, 60.0, 1)
    clock.now += SWEEP_EVERY + 61
    windows.hit("anon:10.0.0.1", 30, 60.0, 1)
    assert len(windows) == 1


@pytest.fixture
async def pool(redis_url: str) -> AsyncIterator[aioredis.ConnectionPool]:
    made = aioredis.ConnectionPool.from_url(redis_url)
    yield made
    await made.aclose()


async def test_the_shared_window_counts_exactly_as_the_memory_one(
    pool: aioredis.ConnectionPool, namespace: str
) -> None:
    clock = Clock(1_764_000_000.0)
    shared = RedisWindows(pool, f"{namespace}:ratelimit", clock)
    steps = [(0.0, 1), (10.0, 1), (0.005, 1), (5.0, 2), (0.0, 1), (50.0, 1), (0.0, 1), (61.0, 4)]
    memory_clock = Clock(0.0)
    memory = MemoryWindows(memory_clock)
    for advance, cost in steps:
        clock.now += advance
        memory_clock.now += advance
        ours = await shared.hit("key:7", 4, 60.0, cost)
        theirs = memory.hit("key:7", 4, 60.0, cost)
        assert (ours.allowed, ours.count) == (theirs.allowed, theirs.count)
        assert ours.reset_in == pytest.approx(theirs.reset_in, abs=1e-5)
    client = aioredis.Redis(connection_pool=pool)
    keys = [key async for key in client.scan_iter(f"{namespace}:*")]
    assert keys, "the window is kept under the namespace"
    assert all([await client.pttl(key) > 0 for key in keys]), "and expires"


async def test_a_steady_stream_in_redis_is_counted_as_in_memory(
    pool: aioredis.ConnectionPool, namespace: str
) -> None:
    clock = Clock(1_764_000_000.0)
    shared = RedisWindows(pool, f"{namespace}:ratelimit", clock)
    memory_clock = Clock(0.0)
    memory = MemoryWindows(memory_clock)
    for _ in range(20 * 75):  # 75 s of 20 hits a second on 1,200 a minute: every one admitted
        ours = await shared.hit("key:big", 1200, 60.0, 1)
        theirs = memory.hit("key:big", 1200, 60.0, 1)
        assert (ours.allowed, ours.count) == (theirs.allowed, theirs.count)
        clock.now += 0.05
        memory_clock.now += 0.05
    assert ours.allowed


async def test_a_lost_total_is_counted_again_from_the_entries(
    pool: aioredis.ConnectionPool, namespace: str
) -> None:
    clock = Clock(1_764_000_000.0)
    shared = RedisWindows(pool, f"{namespace}:ratelimit", clock)
    for _ in range(3):
        assert (await shared.hit("key:3", 3, 60.0, 1)).allowed
        clock.now += 1
    client = aioredis.Redis(connection_pool=pool)
    totals = [key async for key in client.scan_iter(f"{namespace}:*:total")]
    assert len(totals) == 1
    await client.delete(*totals)  # evicted on its own
    refused = await shared.hit("key:3", 3, 60.0, 1)
    assert (refused.allowed, refused.count) == (False, 3)
    clock.now += 57.5  # the first hit leaves: one place again, and not more
    assert (await shared.hit("key:3", 3, 60.0, 1)).allowed
    assert not (await shared.hit("key:3", 3, 60.0, 1)).allowed


async def test_instances_share_a_budget_through_redis(redis_url: str, namespace: str) -> None:
    options = LimitOptions(per_key="3/minute")
    one = RateLimiter(options, redis_url=redis_url, namespace=namespace)
    two = RateLimiter(options, redis_url=redis_url, namespace=namespace)
    try:
        item = one.limit_for(None)
        answers = [await (one, two)[n % 2].hit("key:1", item) for n in range(4)]
    finally:
        await one.aclose()
        await two.aclose()
    assert [a.allowed for a in answers] == [True, True, True, False]
    assert [a.remaining for a in answers] == [2, 1, 0, 0]
    assert answers[3].retry_after >= 1.0
    assert answers[3].per == "minute"


async def test_a_burst_larger_than_the_pool_is_counted_in_redis(
    redis_url: str, namespace: str
) -> None:
    limiter = RateLimiter(LimitOptions(per_key="120/minute"), redis_url=redis_url,
                          namespace=namespace)  # fmt: skip
    try:
        item = limiter.limit_for(None)
        answers = await asyncio.gather(*(limiter.hit("key:burst", item) for _ in range(500)))
    finally:
        await limiter.aclose()
    assert sum(a.allowed for a in answers) == 120


@pytest.fixture
async def drops_first_connection(redis_url: str) -> AsyncIterator[str]:
    """A Redis URL through a loopback relay that closes the first connection it is given and
    relays the others: a connection lost once, with Redis itself well."""
    target = urlsplit(redis_url)
    accepted = 0

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        if accepted == 1:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(target.hostname, target.port)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield target._replace(netloc=f"127.0.0.1:{port}").geturl()
    finally:
        server.close()


async def test_a_connection_lost_once_is_tried_again_not_taken_for_a_lost_redis(
    redis_url: str, drops_first_connection: str, namespace: str
) -> None:
    options = LimitOptions(per_key="3/minute")
    flaky = RateLimiter(options, redis_url=drops_first_connection, namespace=namespace)
    direct = RateLimiter(options, redis_url=redis_url, namespace=namespace)
    try:
        item = direct.limit_for(None)
        first = await flaky.hit("key:1", item)
        others = [await direct.hit("key:1", item) for _ in range(3)]
        last = await flaky.hit("key:1", item)
    finally:
        await flaky.aclose()
        await direct.aclose()
    assert first.allowed
    assert [a.allowed for a in others] == [True, True, False], "the first hit is in Redis"
    assert not last.allowed, "still counting in Redis, not alone"


async def test_without_redis_a_process_limits_on_its_own(namespace: str) -> None:
    clock = Clock()
    limiter = RateLimiter(
        LimitOptions(per_key="2/minute", keys={"big": "5/minute"}),
        redis_url="redis://127.0.0.1:1/0",
        namespace=namespace,
        clock=clock,
    )
    try:
        small = [await limiter.hit("key:1", limiter.limit_for("small")) for _ in range(3)]
        big = [await limiter.hit("key:2", limiter.limit_for("big")) for _ in range(6)]
    finally:
        await limiter.aclose()
    assert [d.allowed for d in small] == [True, True, False]
    assert [d.allowed for d in big] == [True] * 5 + [False]
    assert big[-1].limit == 5
    assert limiter.limit_for("big") == parse("5/minute")


async def test_limits_made_apart_count_alike_and_their_kept_facts_are_bounded() -> None:
    clock = Clock()
    limiter = RateLimiter(LimitOptions(), clock=clock)
    # Equal limits made apart (as a caller may parse its own): the same window and answers.
    first = [await limiter.hit("key:1", parse("2/minute")) for _ in range(3)]
    assert [(d.allowed, d.limit, d.remaining, d.per) for d in first] == [
        (True, 2, 1, "minute"), (True, 2, 0, "minute"), (False, 2, 0, "minute"),
    ]  # fmt: skip
    # More limits than are kept: each still answers with its own amount and window name.
    items = [parse(f"{n}/hour") for n in range(1, ratelimit.MAX_FACTS + 50)]
    for item in items:
        decision = await limiter.hit(f"key:{item.amount}", item)
        assert (decision.allowed, decision.limit, decision.per) == (True, item.amount, "hour")
    assert len(limiter._facts) <= ratelimit.MAX_FACTS
    again = await limiter.hit("key:1", limiter.per_key)
    assert (again.limit, again.per) == (120, "minute")
