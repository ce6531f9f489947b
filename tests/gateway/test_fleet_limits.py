"""`FleetLimits` on a real Redis: a dead process's slots come back when their leases run out,
reads never take the writes' share, and without Redis a process counts on its own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from gateway.fleet_limits import FleetLimitsFactory
from tests.gateway.workers.helpers import eventually

DOWN = "redis://127.0.0.1:1/0"


def too_long() -> Exception:
    return TimeoutError("no turn")


@pytest.fixture
async def factory(redis_url: str, namespace: str) -> AsyncIterator[FleetLimitsFactory]:
    made = FleetLimitsFactory(redis_url, namespace)
    yield made
    await made.aclose()


async def test_slots_of_a_dead_process_come_back_when_their_leases_run_out(
    factory: FleetLimitsFactory,
) -> None:
    dead = factory.limits("alpha", 2, 1000, lease=0.5, poll=0.02)
    # A process that took both slots and died: its leases are never renewed nor released.
    for token in ("dead-1", "dead-2"):
        assert await dead._acquire(keys=[dead._slots[False]], args=[token, 0.5, 2])
    alive = factory.limits("alpha", 2, 1000, lease=5, poll=0.02)
    assert await factory.redis.zcard(alive._slots[False]) == 2
    # Both slots taken by the live process: each dead lease ran out (the two ran out a few
    # milliseconds apart, so one turn alone may find the second still held).
    async with (
        alive.turn(write=True, deadline=30, too_long=too_long),
        alive.turn(write=True, deadline=30, too_long=too_long),
    ):
        held = [str(t) for t in await factory.redis.zrange(alive._slots[False], 0, -1)]
        assert [t for t in held if "dead" in t] == []
        assert len(held) == 2
    assert await factory.redis.zcard(alive._slots[False]) == 0, "a finished call leaves"


async def test_reads_wait_while_a_write_takes_the_slot_kept_for_it(
    factory: FleetLimitsFactory,
) -> None:
    limits = factory.limits("beta", 4, 1000, poll=0.02)  # reads: 3 of 4 in flight
    entered: list[str] = []
    release = asyncio.Event()

    async def call(kind: str) -> None:
        async with limits.turn(write=kind == "add", deadline=30, too_long=too_long):
            entered.append(kind)
            await release.wait()

    reads = [asyncio.create_task(call("read")) for _ in range(5)]
    await eventually(lambda: entered.count("read") == 3)
    write = asyncio.create_task(call("add"))
    await eventually(lambda: "add" in entered)
    assert entered.count("read") == 3, "two reads still wait: the last slot is the writes'"
    release.set()
    await asyncio.gather(*reads, write)
    assert entered.count("read") == 5


async def test_without_redis_a_process_counts_on_its_own_and_says_so(
    namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    factory = FleetLimitsFactory(DOWN, namespace)
    try:
        limits = factory.limits("gamma", 2, 1000)
        caplog.set_level(logging.WARNING, "gateway.fleet_limits")
        for _ in range(3):
            async with limits.turn(write=False, deadline=5, too_long=too_long):
                pass
        warnings = [r.getMessage() for r in caplog.records]
        assert len(warnings) == 1
        assert "counted per process" in warnings[0]
    finally:
        await factory.aclose()
