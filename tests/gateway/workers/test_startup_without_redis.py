"""A gateway starting while Redis is unreachable: startup goes on after the event listener's
first try (not after a fixed wait), and this instance's subscribers hear the events its own
drain publishes meanwhile."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from gateway.config import GatewaySection, Settings
from gateway.core import Gateway
from gateway.event_bus import EventBus
from gateway.workers import WorkerOptions
from gateway.workers.inprocess import background
from tests.gateway.cache_fixtures import Silent
from tests.gateway.workers.helpers import eventually
from tests.gateway.workers.test_broadcast import collect, queue_events

REFUSED = "redis://127.0.0.1:1/0"
"""Nothing listens there: every connection is refused at once."""
FOREVER = 3600.0
"""A listener wait that would stall the test: startup must not depend on it."""
QUIET = WorkerOptions(
    status_every=3600, refill_every=3600, catalog_every=3600, balance_every=3600,
    outbox_every=0.05, unconfirmed_every=3600, interrupted_every=3600, children_every=3600,
)  # fmt: skip
"""Only the outbox drain runs often."""


def settings_for(database_url: str, redis_url: str, namespace: str) -> Settings:
    return Settings(
        gateway=GatewaySection(
            database_url=database_url, redis_url=redis_url, cache_namespace=namespace
        )
    )


@pytest.fixture
async def gw(database_url: str, namespace: str) -> AsyncIterator[Gateway]:
    async with await Gateway.open(settings_for(database_url, REFUSED, namespace)) as opened:
        yield opened


async def test_startup_goes_on_after_the_first_refused_try_and_local_events_flow(
    gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    bus = EventBus(backlog=1000)
    received: list[str] = []
    subscribed = asyncio.Event()
    collector = asyncio.create_task(collect(bus, received, subscribed))
    await subscribed.wait()
    caplog.set_level(logging.WARNING, "gateway.workers.broadcast")
    try:
        async with asyncio.timeout(120):  # a guard against waiting out FOREVER, not a measure
            async with background(gw, bus, options=QUIET, listener_wait=FOREVER):
                assert any("cannot reach Redis" in r.getMessage() for r in caplog.records)
                await queue_events(gw.store, 30)
                await eventually(lambda: len(received) == 30)
        assert received == [f"evt_{n}" for n in range(30)]
        assert not await gw.store.pending_outbox(1)
    finally:
        collector.cancel()
        await asyncio.gather(collector, return_exceptions=True)


async def test_a_redis_that_never_answers_holds_startup_only_for_its_first_try(
    database_url: str, namespace: str
) -> None:
    with Silent() as silent:
        settings = settings_for(database_url, silent.url, namespace)
        async with await Gateway.open(settings) as gw:
            async with asyncio.timeout(120):  # a guard, not a measure
                async with background(gw, EventBus(), run_jobs=False, listener_wait=FOREVER):
                    assert silent.connections >= 1, "the listener tried Redis first"
