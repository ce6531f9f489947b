"""Redis down: the event listener retries quietly and does not hold startup, an instance's own
events still reach its own subscribers, and routing keeps trusting catalogs that other
processes keep syncing (their sync times are in the ledger)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from gateway.config import Settings
from gateway.core import Gateway
from gateway.event_bus import EventBus
from gateway.store import Store
from gateway.workers import OutboxDrain, RedisBroadcast
from gateway.workers.broadcast import Quiet
from tests.gateway.panels import Trio, start_trio, trio_providers, trio_settings
from tests.gateway.workers.helpers import Now, eventually
from tests.gateway.workers.test_broadcast import collect, queue_events

DOWN = "redis://127.0.0.1:1/0"
"""Nothing listens there: every connection is refused at once."""


async def test_the_listener_warns_once_while_redis_stays_away(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = [0.0]
    broadcast = RedisBroadcast(
        DOWN, "x:events", reconnect=0.001, quiet=Quiet(60, clock=lambda: clock[0])
    )
    tried, subscribed = asyncio.Event(), asyncio.Event()
    caplog.set_level(logging.WARNING, "gateway.workers.broadcast")
    task = asyncio.create_task(broadcast.listen(EventBus(), subscribed, tried=tried))
    try:
        await tried.wait()  # startup goes on after the first attempt: it failed
        assert not subscribed.is_set()
        await eventually(lambda: broadcast.quiet.failures >= 50, within=30, interval=0.01)
        assert len(caplog.records) == 1, "one warning, not one per attempt"
        clock[0] += 61
        failures = broadcast.quiet.failures
        await eventually(lambda: broadcast.quiet.failures > failures + 5, within=30, interval=0.01)
        assert len(caplog.records) == 2, "a reminder once a minute"
        assert "failures so far" in caplog.records[1].getMessage()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await broadcast.aclose()


async def test_events_reach_local_subscribers_while_redis_is_down(database_url: str) -> None:
    async with await Store.connect(database_url) as store:
        await queue_events(store, 30)
        bus = EventBus(backlog=1000)
        received: list[str] = []
        subscribed = asyncio.Event()
        collector = asyncio.create_task(collect(bus, received, subscribed))
        await subscribed.wait()
        broadcast = RedisBroadcast(DOWN, "x:events", local=bus)
        try:
            assert await OutboxDrain(store, broadcast).run() == 30
            await eventually(lambda: len(received) == 30)
            assert received == [f"evt_{n}" for n in range(30)]
            assert not await store.pending_outbox(1)
        finally:
            collector.cancel()
            await asyncio.gather(collector, return_exceptions=True)
            await broadcast.aclose()


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack, services=60)


async def test_catalogs_synced_by_workers_stay_fresh_for_a_gateway_without_redis(
    trio: Trio, database_url: str, namespace: str
) -> None:
    # No shared cache: each process has its own memory cache, as with Redis down.
    settings: Settings = trio_settings(trio, database_url, None, namespace)
    refresh = settings.catalog.refresh_seconds
    now = Now()
    serving = await Gateway.open(settings, providers=trio_providers(trio, settings), clock=now)
    worker = await Gateway.open(settings, providers=trio_providers(trio, settings), clock=now)
    names = set(trio.sims)
    kept = set(sorted(names)[:2])
    try:
        await serving.catalog.snapshot()  # syncs once, at the start, then never again
        # Well past [catalog] stale_after_refreshes: only the worker keeps syncing.
        for _ in range(2 * int(settings.catalog.stale_after_refreshes) + 1):
            now.advance(refresh)
            await worker.catalog.sync()
        states = await serving.provider_states()
        assert {name: s.catalog_stale for name, s in states.items()} == dict.fromkeys(names)

        # A provider nobody syncs any more does go stale, for every process alike.
        for _ in range(int(settings.catalog.stale_after_refreshes) + 1):
            now.advance(refresh)
            await worker.catalog.sync(kept)
        states = await serving.provider_states()
        assert {name for name, s in states.items() if s.catalog_stale} == names - kept
    finally:
        await worker.aclose()
        await serving.aclose()
